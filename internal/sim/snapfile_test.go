package sim

import (
	"errors"
	"testing"

	"github.com/rafter-go/rafter/rafterpb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The log server model's snapshot operations on their own, against what
// logserver does (install.go, snapsave.go, compact.go, recover_snap.go).

var testConf = &rafterpb.Config{State: rafterpb.ConfigState_CONFIG_STATE_STABLE,
	OldServers: []*rafterpb.Peer{{Name: "p1"}, {Name: "p2"}, {Name: "p3"}}}

func TestSnapFileRoundTrip(t *testing.T) {
	f := encodeSnap(12, 3, testConf, 7, []byte("table"))
	assert.Equal(t, uint64(len(f.data)), f.meta.GetSize())
	g, err := decodeSnap(f.data)
	require.NoError(t, err)
	assert.Equal(t, f.data, g.data)
	assert.Equal(t, uint64(7), g.count)
	assert.Equal(t, "p3", g.meta.GetConfig().GetOldServers()[2].GetName())

	bad := append([]byte(nil), f.data...)
	bad[17] ^= 1 // the counter
	_, err = decodeSnap(bad)
	assert.ErrorIs(t, err, errSnapInvalid)
	_, err = decodeSnap(f.data[:10])
	assert.ErrorIs(t, err, errSnapInvalid)
}

// storeWithLog is a store whose durable log and view hold entries 1..n of
// term 1.
func storeWithLog(n uint64) *store {
	s := &store{}
	for i := uint64(1); i <= n; i++ {
		e := ent(i, 1, "c")
		s.log = append(s.log, e)
		s.view.push(e)
	}
	return s
}

func chunkOf(f *snapFile, off, n uint64) *rafterpb.InstallSnapshot {
	end := min(off+n, f.meta.GetSize())
	return &rafterpb.InstallSnapshot{LastIncludedIndex: f.meta.GetIndex(), LastIncludedTerm: f.meta.GetTerm(),
		Offset: off, TotalSize: f.meta.GetSize(), Data: f.data[off:end], Done: end == f.meta.GetSize()}
}

func TestStoreInstallTakesOnlyTheExpectedOffset(t *testing.T) {
	s := storeWithLog(3)
	f := encodeSnap(10, 2, testConf, 4, nil)
	r, got := s.installChunk(chunkOf(f, 8, 8)) // from the future, no partial file
	require.NoError(t, r.Err)
	assert.Nil(t, got)
	assert.Zero(t, r.NextOffset, "start from the beginning")
	assert.Nil(t, s.partial)

	r, _ = s.installChunk(chunkOf(f, 0, 8))
	assert.Equal(t, uint64(8), r.NextOffset)
	r, _ = s.installChunk(chunkOf(f, 0, 8)) // a duplicate changes nothing
	assert.Equal(t, uint64(8), r.NextOffset)
	r, _ = s.installChunk(chunkOf(f, 4, 8)) // an overlap takes the new bytes only
	assert.Equal(t, uint64(12), r.NextOffset)
	r, _ = s.installChunk(chunkOf(f, 20, 8)) // a gap: resume at 12
	assert.Equal(t, uint64(12), r.NextOffset)

	r, got = s.installChunk(chunkOf(f, 12, f.meta.GetSize()))
	require.NoError(t, r.Err)
	require.NotNil(t, got)
	assert.True(t, r.Done)
	assert.Equal(t, uint64(4), s.snap.count)
	assert.Nil(t, s.partial)
	// The log is reset by the caller, once the install is through.
	s.resetLog(10, 2, func(uint64) uint64 { return 99 }, false)
	assert.Equal(t, uint64(10), s.view.off)
	assert.Equal(t, uint64(10), s.logLast())
	assert.Empty(t, s.log)

	// The last chunk again (duplicated): installed already.
	r, got = s.installChunk(chunkOf(f, 12, f.meta.GetSize()))
	assert.True(t, r.Done)
	assert.Nil(t, got)
	// An older snapshot: stale.
	r, _ = s.installChunk(chunkOf(encodeSnap(9, 2, testConf, 3, nil), 0, 4))
	assert.ErrorIs(t, r.Err, errSnapStale)
}

func TestStoreInstallAbortsAndRefuses(t *testing.T) {
	s := storeWithLog(3)
	f, g := encodeSnap(10, 2, testConf, 4, nil), encodeSnap(11, 2, testConf, 5, nil)
	s.installChunk(chunkOf(f, 0, 8))
	r, _ := s.installChunk(chunkOf(g, 8, 8)) // another snapshot aborts the partial file
	assert.Zero(t, r.NextOffset)
	assert.Nil(t, s.partial)

	in := chunkOf(f, 0, 8)
	in.TotalSize = 4 // smaller than any file
	r, _ = s.installChunk(in)
	assert.ErrorIs(t, r.Err, errBadChunk)

	// A file whose header names another snapshot is refused whole.
	h := encodeSnap(12, 2, testConf, 4, nil)
	in = chunkOf(h, 0, h.meta.GetSize())
	in.LastIncludedIndex = 13
	r, got := s.installChunk(in)
	assert.ErrorIs(t, r.Err, errSnapInvalid)
	assert.Nil(t, got)
	assert.Nil(t, s.snap)
}

// Raft §7: the log after the snapshot stays if it holds the snapshot's
// index with its term.
func TestStoreResetKeepsAMatchingLog(t *testing.T) {
	s := storeWithLog(6)
	s.resetLog(4, 1, func(uint64) uint64 { return 0 }, false)
	assert.Equal(t, uint64(6), s.view.last())
	assert.Equal(t, uint64(6), s.logLast())
	s.resetLog(5, 2, func(uint64) uint64 { return 0 }, false)
	assert.Equal(t, uint64(5), s.view.off)
	assert.Equal(t, uint64(5), s.view.last())
}

func TestStoreSaveAndCompact(t *testing.T) {
	s := storeWithLog(8)
	assert.ErrorIs(t, s.checkSave(&rafterpb.SnapshotMeta{Index: 9, Term: 1}), errSnapMismatch, "not in the log")
	assert.ErrorIs(t, s.checkSave(&rafterpb.SnapshotMeta{Index: 5, Term: 2}), errSnapMismatch, "another term")
	assert.ErrorIs(t, s.compact(2, false), errCompactPast, "no snapshot yet")
	require.NoError(t, s.commitSave(encodeSnap(5, 1, testConf, 5, nil)))
	assert.ErrorIs(t, s.checkSave(&rafterpb.SnapshotMeta{Index: 5, Term: 1}), errSnapStale)
	assert.ErrorIs(t, s.commitSave(encodeSnap(4, 1, testConf, 4, nil)), errSnapStale, "an older save never replaces a newer one")
	assert.ErrorIs(t, s.compact(6, false), errCompactPast)
	require.NoError(t, s.compact(3, false))
	assert.Equal(t, uint64(3), s.view.off)
	assert.Equal(t, uint64(3), s.logOff)
	assert.Len(t, s.log, 5)
}

// Recovery: the log must continue the snapshot; one that does not is
// reset after it; one that starts after it has a hole.
func TestStoreReconcile(t *testing.T) {
	s := storeWithLog(8)
	s.snap = encodeSnap(5, 1, testConf, 5, nil)
	reset, err := s.reconcile()
	require.NoError(t, err)
	assert.False(t, reset)
	assert.Equal(t, uint64(5), s.logOff)
	assert.Len(t, s.log, 3)

	s = storeWithLog(4) // ends before the snapshot: an install's reset to finish
	s.snap = encodeSnap(5, 2, testConf, 5, nil)
	reset, err = s.reconcile()
	require.NoError(t, err)
	assert.True(t, reset)
	assert.Equal(t, uint64(5), s.logOff)
	assert.Empty(t, s.log)

	s = storeWithLog(8) // another term at the snapshot's index
	s.snap = encodeSnap(5, 2, testConf, 5, nil)
	reset, err = s.reconcile()
	require.NoError(t, err)
	assert.True(t, reset)

	s = storeWithLog(0)
	s.logOff = 7
	s.snap = encodeSnap(5, 2, testConf, 5, nil)
	_, err = s.reconcile()
	require.Error(t, err, "entries 6..7 missing")
	assert.False(t, errors.Is(err, errSnapInvalid))
}

// A follower's durable log holds 1..5 of term 1 (5 never committed); the
// leader of term 2 replaces 5, and the follower applies the committed 5/2,
// snapshots it and compacts at 5 before its own write of 5/2 is durable.
// If the compaction left that write pending (Faults.CompactUnsynced), a
// crash keeps the snapshot 5/2 above a log compacted from the stale 5/1:
// recovery cannot tell whether what follows continues the snapshot, and
// reports it. The log server syncs what it was handed first, so the
// compaction cuts at the durable 5/2 and recovery keeps the log.
func TestStoreCompactSyncsPendingWritesFirst(t *testing.T) {
	for _, unsynced := range []bool{true, false} {
		s := storeWithLog(5)
		s.log = append(s.log, ent(6, 1, "stale"))
		s.view.push(s.log[5])
		written, err := s.handOver(&rafterpb.Meta{Term: 2}, []*rafterpb.Entry{ent(5, 2, "c5")})
		require.NoError(t, err)
		s.pending = append(s.pending, &write{seq: 1, entries: written})
		require.NoError(t, s.commitSave(encodeSnap(5, 2, testConf, 5, nil)))
		require.NoError(t, s.compact(5, unsynced))
		require.NoError(t, s.crash(0, nil))
		_, err = s.reconcile()
		if unsynced {
			assert.ErrorContains(t, err, "log compacted at the snapshot index 5 from an entry of term 1")
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, uint64(5), s.logOff)
		assert.Equal(t, uint64(2), s.logOffTerm)
		assert.Empty(t, s.log, "the stale 6/1 went with the truncating write")
	}
}
