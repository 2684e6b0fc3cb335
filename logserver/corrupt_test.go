package logserver

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rafter-go/rafter/rafterpb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireCorrupt checks that Open fails with a *CorruptError naming file and
// offset.
func requireCorrupt(t *testing.T, dir, file string, off int64, msgAndArgs ...any) {
	t.Helper()
	o, _ := testOptions(300)
	l, err := Open(dir, o)
	if err == nil {
		_ = l.Close()
	}
	require.Error(t, err, msgAndArgs...)
	var ce *CorruptError
	require.True(t, errors.As(err, &ce), "want *CorruptError, got %v", err)
	assert.ErrorIs(t, err, ErrCorrupt)
	require.Equal(t, file, ce.File, msgAndArgs...)
	require.Equal(t, off, ce.Offset, msgAndArgs...)
	assert.Contains(t, err.Error(), file)
}

// TestCorruptionEveryBitOfEveryRecord flips each bit of each record in
// every segment, one at a time. Open must refuse with the file and the
// offset of the damaged record: a flipped bit is never taken for a torn tail.
func TestCorruptionEveryBitOfEveryRecord(t *testing.T) {
	dir := t.TempDir()
	o, _ := testOptions(300)
	l := mustOpen(t, dir, o)
	require.NoError(t, l.Write(&rafterpb.Meta{Term: 1}, append(entries(1, 5, 1, 40), configEntry(6, 1, "a"), entry(nil, 7, 1, 0))))
	var locs []loc
	for i := range uint64(l.locs.len()) {
		locs = append(locs, l.locs.at(i))
	}
	require.NoError(t, l.Close())
	require.Greater(t, len(segPaths(t, dir)), 1)
	flips := 0
	for _, at := range locs {
		seg := l.segOf(at)
		for byteOff := at.off; byteOff < at.off+int64(at.size); byteOff++ {
			for bit := 0; bit < 8; bit++ {
				flip(t, seg.path, byteOff, bit)
				requireCorrupt(t, dir, seg.path, at.off, "flip of bit %d at byte %d", bit, byteOff)
				flip(t, seg.path, byteOff, bit)
				flips++
			}
		}
	}
	t.Logf("%d single-bit flips in %d records, all detected", flips, len(locs))
	l = mustOpen(t, dir, o) // restored: opens again
	require.NoError(t, l.Close())
}

func TestCorruptionMetaEveryBit(t *testing.T) {
	dir := t.TempDir()
	o, _ := testOptions(300)
	l := mustOpen(t, dir, o)
	require.NoError(t, l.Write(&rafterpb.Meta{Term: 9, VotedFor: &rafterpb.Peer{Name: "x"}}, nil))
	require.NoError(t, l.Close())
	path := filepath.Join(dir, metaName)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	for i := range int64(len(data)) {
		for bit := 0; bit < 8; bit++ {
			flip(t, path, i, bit)
			requireCorrupt(t, dir, path, 0, "flip of bit %d at byte %d", bit, i)
			flip(t, path, i, bit)
		}
	}
	// A truncated or empty meta file is unreadable metadata too: it is only
	// ever replaced whole, so this is not a torn write.
	for _, n := range []int{0, 1, headerSize, len(data) - 1} {
		require.NoError(t, os.WriteFile(path, data[:n], 0o644))
		requireCorrupt(t, dir, path, 0, "meta cut at %d", n)
	}
	require.NoError(t, os.WriteFile(path, append(data, 0), 0o644))
	requireCorrupt(t, dir, path, int64(len(data)), "trailing byte")
}

