package echo

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"
)

// The snapshot stream of an SM, all integers unsigned varints:
//
//	format (1) | applied index | count | len(last) | last | CRC-32C (4 bytes, big-endian)
//
// The CRC (Castagnoli) covers every byte before it; nothing may follow it.
const snapshotFormat = 1

// maxLastBytes bounds the last command a snapshot may carry (rafter's
// commands are far smaller); Restore refuses a longer claim before it
// allocates, and reads a shorter one as far as the stream goes.
const maxLastBytes = 64 << 20

var (
	// ErrBadSnapshot: Restore was given a stream that is not a complete
	// echo snapshot (truncated, damaged, or of an unknown format).
	ErrBadSnapshot = errors.New("echo: bad snapshot")
	// ErrSnapshotSpent: WriteTo was called on a snapshot already written
	// or released.
	ErrSnapshotSpent = errors.New("echo: snapshot already written or released")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// rafterSnapshot spells out rafter.Snapshot, an alias of this same
// interface literal: this package cannot import rafter, whose own tests
// import it, yet SM implements rafter.Snapshotter.
type rafterSnapshot = interface {
	WriteTo(w io.Writer) (int64, error)
	Release()
}

// Snapshot captures the state (last command, applied index, count) in
// O(1): Apply never modifies a stored command in place, it stores a fresh
// copy, so the snapshot may share the current one. It never fails.
func (s *SM) Snapshot() (rafterSnapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &snapshot{last: s.last, applied: s.applied, count: s.count}, nil
}

// Restore replaces the state with the one a snapshot wrote to r, the
// count of applied commands included (so Applied reports the commands
// this state reflects, restored or applied). On any error (ErrBadSnapshot
// or r's own) the SM is left unchanged.
func (s *SM) Restore(r io.Reader) error {
	st, err := readSnapshot(bufio.NewReader(r))
	if err != nil {
		return fmt.Errorf("echo: restore: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last, s.applied, s.count = st.last, st.applied, st.count
	return nil
}

type snapshot struct {
	mu      sync.Mutex
	spent   bool
	last    []byte
	applied uint64
	count   int
}

// WriteTo writes the snapshot in the format above, at most once.
func (sn *snapshot) WriteTo(w io.Writer) (int64, error) {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if sn.spent {
		return 0, ErrSnapshotSpent
	}
	sn.spent = true
	b := binary.AppendUvarint(nil, snapshotFormat)
	b = binary.AppendUvarint(b, sn.applied)
	b = binary.AppendUvarint(b, uint64(sn.count))
	b = binary.AppendUvarint(b, uint64(len(sn.last)))
	b = append(b, sn.last...)
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	sn.last = nil
	n, err := w.Write(b)
	if err != nil {
		return int64(n), fmt.Errorf("echo: snapshot: %w", err)
	}
	return int64(n), nil
}

// Release drops the snapshot's reference to the command it holds.
func (sn *snapshot) Release() {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	sn.spent, sn.last = true, nil
}

// crcReader hashes the bytes read through it.
type crcReader struct {
	r   *bufio.Reader
	crc uint32
}

func (c *crcReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.crc = crc32.Update(c.crc, castagnoli, []byte{b})
	}
	return b, err
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.crc = crc32.Update(c.crc, castagnoli, p[:n])
	return n, err
}

func readSnapshot(r *bufio.Reader) (*snapshot, error) {
	in := &crcReader{r: r}
	var v [4]uint64
	for i, what := range []string{"format", "applied index", "count", "length"} {
		x, err := binary.ReadUvarint(in)
		if err != nil {
			return nil, bad(what, err)
		}
		v[i] = x
	}
	if v[0] != snapshotFormat {
		return nil, fmt.Errorf("%w: format %d, want %d", ErrBadSnapshot, v[0], snapshotFormat)
	}
	if v[3] > maxLastBytes || v[2] > uint64(^uint(0)>>1) {
		return nil, fmt.Errorf("%w: command of %d bytes (limit %d) or count %d", ErrBadSnapshot, v[3], maxLastBytes, v[2])
	}
	var last bytes.Buffer // grows with the bytes delivered, not the claim
	if n, err := io.CopyN(&last, in, int64(v[3])); err != nil || n != int64(v[3]) {
		return nil, bad("command", io.ErrUnexpectedEOF)
	}
	sum := in.crc
	var tail [4]byte
	if _, err := io.ReadFull(r, tail[:]); err != nil {
		return nil, bad("checksum", err)
	}
	if got := binary.BigEndian.Uint32(tail[:]); got != sum {
		return nil, fmt.Errorf("%w: checksum %08x, stream %08x", ErrBadSnapshot, got, sum)
	}
	if _, err := r.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the checksum", ErrBadSnapshot)
	}
	st := &snapshot{applied: v[1], count: int(v[2])}
	if last.Len() > 0 {
		st.last = bytes.Clone(last.Bytes())
	}
	return st, nil
}

func bad(what string, err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%w: truncated or unreadable %s: %w", ErrBadSnapshot, what, err)
}
