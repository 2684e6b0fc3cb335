package kvsm

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