func TestCorruptionStructural(t *testing.T) {
	build := func(t *testing.T) (string, []string) {
		dir := t.TempDir()
		o, _ := testOptions(300)
		l := mustOpen(t, dir, o)
		require.NoError(t, l.Write(&rafterpb.Meta{Term: 1}, entries(1, 20, 1, 40)))
		require.NoError(t, l.Close())
		segs := segPaths(t, dir)
		require.Greater(t, len(segs), 3)
		return dir, segs
	}
	t.Run("missing middle segment is an index gap", func(t *testing.T) {
		dir, segs := build(t)
		require.NoError(t, os.Remove(segs[1]))
		requireCorrupt(t, dir, segs[2], 0)
	})
	t.Run("missing first segment", func(t *testing.T) {
		dir, segs := build(t)
		require.NoError(t, os.Remove(segs[0]))
		requireCorrupt(t, dir, segs[1], 0)
	})
	t.Run("torn record before the last segment", func(t *testing.T) {
		dir, segs := build(t)
		st, err := os.Stat(segs[1])
		require.NoError(t, err)
		require.NoError(t, os.Truncate(segs[1], st.Size()-1))
		l, err := Open(dir, DefaultOptions())
		require.ErrorIs(t, err, ErrCorrupt)
		assert.Nil(t, l)
		assert.Contains(t, err.Error(), segs[1])
	})
	t.Run("garbage after the last record", func(t *testing.T) {
		dir, segs := build(t)
		last := segs[len(segs)-1]
		o, _ := testOptions(300)
		l := mustOpen(t, dir, o)
		at := l.locs.last()
		require.NoError(t, l.Close())
		end := at.off + int64(at.size)
		f, err := os.OpenFile(last, os.O_WRONLY, 0)
		require.NoError(t, err)
		// Not a torn write: every byte of the would-be header was written.
		_, err = f.WriteAt(bytes.Repeat([]byte{0xa5}, 40), end)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		requireCorrupt(t, dir, last, end)
	})
	t.Run("bad segment name", func(t *testing.T) {
		dir, _ := build(t)
		bad := filepath.Join(dir, "12.seg")
		require.NoError(t, os.WriteFile(bad, nil, 0o644))
		requireCorrupt(t, dir, bad, 0)
	})
}

func flip(t *testing.T, path string, off int64, bit int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	b := make([]byte, 1)
	_, err = f.ReadAt(b, off)
	require.NoError(t, err)
	b[0] ^= 1 << bit
	_, err = f.WriteAt(b, off)
	require.NoError(t, err)
}

// Write puts the metadata on disk before any record, so a meta file
// missing beside entries was lost: Open refuses, naming it, rather than
// read a blank peer that could vote twice in its term (issue 12). A
// directory without metadata and without entries is a blank peer.
func TestMissingMetaBesideEntriesRefused(t *testing.T) {
	dir := t.TempDir()
	o, _ := testOptions(1 << 20)
	l := mustOpen(t, dir, o)
	require.NoError(t, l.Write(&rafterpb.Meta{Term: 3, VotedFor: &rafterpb.Peer{Name: "a"}}, entries(1, 4, 3, 10)))
	require.NoError(t, l.Close())
	require.NoError(t, os.Remove(filepath.Join(dir, metaName)))
	_, err := Open(dir, o)
	var ce *CorruptError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, filepath.Join(dir, metaName), ce.File)

	blank := t.TempDir()
	l = mustOpen(t, blank, o)
	assert.Nil(t, l.Meta())
	require.NoError(t, l.Close())
	l = mustOpen(t, blank, o)
	assert.Nil(t, l.Meta(), "a blank directory stays blank")
	require.NoError(t, l.Close())
}

// The metadata reaches the disk no later than the first record of its
// write: a crash right after Write, before any Sync, leaves both or the
// metadata alone.
func TestMetaWrittenBeforeRecords(t *testing.T) {
	dir := t.TempDir()
	o, _ := testOptions(1 << 20)
	l := mustOpen(t, dir, o)
	require.NoError(t, l.Write(&rafterpb.Meta{Term: 2}, entries(1, 2, 2, 10)))
	_, err := os.Stat(filepath.Join(dir, metaName))
	require.NoError(t, err, "meta on disk before the Write returns")
	require.NoError(t, l.Close())
}
