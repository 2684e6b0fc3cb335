package echo

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/rafter-go/rafter"
)

var _ rafter.Snapshotter = (*SM)(nil)

func snapBytes(t require.TestingT, s *SM) []byte {
	sn, err := s.Snapshot()
	require.NoError(t, err)
	defer sn.Release()
	var b bytes.Buffer
	n, err := sn.WriteTo(&b)
	require.NoError(t, err)
	require.Equal(t, int64(b.Len()), n)
	return b.Bytes()
}

// A snapshot taken at k and written after more Applies holds the state at
// k; restored and given the rest, it ends as the machine that applied all.
func TestPropertySnapshotAtCut(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cmds := rapid.SliceOfN(rapid.SliceOfN(rapid.Byte(), 0, 8), 0, 30).Draw(t, "cmds")
		k := rapid.IntRange(0, len(cmds)).Draw(t, "k")
		all, m, atK := New(), New(), New()
		for i, c := range cmds {
			_, _ = all.Apply(uint64(i+1), c)
		}
		for i, c := range cmds[:k] {
			_, _ = m.Apply(uint64(i+1), c)
			_, _ = atK.Apply(uint64(i+1), c)
		}
		sn, err := m.Snapshot()
		require.NoError(t, err)
		for i, c := range cmds[k:] {
			_, _ = m.Apply(uint64(k+i+1), c)
		}
		var b bytes.Buffer
		_, err = sn.WriteTo(&b)
		require.NoError(t, err)
		sn.Release()
		require.Equal(t, snapBytes(t, atK), b.Bytes(), "the snapshot holds the state at k")

		r := New()
		_, _ = r.Apply(99, []byte("old state"))
		require.NoError(t, r.Restore(&b))
		for i, c := range cmds[k:] {
			_, _ = r.Apply(uint64(k+i+1), c)
		}
		require.Equal(t, snapBytes(t, all), snapBytes(t, r))
		got, _ := r.Read(nil)
		want, _ := all.Read(nil)
		require.True(t, bytes.Equal(want, got), "Read: %q, want %q", got, want) // nil and empty alike, as on the wire
	})
}

// Every truncation and every single-bit flip is refused and leaves the
// machine as it was; so is a length claim far beyond the stream.
func TestRestoreRejectsDamage(t *testing.T) {
	src := New()
	_, _ = src.Apply(41, []byte("the last command"))
	good := snapBytes(t, src)
	m := New()
	_, _ = m.Apply(1, []byte("keep"))
	want := snapBytes(t, m)
	for n := range len(good) {
		assert.ErrorIs(t, m.Restore(bytes.NewReader(good[:n])), ErrBadSnapshot, "truncated at %d", n)
	}
	for i := range len(good) * 8 {
		b := bytes.Clone(good)
		b[i/8] ^= 1 << (i % 8)
		assert.ErrorIs(t, m.Restore(bytes.NewReader(b)), ErrBadSnapshot, "bit %d flipped", i)
	}
	assert.ErrorIs(t, m.Restore(bytes.NewReader(append(bytes.Clone(good), 0))), ErrBadSnapshot, "trailing byte")
	for _, claim := range []uint64{maxLastBytes, maxLastBytes + 1, 1 << 62} {
		s := fmt.Appendf(nil, "\x01\x05\x01") // format 1, applied 5, count 1
		for v := claim; ; v >>= 7 {
			if v < 0x80 {
				s = append(s, byte(v))
				break
			}
			s = append(s, byte(v)|0x80)
		}
		s = append(s, "short"...)
		assert.ErrorIs(t, m.Restore(bytes.NewReader(s)), ErrBadSnapshot, "a claim of %d bytes", claim)
	}
	assert.Equal(t, want, snapBytes(t, m))
}

func TestSnapshotOnceAndRelease(t *testing.T) {
	s := New()
	_, _ = s.Apply(1, []byte("a"))
	sn, err := s.Snapshot()
	require.NoError(t, err)
	sn.Release()
	_, err = sn.WriteTo(&bytes.Buffer{})
	assert.ErrorIs(t, err, ErrSnapshotSpent, "WriteTo after Release")
	assert.Nil(t, sn.(*snapshot).last, "Release drops the command")

	sn, err = s.Snapshot()
	require.NoError(t, err)
	_, err = sn.WriteTo(&bytes.Buffer{})
	require.NoError(t, err)
	_, err = sn.WriteTo(&bytes.Buffer{})
	assert.ErrorIs(t, err, ErrSnapshotSpent, "a second WriteTo")
	sn.Release()

	r := New()
	require.NoError(t, r.Restore(bytes.NewReader(snapBytes(t, s))))
	idx, n := r.Applied()
	assert.Equal(t, uint64(1), idx)
	assert.Equal(t, 1, n)
}
