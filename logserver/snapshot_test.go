package logserver

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/rafter-go/rafter/rafterpb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

func testConfig(names ...string) *rafterpb.Config {
	return configEntry(1, 1, names...).GetConfig()
}

// saveSnap saves body as the snapshot at index (term from the log).
func saveSnap(t testing.TB, l *FileLog, index uint64, body []byte) *rafterpb.SnapshotMeta {
	t.Helper()
	term, err := l.TermAt(index)
	require.NoError(t, err)
	w, err := l.CreateSnapshot(index, term, testConfig("a", "b"))
	require.NoError(t, err)
	_, err = w.Write(body)
	require.NoError(t, err)
	require.NoError(t, w.Finish())
	m, err := l.CommitSnapshot(w)
	require.NoError(t, err)
	return m
}

func readBody(t testing.TB, l *FileLog) []byte {
	t.Helper()
	r, err := l.OpenSnapshot()
	require.NoError(t, err)
	require.NotNil(t, r)
	defer r.Close()
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return b
}

func body(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ seed
	}
	return b
}

// requireNoHole checks the log continues the snapshot: every entry from
// the snapshot index + 1 to the last is readable.
func requireNoHole(t testing.TB, l *FileLog) {
	t.Helper()
	require.LessOrEqual(t, l.FirstIndex(), l.SnapshotIndex()+1, "log starts after the snapshot: a hole")
	from := max(l.FirstIndex(), l.SnapshotIndex()+1)
	es, err := l.Entries(from, l.LastIndex()+1)
	require.NoError(t, err)
	for i, e := range es {
		require.Equal(t, from+uint64(i), e.GetIndex())
	}
}

func TestSnapshotSaveRoundTrip(t *testing.T) {
	o, _ := testOptions(1 << 20)
	dir := t.TempDir()
	l := mustOpen(t, dir, o)
	require.NoError(t, l.Write(&rafterpb.Meta{Term: 3}, append(entries(1, 10, 2, 20), entries(11, 20, 3, 20)...)))
	require.NoError(t, l.Sync())
	b := body(100_000, 1)
	m := saveSnap(t, l, 15, b)
	assert.Equal(t, uint64(15), m.Index)
	assert.Equal(t, uint64(3), m.Term)
	assert.Equal(t, uint64(len(b)), m.BodySize)
	assert.True(t, proto.Equal(testConfig("a", "b"), m.Config))
	assert.Equal(t, uint64(15), l.CommitFloor(), "entries in a snapshot are committed")
	require.NoError(t, l.Close())

	l = mustOpen(t, dir, o)
	defer l.Close()
	assert.True(t, proto.Equal(m, l.Snapshot()))
	assert.Equal(t, b, readBody(t, l))
	assert.Equal(t, uint64(20), l.LastIndex())
	assert.Equal(t, uint64(1), l.FirstIndex(), "nothing compacted yet")
	assert.Equal(t, m.Size, l.SnapshotBytes())

	// A second snapshot replaces the first; the older file goes.
	saveSnap(t, l, 18, body(10, 2))
	files, err := filepath.Glob(filepath.Join(dir, snapDirName, "*"))
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(dir, snapDirName, snapshotName(18))}, files)

	// Refusals are definite.
	_, err = l.CreateSnapshot(18, 3, nil)
	assert.ErrorIs(t, err, ErrSnapshotStale)
	_, err = l.CreateSnapshot(19, 2, nil)
	assert.ErrorIs(t, err, ErrSnapshotMismatch)
	_, err = l.CreateSnapshot(21, 3, nil)
	assert.ErrorIs(t, err, ErrSnapshotMismatch)
}

func TestSnapshotReaderDetectsDamage(t *testing.T) {
	o, _ := testOptions(1 << 20)
	dir := t.TempDir()
	l := mustOpen(t, dir, o)
	defer l.Close()
	require.NoError(t, l.Write(nil, entries(1, 5, 1, 1)))
	saveSnap(t, l, 5, body(5000, 3))
	path := filepath.Join(dir, snapDirName, snapshotName(5))
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte{0xff}, 3000)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	r, err := l.OpenSnapshot()
	require.NoError(t, err)
	defer r.Close()
	_, err = io.ReadAll(r)
	assert.ErrorIs(t, err, ErrCorrupt)
}

