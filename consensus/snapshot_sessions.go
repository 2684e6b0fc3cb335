package consensus

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/rafter-go/rafter/consensus/session"
)

// A snapshot holds the session table in front of the state machine's
// bytes, so a peer restored from it and the log after it rebuilds the
// table it had (consensus/session):
//
//	+-------------------+-------------+-------------------+------------------+
//	| "rafter\x00S" (8) | length u64  | table (length B)  | state machine... |
//	+-------------------+-------------+-------------------+------------------+
//
// A snapshot written before sessions existed starts with the state
// machine's own bytes: restore finds no marker, gives the whole stream to
// the state machine and starts with an empty table (those peers held no
// sessions). A state machine whose snapshot starts with the 8 marker bytes
// itself would be misread; the marker contains a NUL byte to make that
// unlikely.

var sessionMarker = []byte("rafter\x00S")

// ErrSessionTable: a snapshot's session table cannot be read.
var ErrSessionTable = errors.New("consensus: snapshot session table")

// withSessions is a state machine snapshot with the session table's bytes
// in front; the table is encoded when the snapshot is taken, between
// applies, so both are at the same index.
type withSessions struct {
	table []byte
	body  interface {
		WriteTo(w io.Writer) (int64, error)
		Release()
	}
}

func (s *withSessions) WriteTo(w io.Writer) (int64, error) {
	head := make([]byte, 0, len(sessionMarker)+8)
	head = append(head, sessionMarker...)
	head = binary.BigEndian.AppendUint64(head, uint64(len(s.table)))
	n, err := w.Write(head)
	total := int64(n)
	if err != nil {
		return total, err
	}
	n, err = w.Write(s.table)
	total += int64(n)
	if err != nil {
		return total, err
	}
	m, err := s.body.WriteTo(w)
	return total + m, err
}

func (s *withSessions) Release() { s.body.Release() }

// readSessions reads the session table from the front of a snapshot and
// returns it with the reader of the state machine's bytes after it.
func readSessions(r io.Reader, opts session.Options) (*session.Table, io.Reader, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(len(sessionMarker) + 8)
	if err != nil || !bytes.Equal(head[:len(sessionMarker)], sessionMarker) {
		return session.New(opts), br, nil // no table: written before sessions
	}
	n := binary.BigEndian.Uint64(head[len(sessionMarker):])
	if n > session.MaxEncodedBytes {
		return nil, nil, fmt.Errorf("%w: %d bytes, limit %d", ErrSessionTable, n, session.MaxEncodedBytes)
	}
	_, _ = br.Discard(len(head))
	// Copy, not make(n): a forged length allocates no more than the
	// stream really holds.
	var buf bytes.Buffer
	if got, err := io.CopyN(&buf, br, int64(n)); err != nil {
		return nil, nil, fmt.Errorf("%w: %d of %d bytes: %w", ErrSessionTable, got, n, err)
	}
	t, err := session.Decode(buf.Bytes(), opts)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrSessionTable, err)
	}
	return t, br, nil
}
