package kvsm

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"

	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/kvsm/kvsmpb"
)

// smallRecordBytes: a record up to this size is read into a buffer of its
// claimed length at once; a longer one grows its buffer as its bytes
// arrive, so a damaged length prefix costs at most what the stream holds.
const smallRecordBytes = 64 << 10

// Restore replaces the whole state with the snapshot read from r (as
// WriteTo wrote it), applied index included. It checks the whole stream
// (framing, record order, strictly increasing table names and keys,
// counts and CRC-32C) before it changes anything: on any error
// (ErrBadSnapshot, or r's own error) the Machine is left unchanged and
// usable. It allocates in proportion to the bytes r delivers, whatever
// lengths the stream claims; the new state is built beside the old one.
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

func readSnapshot(r io.Reader) (map[string]*table, uint64, error) {
	in := &recordReader{r: bufio.NewReader(r), h: crc32.New(castagnoli)}
	var hdr kvsmpb.SnapshotHeader
	if err := in.next(&hdr); err != nil {
		return nil, 0, bad("header", err)
	}
	if hdr.GetFormat() != snapshotFormat {
		return nil, 0, fmt.Errorf("%w: format %d, want %d", ErrBadSnapshot, hdr.GetFormat(), snapshotFormat)
	}
	tables := make(map[string]*table)
	var cur *table
	var lastTable, lastKey string
	var nkeys uint64
	for {
		sum := in.h.Sum32() // the footer's CRC covers the bytes before it
		var rec kvsmpb.SnapshotRecord
		if err := in.next(&rec); err != nil {
			return nil, 0, bad("record", err)
		}
		switch x := rec.GetR().(type) {
		case *kvsmpb.SnapshotRecord_Table:
			if x.Table == "" || len(tables) > 0 && x.Table <= lastTable {
				return nil, 0, fmt.Errorf("%w: table %q empty or out of order", ErrBadSnapshot, x.Table)
			}
			cur, lastTable = new(table), x.Table
			tables[x.Table] = cur
		case *kvsmpb.SnapshotRecord_Entry:
			k := x.Entry.GetKey()
			if cur == nil || cur.Len() > 0 && k <= lastKey {
				return nil, 0, fmt.Errorf("%w: key %q before any table or out of order", ErrBadSnapshot, k)
			}
			v := x.Entry.GetValue() // Unmarshal copied it out of the reused buffer
			if v == nil {
				v = []byte{}
			}
			cur.Load(k, v) // keys arrive in order: Load appends to the last leaf
			lastKey = k
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
	if errors.Is(err, ErrBadSnapshot) {
		return err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: truncated %s: %w", ErrBadSnapshot, what, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrBadSnapshot, what, err)
}

// recordReader reads varint-length-delimited records, hashing every byte
// (the hash sits above the buffer, which binary.ReadUvarint needs).
type recordReader struct {
	r   *bufio.Reader
	h   hash.Hash32
	buf []byte
}

// next reads one record into msg. It refuses a length over maxRecordBytes
// before reading it, and reads a long record into a buffer that grows
// with the bytes actually delivered.
func (rr *recordReader) next(msg proto.Message) error {
	n, err := binary.ReadUvarint(rr)
	if err != nil {
		return err
	}
	if n > maxRecordBytes {
		return fmt.Errorf("%w: record of %d bytes, limit %d", ErrBadSnapshot, n, maxRecordBytes)
	}
	var b []byte
	switch {
	case n <= uint64(cap(rr.buf)):
		b = rr.buf[:n]
		_, err = io.ReadFull(rr, b)
	case n <= smallRecordBytes:
		rr.buf = make([]byte, n)
		b = rr.buf
		_, err = io.ReadFull(rr, b)
	default:
		var grow bytes.Buffer
		var got int64
		got, err = io.CopyN(&grow, rr, int64(n))
		if err == io.EOF && got < int64(n) {
			err = io.ErrUnexpectedEOF
		}
		b = grow.Bytes()
	}
	if err != nil {
		return err
	}
	return proto.Unmarshal(b, msg)
}

func (rr *recordReader) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	rr.h.Write(p[:n])
	return n, err
}

func (rr *recordReader) ReadByte() (byte, error) {
	b, err := rr.r.ReadByte()
	if err == nil {
		rr.h.Write([]byte{b})
	}
	return b, err
}
