package session

import (
	"encoding/binary"
	"fmt"
	"slices"
)

// The encoding of a Table (version 1), all integers big-endian:
//
//	+--------+---------+---------+-----------+------------+
//	| "RSES" | version | now u64 | sweep u64 | count u32  |  header, 25 bytes
//	+--------+---------+---------+-----------+------------+
//	then count sessions, by increasing ID:
//	+--------+---------------+------------+---------------+
//	| id u64 | last used u64 | floor u64  | results u32   |  28 bytes
//	+--------+---------------+------------+---------------+
//	then that many results, by increasing sequence:
//	+---------+-----------+-------+---------+-----+
//	| seq u64 | value u32 | value | err u32 | err |
//	+---------+-----------+-------+---------+-----+
//
// Decode checks every count and length against the bytes left before it
// allocates, so a forged header cannot make it allocate more than the
// input's size.

const (
	magic        = "RSES"
	version      = 1
	headerBytes  = 4 + 1 + 8 + 8 + 4
	sessionBytes = 8 + 8 + 8 + 4
	resultBytes  = 8 + 4 + 4
	// MaxEncodedBytes bounds an encoded table Decode accepts.
	MaxEncodedBytes = 1 << 30
)

// Encode returns the table's canonical encoding: two tables that decide
// alike encode to the same bytes.
func (t *Table) Encode() []byte {
	ids := make([]uint64, 0, len(t.sessions))
	n := headerBytes
	for id, s := range t.sessions {
		ids = append(ids, id)
		n += sessionBytes
		for _, r := range s.results {
			n += resultBytes + len(r.Value) + len(r.Err)
		}
	}
	slices.Sort(ids)
	b := make([]byte, 0, n)
	b = append(b, magic...)
	b = append(b, version)
	b = binary.BigEndian.AppendUint64(b, t.now)
	b = binary.BigEndian.AppendUint64(b, t.nextSweep)
	b = binary.BigEndian.AppendUint32(b, uint32(len(ids)))
	for _, id := range ids {
		s := t.sessions[id]
		b = binary.BigEndian.AppendUint64(b, id)
		b = binary.BigEndian.AppendUint64(b, s.lastUsed)
		b = binary.BigEndian.AppendUint64(b, s.floor)
		b = binary.BigEndian.AppendUint32(b, uint32(len(s.results)))
		seqs := make([]uint64, 0, len(s.results))
		for q := range s.results {
			seqs = append(seqs, q)
		}
		slices.Sort(seqs)
		for _, q := range seqs {
			r := s.results[q]
			b = binary.BigEndian.AppendUint64(b, q)
			b = binary.BigEndian.AppendUint32(b, uint32(len(r.Value)))
			b = append(b, r.Value...)
			b = binary.BigEndian.AppendUint32(b, uint32(len(r.Err)))
			b = append(b, r.Err...)
		}
	}
	return b
}

// Decode rebuilds a table from Encode's bytes, with opts (which bound what
// comes after, not what was encoded).
func Decode(b []byte, opts Options) (*Table, error) {
	if len(b) > MaxEncodedBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(b), MaxEncodedBytes)
	}
	d := decoder{b: b}
	if len(b) < headerBytes || string(b[:4]) != magic {
		return nil, fmt.Errorf("%w: no table header", ErrCorrupt)
	}
	d.b = b[4:]
	if v := d.u8(); v != version {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrCorrupt, v, version)
	}
	t := New(opts)
	t.now, t.nextSweep = d.u64(), d.u64()
	count := d.u32()
	if uint64(count)*sessionBytes > uint64(len(d.b)) {
		return nil, fmt.Errorf("%w: %d sessions in %d bytes", ErrCorrupt, count, len(d.b))
	}
	t.sessions = make(map[uint64]*state, count)
	var prev uint64
	for i := range count {
		id, s := d.u64(), &state{lastUsed: d.u64(), floor: d.u64()}
		nres := d.u32()
		switch {
		case d.err != nil:
			return nil, d.err
		case id == 0 || (i > 0 && id <= prev):
			return nil, fmt.Errorf("%w: session %d out of order (after %d)", ErrCorrupt, id, prev)
		case s.lastUsed > t.now:
			return nil, fmt.Errorf("%w: session %d used at %d, after the table's time %d", ErrCorrupt, id, s.lastUsed, t.now)
		case uint64(nres)*resultBytes > uint64(len(d.b)):
			return nil, fmt.Errorf("%w: session %d: %d results in %d bytes", ErrCorrupt, id, nres, len(d.b))
		}
		prev = id
		s.results = make(map[uint64]Result, nres)
		if err := d.results(s, nres); err != nil {
			return nil, fmt.Errorf("session %d: %w", id, err)
		}
		t.sessions[id] = s
	}
	if d.err == nil && len(d.b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the last session", ErrCorrupt, len(d.b))
	}
	return t, d.err
}

// results reads n results of s.
func (d *decoder) results(s *state, n uint32) error {
	var prev uint64
	for i := range n {
		q := d.u64()
		v := d.bytes()
		e := d.bytes()
		switch {
		case d.err != nil:
			return d.err
		case q < s.floor || (i > 0 && q <= prev):
			return fmt.Errorf("%w: sequence %d out of order (after %d, floor %d)", ErrCorrupt, q, prev, s.floor)
		}
		prev = q
		s.results[q] = Result{Value: v, Err: string(e)}
		s.bytes += len(v) + len(e)
	}
	return nil
}

// decoder reads big-endian fields; the first short read sets err and
// every later read returns zero.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b) < n {
		d.err = fmt.Errorf("%w: truncated (%d bytes left, %d needed)", ErrCorrupt, len(d.b), n)
		return nil
	}
	out := d.b[:n:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) u8() uint8 {
	if b := d.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if b := d.take(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if b := d.take(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// bytes reads a u32 length and that many bytes (a copy, nil if empty).
func (d *decoder) bytes() []byte {
	n := d.u32()
	b := d.take(int(n))
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}
