package logserver

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rafter-go/rafter/rafterpb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

// leaderWithSnapshot makes a log with entries 1..80 (terms 1, then 2 from
// 41) and a snapshot at 60 holding b.
func leaderWithSnapshot(t *testing.T, b []byte) *FileLog {
	t.Helper()
	o, _ := testOptions(500)
	l := mustOpen(t, t.TempDir(), o)
	t.Cleanup(func() { _ = l.Close() })
	require.NoError(t, l.Write(nil, append(entries(1, 40, 1, 10), entries(41, 80, 2, 10)...)))
	saveSnap(t, l, 60, b)
	return l
}

// send moves the leader's snapshot to the follower in chunks of size n,
// through a link that drops, duplicates and reorders (rng), until done.
func send(t *testing.T, leader, follower *FileLog, n int, lossy bool) *rafterpb.LogInstallReply {
	t.Helper()
	rng := testRand(t)
	meta := leader.Snapshot()
	var next uint64
	var held []*rafterpb.LogInstallChunk
	for round := 0; round < 10_000; round++ {
		data, _, replaced, err := leader.ReadSnapshotChunk(meta.Index, next, n)
		require.NoError(t, err)
		require.False(t, replaced)
		c := &rafterpb.LogInstallChunk{Index: meta.Index, Term: meta.Term, TotalSize: meta.Size, Offset: next, Data: data}
		batch := []*rafterpb.LogInstallChunk{c}
		if lossy {
			switch rng.IntN(5) {
			case 0:
				batch = nil // dropped
			case 1:
				batch = append(batch, c) // duplicated
			case 2:
				held = append(held, c) // delayed: delivered later, out of order
				batch = nil
			}
			if len(held) > 0 && rng.IntN(3) == 0 {
				batch = append(batch, held[0])
				held = held[1:]
			}
		}
		for _, c := range batch {
			r, err := follower.InstallChunk(c)
			require.NoError(t, err)
			if r.Done {
				return r
			}
			next = r.NextOffset
		}
		if len(batch) == 0 && rng.IntN(2) == 0 {
			// The leader times out and resends from where it last heard.
			continue
		}
		if !lossy {
			continue
		}
		next = min(next+uint64(rng.IntN(2)*n), meta.Size-1) // sometimes run ahead (pipelining)
	}
	t.Fatal("install never finished")
	return nil
}

func TestInstallOverLossyLink(t *testing.T) {
	b := body(50_000, 11)
	leader := leaderWithSnapshot(t, b)
	for _, tc := range []struct {
		name  string
		lossy bool
	}{{"clean", false}, {"dropped, duplicated, reordered", true}} {
		t.Run(tc.name, func(t *testing.T) {
			o, _ := testOptions(500)
			dir := t.TempDir()
			f := mustOpen(t, dir, o)
			require.NoError(t, f.Write(&rafterpb.Meta{Term: 2}, entries(1, 10, 1, 10)))
			r := send(t, leader, f, 4096, tc.lossy)
			assert.True(t, proto.Equal(leader.Snapshot(), r.Snapshot))
			assert.Equal(t, uint64(60), r.LastIndex)
			assert.Equal(t, b, readBody(t, f))
			// The log did not hold 60: it was reset and continues after it.
			assert.Equal(t, uint64(61), f.FirstIndex())
			term, err := f.TermAt(60)
			require.NoError(t, err)
			assert.Equal(t, uint64(2), term)
			require.NoError(t, f.Write(nil, entries(61, 61, 2, 1)))
			// A duplicated last chunk after the install is harmless.
			meta := leader.Snapshot()
			r, err = f.InstallChunk(&rafterpb.LogInstallChunk{Index: 60, Term: 2, TotalSize: meta.Size, Offset: meta.Size - 1, Data: []byte{0}})
			require.NoError(t, err)
			assert.True(t, r.Done)
			assert.Equal(t, uint64(61), f.LastIndex())
			require.NoError(t, f.Close())
			f = mustOpen(t, dir, o)
			defer f.Close()
			assert.Equal(t, uint64(61), f.LastIndex())
			assert.Equal(t, b, readBody(t, f))
		})
	}
}

