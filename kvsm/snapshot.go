package kvsm

import (
	"bufio"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"

	"google.golang.org/protobuf/encoding/protodelim"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/kvsm/kvsmpb"
)

// snapshotFormat is the version SnapshotHeader.format carries.
const snapshotFormat = 1

// maxRecordBytes bounds one record of a snapshot stream on Restore, so a
// damaged length prefix cannot make Restore allocate without limit.
const maxRecordBytes = 64 << 20

// ErrBadSnapshot: Restore was given a stream that is not a complete kvsm
// snapshot of a known format (truncated, damaged, or out of order).
var ErrBadSnapshot = errors.New("kvsm: bad snapshot")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Snapshot writes the whole state to w in the stream format of
// kvsm.proto: tables in name order, each followed by its keys in key
// order, then a footer with counts and a CRC-32C. The same state always
// gives the same bytes.
func (m *Machine) Snapshot(w io.Writer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	bw := bufio.NewWriter(w)
	h := crc32.New(castagnoli)
	out := io.MultiWriter(bw, h)
	opts := protodelim.MarshalOptions{MarshalOptions: proto.MarshalOptions{Deterministic: true}}
	put := func(msg proto.Message) error {
		_, err := opts.MarshalTo(out, msg)
		return err
	}
	if err := put(&kvsmpb.SnapshotHeader{Format: snapshotFormat, AppliedIndex: m.applied}); err != nil {
		return fmt.Errorf("kvsm: snapshot: %w", err)
	}
	var nkeys uint64
	for _, name := range sortedKeys(m.tables) {
		if err := put(&kvsmpb.SnapshotRecord{R: &kvsmpb.SnapshotRecord_Table{Table: name}}); err != nil {
			return fmt.Errorf("kvsm: snapshot: %w", err)
		}
		t := m.tables[name]
		for _, k := range sortedKeys(t) {
			e := &kvsmpb.SnapshotEntry{Key: k, Value: t[k]}
			if err := put(&kvsmpb.SnapshotRecord{R: &kvsmpb.SnapshotRecord_Entry{Entry: e}}); err != nil {
				return fmt.Errorf("kvsm: snapshot: %w", err)
			}
			nkeys++
		}
	}
	f := &kvsmpb.SnapshotFooter{Tables: uint64(len(m.tables)), Keys: nkeys, Crc32C: h.Sum32()}
	if _, err := opts.MarshalTo(bw, &kvsmpb.SnapshotRecord{R: &kvsmpb.SnapshotRecord_Footer{Footer: f}}); err != nil {
		return fmt.Errorf("kvsm: snapshot: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("kvsm: snapshot: %w", err)
	}
	return nil
}

// Restore replaces the whole state with the snapshot read from r. On any
// error (ErrBadSnapshot, or r's own error) the Machine is left unchanged.
func (m *Machine) Restore(r io.Reader) error {
	tables, applied, err := readSnapshot(r)
	if err != nil {
		return fmt.Errorf("kvsm: restore: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tables, m.applied = tables, applied
	return nil
}

func readSnapshot(r io.Reader) (map[string]map[string][]byte, uint64, error) {
	in := &crcReader{r: bufio.NewReader(r), h: crc32.New(castagnoli)}
	opts := protodelim.UnmarshalOptions{MaxSize: maxRecordBytes}
	var hdr kvsmpb.SnapshotHeader
	if err := opts.UnmarshalFrom(in, &hdr); err != nil {
		return nil, 0, bad("header", err)
	}
	if hdr.GetFormat() != snapshotFormat {
		return nil, 0, fmt.Errorf("%w: format %d, want %d", ErrBadSnapshot, hdr.GetFormat(), snapshotFormat)
	}
	tables := make(map[string]map[string][]byte)
	var cur map[string][]byte
	var nkeys uint64
	for {
		sum := in.h.Sum32() // the footer's CRC covers the bytes before it
		var rec kvsmpb.SnapshotRecord
		if err := opts.UnmarshalFrom(in, &rec); err != nil {
			return nil, 0, bad("record", err)
		}
		switch x := rec.GetR().(type) {
		case *kvsmpb.SnapshotRecord_Table:
			if _, dup := tables[x.Table]; dup || x.Table == "" {
				return nil, 0, fmt.Errorf("%w: table %q empty or repeated", ErrBadSnapshot, x.Table)
			}
			cur = make(map[string][]byte)
			tables[x.Table] = cur
		case *kvsmpb.SnapshotRecord_Entry:
			if cur == nil {
				return nil, 0, fmt.Errorf("%w: key %q before any table", ErrBadSnapshot, x.Entry.GetKey())
			}
			cur[x.Entry.GetKey()] = clone(x.Entry.GetValue())
			nkeys++
		case *kvsmpb.SnapshotRecord_Footer:
			f := x.Footer
			if f.GetCrc32C() != sum || f.GetTables() != uint64(len(tables)) || f.GetKeys() != nkeys {
				return nil, 0, fmt.Errorf("%w: footer (crc %08x, %d tables, %d keys) does not match the stream (crc %08x, %d tables, %d keys)",
					ErrBadSnapshot, f.GetCrc32C(), f.GetTables(), f.GetKeys(), sum, len(tables), nkeys)
			}
			if _, err := in.r.ReadByte(); err != io.EOF {
				return nil, 0, fmt.Errorf("%w: data after the footer", ErrBadSnapshot)
			}
			return tables, hdr.GetAppliedIndex(), nil
		default:
			return nil, 0, fmt.Errorf("%w: unknown record", ErrBadSnapshot)
		}
	}
}

func bad(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: truncated %s: %w", ErrBadSnapshot, what, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrBadSnapshot, what, err)
}

// crcReader hashes every byte read through it (protodelim needs a
// ByteReader, so the hash sits above the buffer).
type crcReader struct {
	r *bufio.Reader
	h hash.Hash32
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	return n, err
}

func (c *crcReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.h.Write([]byte{b})
	}
	return b, err
}
