package kvsm

import (
	"bufio"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/kvsm/kvsmpb"
)

// snapshotFormat is the version SnapshotHeader.format carries.
const snapshotFormat = 1

// maxRecordBytes bounds one record of a snapshot stream: Restore refuses a
// longer length prefix before allocating for it, and WriteTo refuses to
// write a record Restore would refuse.
const maxRecordBytes = 64 << 20

// writeBufferBytes is WriteTo's buffer: few large writes to a file or a
// connection rather than one per key.
const writeBufferBytes = 64 << 10

var (
	// ErrBadSnapshot: Restore was given a stream that is not a complete kvsm
	// snapshot of a known format (truncated, damaged, or out of order).
	ErrBadSnapshot = errors.New("kvsm: bad snapshot")
	// ErrSnapshotSpent: WriteTo was called on a snapshot already written
	// or released (rafter writes each at most once).
	ErrSnapshotSpent = errors.New("kvsm: snapshot already written or released")
	// ErrRecordTooLarge: a key and its value (grown by Appends) exceed the
	// stream's record limit, so no snapshot of this state could be
	// restored; WriteTo refuses rather than write one.
	ErrRecordTooLarge = errors.New("kvsm: snapshot record too large")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Snapshot captures the state after the last Apply, in O(tables): it
// copies the table list and the root of each table's copy-on-write tree,
// not the keys. The returned rafter.Snapshot's WriteTo may then run on
// another goroutine while Apply goes on; Apply copies a tree node the
// first time it changes one the snapshot shares, so the snapshot keeps
// seeing the state of the moment it was taken. It never fails.
func (m *Machine) Snapshot() (rafter.Snapshot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := sortedKeys(m.tables)
	tables := make([]*table, len(names))
	for i, name := range names {
		tables[i] = m.tables[name].Copy()
	}
	return &snapshot{applied: m.applied, names: names, tables: tables}, nil
}

// WriteSnapshot writes the current state to w: Snapshot, WriteTo, Release.
// The same state always gives the same bytes.
func (m *Machine) WriteSnapshot(w io.Writer) error {
	s, err := m.Snapshot()
	if err != nil {
		return err
	}
	defer s.Release()
	_, err = s.WriteTo(w)
	return err
}

// snapshot is a point-in-time view of a Machine: sorted table names and
// a private copy of each table's tree.
type snapshot struct {
	mu      sync.Mutex // WriteTo and Release may come from different goroutines
	spent   bool       // written or released
	applied uint64
	names   []string
	tables  []*table
}

// WriteTo writes the snapshot in the stream format of kvsm.proto: a
// header with the applied index, tables in name order, each followed by
// its keys in key order, then a footer with counts and a CRC-32C. It
// returns the bytes written to w. A second call, or one after Release,
// returns ErrSnapshotSpent.
func (s *snapshot) WriteTo(w io.Writer) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.spent {
		return 0, ErrSnapshotSpent
	}
	s.spent = true
	cw := &countingWriter{w: w}
	err := s.write(cw)
	s.names, s.tables = nil, nil
	if err != nil {
		return cw.n, fmt.Errorf("kvsm: snapshot: %w", err)
	}
	return cw.n, nil
}

// Release drops the snapshot's trees, so the nodes only it still shared
// become garbage. Calling it more than once is harmless.
func (s *snapshot) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spent = true
	s.names, s.tables = nil, nil
}

func (s *snapshot) write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, writeBufferBytes)
	rw := recordWriter{w: bw, h: crc32.New(castagnoli)}
	if err := rw.put(&kvsmpb.SnapshotHeader{Format: snapshotFormat, AppliedIndex: s.applied}, true); err != nil {
		return err
	}
	entry := &kvsmpb.SnapshotEntry{}
	entryRec := &kvsmpb.SnapshotRecord{R: &kvsmpb.SnapshotRecord_Entry{Entry: entry}}
	var nkeys uint64
	for i, name := range s.names {
		if err := rw.put(&kvsmpb.SnapshotRecord{R: &kvsmpb.SnapshotRecord_Table{Table: name}}, true); err != nil {
			return err
		}
		var err error
		s.tables[i].Scan(func(k string, v []byte) bool {
			entry.Key, entry.Value = k, v
			if err = rw.put(entryRec, true); err != nil {
				err = fmt.Errorf("table %q key %q: %w", name, k, err)
			}
			nkeys++
			return err == nil
		})
		if err != nil {
			return err
		}
	}
	f := &kvsmpb.SnapshotFooter{Tables: uint64(len(s.names)), Keys: nkeys, Crc32C: rw.h.Sum32()}
	if err := rw.put(&kvsmpb.SnapshotRecord{R: &kvsmpb.SnapshotRecord_Footer{Footer: f}}, false); err != nil {
		return err
	}
	return bw.Flush()
}

// recordWriter writes varint-length-delimited records (the framing of
// google.golang.org/protobuf/encoding/protodelim) through one reused
// buffer, hashing those before the footer.
type recordWriter struct {
	w   io.Writer
	h   hash.Hash32
	buf []byte
}

var marshalOpts = proto.MarshalOptions{Deterministic: true}

func (rw *recordWriter) put(msg proto.Message, hash bool) error {
	n := marshalOpts.Size(msg)
	if n > maxRecordBytes {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrRecordTooLarge, n, maxRecordBytes)
	}
	b := protowire.AppendVarint(rw.buf[:0], uint64(n))
	b, err := marshalOpts.MarshalAppend(b, msg)
	if err != nil {
		return err
	}
	rw.buf = b
	if hash {
		rw.h.Write(b)
	}
	_, err = rw.w.Write(b)
	return err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
