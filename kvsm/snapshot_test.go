package kvsm

import (
	"bytes"
	"hash/crc32"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/kvsm/kvsmpb"
)

func snap(t testing.TB, m *Machine) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, m.WriteSnapshot(&b))
	return b.Bytes()
}

func TestSnapshotRoundTrip(t *testing.T) {
	m := seeded(t)
	_, err := m.Apply(4, enc(t, cmdPut("t", "e", "")))
	require.NoError(t, err)
	b := snap(t, m)
	m2 := New()
	require.NoError(t, m2.Restore(bytes.NewReader(b)))
	assert.Equal(t, b, snap(t, m2))
	assert.Equal(t, uint64(4), m2.AppliedIndex())
	g := read(t, m2, qGet("t", "e")).GetGet()
	assert.True(t, g.GetFound(), "an empty value survives")
	assert.Equal(t, []string{"t", "u"}, read(t, m2, qTables()).GetNames().GetNames())
}

func TestSnapshotEmpty(t *testing.T) {
	b := snap(t, New())
	m := seeded(t)
	require.NoError(t, m.Restore(bytes.NewReader(b)))
	assert.Empty(t, read(t, m, qTables()).GetNames().GetNames())
}

// Every truncation and every single-bit flip of a snapshot is refused and
// leaves the machine as it was.
func TestRestoreRejectsDamage(t *testing.T) {
	good := snap(t, seeded(t))
	m := New()
	_, err := m.Apply(1, enc(t, cmdNew("keep")))
	require.NoError(t, err)
	want := snap(t, m)
	for n := 0; n < len(good); n++ {
		err := m.Restore(bytes.NewReader(good[:n]))
		require.ErrorIs(t, err, ErrBadSnapshot, "truncated at %d", n)
	}
	for i := 0; i < len(good)*8; i++ {
		b := bytes.Clone(good)
		b[i/8] ^= 1 << (i % 8)
		err := m.Restore(bytes.NewReader(b))
		require.ErrorIs(t, err, ErrBadSnapshot, "bit %d flipped", i)
	}
	require.ErrorIs(t, m.Restore(bytes.NewReader(append(bytes.Clone(good), 0))), ErrBadSnapshot, "trailing byte")
	assert.Equal(t, want, snap(t, m))
}

// craft writes a stream with a valid frame, counts and CRC around the
// given records (tables and entries), as a damaged or hostile writer could.
func craft(t *testing.T, recs ...*kvsmpb.SnapshotRecord) []byte {
	var b bytes.Buffer
	rw := recordWriter{w: &b, h: crc32.New(castagnoli)}
	require.NoError(t, rw.put(&kvsmpb.SnapshotHeader{Format: snapshotFormat, AppliedIndex: 7}, true))
	var tables, keys uint64
	for _, r := range recs {
		if _, isTable := r.GetR().(*kvsmpb.SnapshotRecord_Table); isTable {
			tables++
		} else {
			keys++
		}
		require.NoError(t, rw.put(r, true))
	}
	f := &kvsmpb.SnapshotFooter{Tables: tables, Keys: keys, Crc32C: rw.h.Sum32()}
	require.NoError(t, rw.put(&kvsmpb.SnapshotRecord{R: &kvsmpb.SnapshotRecord_Footer{Footer: f}}, false))
	return b.Bytes()
}

func tableRec(name string) *kvsmpb.SnapshotRecord {
	return &kvsmpb.SnapshotRecord{R: &kvsmpb.SnapshotRecord_Table{Table: name}}
}

func entryRec(k string) *kvsmpb.SnapshotRecord {
	return &kvsmpb.SnapshotRecord{R: &kvsmpb.SnapshotRecord_Entry{Entry: &kvsmpb.SnapshotEntry{Key: k, Value: []byte("v")}}}
}

// A stream whose checksum is right but whose order is not one WriteTo
// writes is refused too: a repeated key or table would otherwise make
// two replicas that restored "the same" snapshot differ.
func TestRestoreRejectsDisorder(t *testing.T) {
	ok := craft(t, tableRec("a"), entryRec("k"), entryRec("l"), tableRec("b"))
	m := New()
	require.NoError(t, m.Restore(bytes.NewReader(ok)), "the crafted frame itself is valid")
	assert.Equal(t, uint64(7), m.AppliedIndex())
	want := snap(t, m)
	for name, s := range map[string][]byte{
		"tables out of order": craft(t, tableRec("b"), tableRec("a")),
		"table repeated":      craft(t, tableRec("a"), tableRec("a")),
		"keys out of order":   craft(t, tableRec("a"), entryRec("l"), entryRec("k")),
		"key repeated":        craft(t, tableRec("a"), entryRec("k"), entryRec("k")),
		"key before a table":  craft(t, entryRec("k"), tableRec("a")),
		"empty table name":    craft(t, tableRec("")),
	} {
		assert.ErrorIs(t, m.Restore(bytes.NewReader(s)), ErrBadSnapshot, name)
	}
	assert.Equal(t, want, snap(t, m), "refused streams change nothing")
}