func TestCompactionThenRestart(t *testing.T) {
	o, _ := testOptions(400)
	dir := t.TempDir()
	l := mustOpen(t, dir, o)
	require.NoError(t, l.Write(&rafterpb.Meta{Term: 2}, append(entries(1, 40, 1, 30), entries(41, 80, 2, 30)...)))
	require.NoError(t, l.Sync())
	before := len(segPaths(t, dir))

	assert.ErrorIs(t, l.Compact(10), ErrCompactPastSnapshot, "no snapshot yet")
	saveSnap(t, l, 50, body(300, 4))
	assert.ErrorIs(t, l.Compact(51), ErrCompactPastSnapshot)
	require.NoError(t, l.Compact(50))
	first := l.FirstIndex()
	require.Greater(t, first, uint64(1))
	require.LessOrEqual(t, first, uint64(51))
	assert.Less(t, len(segPaths(t, dir)), before)
	_, err := l.Entry(first - 1)
	assert.ErrorIs(t, err, ErrCompacted)
	_, err = l.Entries(1, 5)
	assert.ErrorIs(t, err, ErrCompacted)
	term, err := l.TermAt(50)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), term)
	if first > 2 {
		_, err = l.TermAt(first - 2)
		assert.ErrorIs(t, err, ErrCompacted)
	}
	assert.Equal(t, rafterpb.ErrorCode_ERROR_CODE_NOT_FOUND, ProtoError(ErrCompacted).GetCode())
	requireNoHole(t, l)
	// Lookups work across the renumbered segments, and appends go on.
	require.NoError(t, l.Write(nil, entries(81, 120, 2, 30)))
	require.NoError(t, l.Sync())
	e, err := l.Entry(100)
	require.NoError(t, err)
	assert.Equal(t, uint64(100), e.Index)
	// Truncation after compaction still finds its segment.
	require.NoError(t, l.Write(nil, entries(90, 90, 3, 5)))
	assert.Equal(t, uint64(90), l.LastIndex())
	require.NoError(t, l.Close())

	l = mustOpen(t, dir, o)
	assert.Equal(t, first, l.FirstIndex())
	assert.Equal(t, uint64(90), l.LastIndex())
	assert.Equal(t, uint64(50), l.SnapshotIndex())
	requireNoHole(t, l)
	// Compact again past a newer snapshot.
	saveSnap(t, l, 89, body(10, 5))
	require.NoError(t, l.Compact(89))
	requireNoHole(t, l)
	first = l.FirstIndex()
	require.NoError(t, l.Close())
	l = mustOpen(t, dir, o)
	defer l.Close()
	assert.Equal(t, first, l.FirstIndex())
	requireNoHole(t, l)
}

// TestSnapshotCrashAtEveryStep copies the directory at every step of a save
// (what a crash there would leave) and reopens each copy: each holds a
// usable snapshot (old or new) and a log without a hole.
func TestSnapshotCrashAtEveryStep(t *testing.T) {
	o, _ := testOptions(300)
	dir := t.TempDir()
	copies := map[string]string{}
	o.snapHook = func(point string) { copies[point] = copyDir(t, dir) }
	l := mustOpen(t, dir, o)
	require.NoError(t, l.Write(&rafterpb.Meta{Term: 1}, entries(1, 60, 1, 20)))
	require.NoError(t, l.Sync())
	old, oldBody := saveSnap(t, l, 20, body(2000, 6)), body(2000, 6)
	require.NoError(t, l.Compact(20))
	clear(copies)
	newBody := body(3000, 7)
	saved := saveSnap(t, l, 50, newBody)
	require.NoError(t, l.Close())
	require.Len(t, copies, 4)

	// After the rename, before the old file's removal: both files; the
	// newest wins and recovery removes the old one.
	require.FileExists(t, filepath.Join(copies["after-rename"], snapDirName, snapshotName(20)))
	require.FileExists(t, filepath.Join(copies["before-fsync"], snapDirName, snapshotName(50)+tmpSuffix))
	want := map[string]*rafterpb.SnapshotMeta{"before-fsync": old, "before-rename": old, "after-rename": saved, "after-remove": saved}
	for point, d := range copies {
		t.Run(point, func(t *testing.T) {
			o2, _ := testOptions(300)
			l, err := Open(d, o2)
			require.NoError(t, err)
			defer l.Close()
			assert.True(t, proto.Equal(want[point], l.Snapshot()), "snapshot after a crash %s", point)
			if want[point] == old {
				assert.Equal(t, oldBody, readBody(t, l))
			} else {
				assert.Equal(t, newBody, readBody(t, l))
			}
			requireNoHole(t, l)
			assert.Equal(t, uint64(60), l.LastIndex())
			tmps, _ := filepath.Glob(filepath.Join(d, snapDirName, "*"+tmpSuffix))
			assert.Empty(t, tmps, "temp files removed at start")
		})
	}
}