// TestInstallKeepsMatchingSuffix: Raft §7: if the log holds the snapshot's
// last included entry with its term, the entries after it are kept.
func TestInstallKeepsMatchingSuffix(t *testing.T) {
	leader := leaderWithSnapshot(t, body(3000, 12))
	o, _ := testOptions(500)
	f := mustOpen(t, t.TempDir(), o)
	defer f.Close()
	require.NoError(t, f.Write(nil, append(entries(1, 40, 1, 10), entries(41, 70, 2, 10)...)))
	r := send(t, leader, f, 1000, false)
	assert.Equal(t, uint64(70), r.LastIndex)
	assert.Equal(t, uint64(70), f.LastIndex())
	requireNoHole(t, f)

	// A log with another term at the snapshot index is discarded.
	g := mustOpen(t, t.TempDir(), o)
	defer g.Close()
	require.NoError(t, g.Write(nil, append(entries(1, 40, 1, 10), entries(41, 70, 3, 10)...)))
	r = send(t, leader, g, 1000, false)
	assert.Equal(t, uint64(60), r.LastIndex)
	assert.Equal(t, uint64(2), g.LastTerm())
}

func TestInstallRefusals(t *testing.T) {
	b := body(20_000, 13)
	leader := leaderWithSnapshot(t, b)
	meta := leader.Snapshot()
	o, _ := testOptions(500)
	dir := t.TempDir()
	f := mustOpen(t, dir, o)
	defer f.Close()
	chunk := func(off uint64, n int) *rafterpb.LogInstallChunk {
		data, _, _, err := leader.ReadSnapshotChunk(60, off, n)
		require.NoError(t, err)
		return &rafterpb.LogInstallChunk{Index: 60, Term: 2, TotalSize: meta.Size, Offset: off, Data: data}
	}
	tmp := filepath.Join(dir, snapDirName, installTmpName)

	// A chunk before the first: the follower asks for offset 0.
	r, err := f.InstallChunk(chunk(1000, 1000))
	require.NoError(t, err)
	assert.Equal(t, uint64(0), r.NextOffset)
	assert.NoFileExists(t, tmp)

	// A chunk past the declared size is refused and aborts the partial.
	_, err = f.InstallChunk(chunk(0, 1000))
	require.NoError(t, err)
	over := chunk(1000, 1000)
	over.TotalSize = 1500
	_, err = f.InstallChunk(over)
	assert.ErrorIs(t, err, ErrBadChunk)
	assert.NoFileExists(t, tmp)
	_, err = f.InstallChunk(&rafterpb.LogInstallChunk{Index: 60, Term: 2, TotalSize: 3, Data: []byte{1}})
	assert.ErrorIs(t, err, ErrBadChunk, "smaller than any header")
	_, err = f.InstallChunk(&rafterpb.LogInstallChunk{Index: 60, Term: 2, TotalSize: 1 << 62, Offset: 1<<64 - 2, Data: []byte{1, 2, 3}})
	assert.ErrorIs(t, err, ErrBadChunk, "offset overflow")

	// A newer offer aborts a partial install.
	_, err = f.InstallChunk(chunk(0, 1000))
	require.NoError(t, err)
	r, err = f.InstallChunk(&rafterpb.LogInstallChunk{Index: 70, Term: 2, TotalSize: 5000, Offset: 0, Data: make([]byte, 10)})
	require.NoError(t, err)
	assert.Equal(t, uint64(10), r.NextOffset)
	assert.Equal(t, uint64(70), f.install.index)

	// Bytes that are not the offered snapshot fail the end-to-end check.
	bogus := make([]byte, 5000)
	r, err = f.InstallChunk(&rafterpb.LogInstallChunk{Index: 70, Term: 2, TotalSize: 5000, Offset: 10, Data: bogus[10:]})
	assert.ErrorIs(t, err, ErrSnapshotInvalid)
	assert.False(t, r.Done)
	assert.NoFileExists(t, tmp)
	assert.Nil(t, f.Snapshot(), "nothing installed")

	// The real snapshot with a flipped body byte fails too.
	whole, _, _, err := leader.ReadSnapshotChunk(60, 0, int(meta.Size))
	require.NoError(t, err)
	whole[len(whole)-5] ^= 1
	_, err = f.InstallChunk(&rafterpb.LogInstallChunk{Index: 60, Term: 2, TotalSize: meta.Size, Data: whole})
	assert.ErrorIs(t, err, ErrSnapshotInvalid)

	// Offered as another term than its header says: refused.
	whole[len(whole)-5] ^= 1
	_, err = f.InstallChunk(&rafterpb.LogInstallChunk{Index: 60, Term: 3, TotalSize: meta.Size, Data: whole})
	assert.ErrorIs(t, err, ErrSnapshotInvalid)

	// Installed; then an older offer is stale.
	r, err = f.InstallChunk(&rafterpb.LogInstallChunk{Index: 60, Term: 2, TotalSize: meta.Size, Data: whole})
	require.NoError(t, err)
	require.True(t, r.Done)
	_, err = f.InstallChunk(&rafterpb.LogInstallChunk{Index: 50, Term: 2, TotalSize: 100})
	assert.ErrorIs(t, err, ErrSnapshotStale)
	entriesLeft, _ := os.ReadDir(filepath.Join(dir, snapDirName))
	assert.Len(t, entriesLeft, 1, "one snapshot file, no temp")
}