// corruptFile flips one byte of path at off (from the end if off < 0).
func corruptFile(t testing.TB, path string, off int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	if off < 0 {
		off += int64(len(b))
	}
	b[off] ^= 0x55
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

func TestSnapshotCorruptNewest(t *testing.T) {
	setup := func(t *testing.T, compact bool) (dir string, newPath string) {
		o, _ := testOptions(300)
		dir = t.TempDir()
		var both string
		o.snapHook = func(point string) {
			if point == "after-rename" {
				both = copyDir(t, dir)
			}
		}
		l := mustOpen(t, dir, o)
		require.NoError(t, l.Write(&rafterpb.Meta{Term: 1}, entries(1, 60, 1, 20)))
		saveSnap(t, l, 20, body(500, 8))
		saveSnap(t, l, 50, body(500, 9))
		if compact {
			require.NoError(t, l.Compact(50))
			require.Greater(t, l.FirstIndex(), uint64(21))
			// Crash state with both snapshot files, but a log compacted
			// past the older one.
			require.NoError(t, l.Close())
			old := filepath.Join(both, snapDirName, snapshotName(20))
			data, err := os.ReadFile(old)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, snapDirName, snapshotName(20)), data, 0o644))
			return dir, filepath.Join(dir, snapDirName, snapshotName(50))
		}
		require.NoError(t, l.Close())
		return both, filepath.Join(both, snapDirName, snapshotName(50))
	}
	for _, where := range []struct {
		name string
		off  int64
	}{{"header", 6}, {"body", -10}, {"torn", -1}} {
		t.Run(where.name+"/log covers the gap", func(t *testing.T) {
			dir, newPath := setup(t, false)
			if where.name == "torn" {
				require.NoError(t, os.Truncate(newPath, 100))
			} else {
				corruptFile(t, newPath, where.off)
			}
			o, logs := testOptions(300)
			l, err := Open(dir, o)
			require.NoError(t, err)
			defer l.Close()
			assert.Equal(t, uint64(20), l.SnapshotIndex(), "falls back to the previous snapshot")
			assert.Equal(t, body(500, 8), readBody(t, l))
			requireNoHole(t, l)
			assert.Contains(t, logs.String(), "corrupt snapshot set aside")
			assert.FileExists(t, newPath+corruptSuffix)
		})
		t.Run(where.name+"/log compacted", func(t *testing.T) {
			dir, newPath := setup(t, true)
			if where.name == "torn" {
				require.NoError(t, os.Truncate(newPath, 100))
			} else {
				corruptFile(t, newPath, where.off)
			}
			o, _ := testOptions(300)
			_, err := Open(dir, o)
			var ce *CorruptError
			require.True(t, errors.As(err, &ce), "got %v", err)
			assert.Equal(t, newPath, ce.File)
			assert.Contains(t, err.Error(), "refusing to fall back")
			assert.FileExists(t, newPath, "nothing set aside when refusing")
		})
	}
	t.Run("only snapshot corrupt, log compacted", func(t *testing.T) {
		o, _ := testOptions(300)
		dir := t.TempDir()
		l := mustOpen(t, dir, o)
		require.NoError(t, l.Write(nil, entries(1, 60, 1, 20)))
		saveSnap(t, l, 50, body(500, 9))
		require.NoError(t, l.Compact(50))
		require.NoError(t, l.Close())
		p := filepath.Join(dir, snapDirName, snapshotName(50))
		corruptFile(t, p, -3)
		_, err := Open(dir, o)
		var ce *CorruptError
		require.True(t, errors.As(err, &ce), "got %v", err)
		assert.Equal(t, p, ce.File)
	})
}

// TestRecoverFinishesInterruptedInstallReset: a snapshot whose index the
// log holds with another term (an install that crashed before its log
// reset) makes recovery discard the log, as the install would have.
func TestRecoverFinishesInterruptedInstallReset(t *testing.T) {
	o, logs := testOptions(300)
	src := t.TempDir()
	l := mustOpen(t, src, o)
	require.NoError(t, l.Write(&rafterpb.Meta{Term: 4}, append(entries(1, 30, 1, 5), entries(31, 40, 4, 5)...)))
	saveSnap(t, l, 35, body(100, 10))
	require.NoError(t, l.Close())

	dir := t.TempDir()
	l = mustOpen(t, dir, o)
	require.NoError(t, l.Write(&rafterpb.Meta{Term: 2}, append(entries(1, 30, 1, 5), entries(31, 50, 2, 5)...)))
	require.NoError(t, l.Close())
	require.NoError(t, os.Mkdir(filepath.Join(dir, snapDirName), 0o755))
	data, err := os.ReadFile(filepath.Join(src, snapDirName, snapshotName(35)))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, snapDirName, snapshotName(35)), data, 0o644))

	l = mustOpen(t, dir, o)
	defer l.Close()
	assert.Equal(t, uint64(35), l.LastIndex())
	assert.Equal(t, uint64(4), l.LastTerm())
	assert.Equal(t, uint64(36), l.FirstIndex())
	assert.Contains(t, logs.String(), "interrupted install reset")
	require.NoError(t, l.Write(nil, entries(36, 36, 5, 1)))
	assert.Empty(t, segPaths(t, dir)[1:], "old segments gone")
}

func TestSnapshotHeaderRoundTrip(t *testing.T) {
	h := snapHeader{index: 7, term: 3, bodySize: 99, bodyCRC: 0xdeadbeef, config: testConfig("x", "y")}
	b, err := encodeSnapHeader(h)
	require.NoError(t, err)
	got, n, err := decodeSnapHeader(append(b, 1, 2, 3))
	require.NoError(t, err)
	assert.Equal(t, len(b), n)
	assert.Equal(t, h.index, got.index)
	assert.Equal(t, h.bodyCRC, got.bodyCRC)
	assert.True(t, proto.Equal(h.config, got.config))
	for i := range b {
		_, _, err := decodeSnapHeader(b[:i])
		assert.Error(t, err, "prefix %d", i)
		bad := bytes.Clone(b)
		bad[i] ^= 1
		_, _, err = decodeSnapHeader(bad)
		assert.Error(t, err, "flipped byte %d", i)
	}
}