// TestServeChunksReplaced: a leader reading chunks of a snapshot that a
// newer one replaced is told so.
func TestServeChunksReplaced(t *testing.T) {
	l := leaderWithSnapshot(t, body(100, 14))
	_, _, replaced, err := l.ReadSnapshotChunk(60, 0, 10)
	require.NoError(t, err)
	assert.False(t, replaced)
	saveSnap(t, l, 70, body(100, 15))
	_, _, replaced, err = l.ReadSnapshotChunk(60, 0, 10)
	require.NoError(t, err)
	assert.True(t, replaced)
	_, _, _, err = l.ReadSnapshotChunk(70, 1<<20, 10)
	assert.ErrorIs(t, err, ErrBadChunk)
}

// TestInstallAndSaveInterleaved: a save committing during a partial install
// leaves the install's temp file alone, and an install completing during a
// save leaves the save's; the save, now older than the installed snapshot,
// is refused as stale and removes only its own temp file.
func TestInstallAndSaveInterleaved(t *testing.T) {
	leader := leaderWithSnapshot(t, body(10_000, 16))
	meta := leader.Snapshot()
	o, _ := testOptions(500)
	dir := t.TempDir()
	f := mustOpen(t, dir, o)
	defer f.Close()
	require.NoError(t, f.Write(nil, entries(1, 30, 1, 10)))
	whole, _, _, err := leader.ReadSnapshotChunk(60, 0, int(meta.Size))
	require.NoError(t, err)
	chunk := func(from, to uint64) *rafterpb.LogInstallChunk {
		return &rafterpb.LogInstallChunk{Index: 60, Term: 2, TotalSize: meta.Size, Offset: from, Data: whole[from:to]}
	}
	_, err = f.InstallChunk(chunk(0, 100))
	require.NoError(t, err)
	saveSnap(t, f, 10, body(100, 17)) // commits while the install is partial
	r, err := f.InstallChunk(chunk(100, 200))
	require.NoError(t, err)
	assert.Equal(t, uint64(200), r.NextOffset, "the partial install survived the save")

	w, err := f.CreateSnapshot(20, 1, nil)
	require.NoError(t, err)
	_, err = w.Write(body(100, 18))
	require.NoError(t, err)
	r, err = f.InstallChunk(chunk(200, meta.Size))
	require.NoError(t, err)
	require.True(t, r.Done)
	require.NoError(t, w.Finish(), "the install left the save's temp file alone")
	_, err = f.CommitSnapshot(w)
	assert.ErrorIs(t, err, ErrSnapshotStale)
	files, err := os.ReadDir(filepath.Join(dir, snapDirName))
	require.NoError(t, err)
	require.Len(t, files, 1)
	assert.Equal(t, snapshotName(60), files[0].Name())
}
