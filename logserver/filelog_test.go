package logserver

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rafter-go/rafter/rafterpb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFileLogRoundTripManySegments drives a FileLog with small segments and a
// model through random appends, truncations, metadata changes, commit
// floors, snapshots with compaction, and reopens, and compares them after
// every step.
func TestFileLogRoundTripManySegments(t *testing.T) {
	rng := testRand(t)
	dir := t.TempDir()
	o, _ := testOptions(512)
	fl := mustOpen(t, dir, o)
	m := &model{}
	term, reopens, snaps := uint64(1), 0, 0
	for step := 0; step < 400; step++ {
		var meta *rafterpb.Meta
		if step == 0 || rng.IntN(10) == 0 {
			// The first write carries metadata, as the consensus actor's
			// does: a log with entries and no meta file does not open.
			if step > 0 {
				term++
			}
			meta = &rafterpb.Meta{Term: term, VotedFor: &rafterpb.Peer{Name: "p", Node: "n"}}
		}
		from := m.lastIndex() + 1
		if rng.IntN(6) == 0 && m.lastIndex() > m.floor+1 {
			// Truncate a conflicting suffix above the commit floor.
			from = m.floor + 1 + rng.Uint64N(m.lastIndex()-m.floor)
			term++
		}
		var es []*rafterpb.Entry
		for i := 0; i < 1+rng.IntN(8); i++ {
			if rng.IntN(15) == 0 {
				es = append(es, configEntry(from+uint64(i), term, "a", "b", "c"))
			} else {
				es = append(es, entry(rng, from+uint64(i), term, rng.IntN(300)))
			}
		}
		require.NoError(t, fl.Write(meta, es), "step %d", step)
		m.write(meta, es)
		if rng.IntN(4) == 0 {
			floor := rng.Uint64N(m.lastIndex() + 1)
			m.floor = max(m.floor, floor)
			fl.SetCommitFloor(floor)
		}
		if rng.IntN(3) == 0 {
			require.NoError(t, fl.Sync())
		}
		if rng.IntN(30) == 0 && m.floor > fl.SnapshotIndex() {
			// Snapshot a committed index and compact behind it.
			at := fl.SnapshotIndex() + 1 + rng.Uint64N(m.floor-fl.SnapshotIndex())
			require.NoError(t, fl.Sync())
			saveSnap(t, fl, at, body(rng.IntN(500), byte(step)))
			require.NoError(t, fl.Compact(at-rng.Uint64N(at)))
			snaps++
		}
		if rng.IntN(25) == 0 {
			require.NoError(t, fl.Close())
			fl = mustOpen(t, dir, o)
			fl.SetCommitFloor(m.floor)
			reopens++
		}
		requireSameLog(t, m, fl)
	}
	require.NoError(t, fl.Close())
	fl = mustOpen(t, dir, o)
	defer fl.Close()
	requireSameLog(t, m, fl)
	segs := segPaths(t, dir)
	t.Logf("%d entries in %d segments, %d reopens, %d snapshots, first index %d", m.lastIndex(), len(segs), reopens, snaps, fl.FirstIndex())
	assert.Greater(t, len(segs), 3, "segment rolls")
	if snaps > 0 {
		assert.Greater(t, fl.FirstIndex(), uint64(1), "compaction dropped front segments")
	}
	for _, p := range segs {
		st, err := os.Stat(p)
		require.NoError(t, err)
		assert.LessOrEqual(t, st.Size(), int64(512+headerSize+400), "segment %s over the roll size by more than one record", p)
	}
}

func TestFileLogBigRecordGetsOwnSegment(t *testing.T) {
	dir := t.TempDir()
	o, _ := testOptions(100)
	l := mustOpen(t, dir, o)
	require.NoError(t, l.Write(&rafterpb.Meta{Term: 1}, []*rafterpb.Entry{entry(nil, 1, 1, 10), entry(nil, 2, 1, 500), entry(nil, 3, 1, 10)}))
	require.NoError(t, l.Close())
	assert.Len(t, segPaths(t, dir), 3)
	l = mustOpen(t, dir, o)
	defer l.Close()
	e, err := l.Entry(2)
	require.NoError(t, err)
	assert.Len(t, e.Cmd, 500)
}

func TestFileLogTruncateRemovesLaterSegments(t *testing.T) {
	dir := t.TempDir()
	o, _ := testOptions(200)
	l := mustOpen(t, dir, o)
	require.NoError(t, l.Write(&rafterpb.Meta{Term: 1}, entries(1, 30, 1, 50)))
	require.NoError(t, l.Sync())
	n := len(segPaths(t, dir))
	require.Greater(t, n, 5)
	// Truncate at the first index of the second segment, then append.
	second := l.segs[1].first
	require.NoError(t, l.Write(nil, entries(second, second, 2, 5)))
	require.NoError(t, l.Close())
	assert.Len(t, segPaths(t, dir), 2)
	l = mustOpen(t, dir, o)
	defer l.Close()
	assert.Equal(t, second, l.LastIndex())
	assert.Equal(t, uint64(2), l.LastTerm())
}

func TestFileLogMetaSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	o, _ := testOptions(1 << 20)
	l := mustOpen(t, dir, o)
	require.NoError(t, l.Write(&rafterpb.Meta{Term: 3, VotedFor: &rafterpb.Peer{Name: "b", Node: "h:1"}}, nil))
	require.NoError(t, l.Write(&rafterpb.Meta{Term: 4}, nil))
	require.NoError(t, l.Sync())
	require.NoError(t, l.Close())
	l = mustOpen(t, dir, o)
	defer l.Close()
	assert.Equal(t, uint64(4), l.Meta().GetTerm())
	assert.Nil(t, l.Meta().GetVotedFor())
	_, err := os.Stat(filepath.Join(dir, metaTmpName))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestFileLogLockedDirectory(t *testing.T) {
	dir := t.TempDir()
	o, _ := testOptions(1 << 20)
	l := mustOpen(t, dir, o)
	_, err := Open(dir, o)
	require.ErrorIs(t, err, ErrLocked)
	require.NoError(t, l.Close())
	l = mustOpen(t, dir, o)
	require.NoError(t, l.Close())
}

func TestOptionsValidate(t *testing.T) {
	require.NoError(t, DefaultOptions().Validate())
	for _, f := range []func(*Options){
		func(o *Options) { o.SegmentBytes = 0 },
		func(o *Options) { o.MaxEntryBytes = 0 },
		func(o *Options) { o.MaxEntryBytes = maxPayload + 1 },
		func(o *Options) { o.Logger = nil },
	} {
		o := DefaultOptions()
		f(&o)
		err := o.Validate()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "logserver: Options.")
		_, err = Open(t.TempDir(), o)
		assert.Error(t, err)
	}
}

func TestFileLogEntryTooLarge(t *testing.T) {
	o, _ := testOptions(1 << 20)
	o.MaxEntryBytes = 100
	l := mustOpen(t, t.TempDir(), o)
	defer l.Close()
	require.ErrorIs(t, l.Write(nil, []*rafterpb.Entry{entry(nil, 1, 1, 200)}), ErrEntryTooLarge)
	assert.Equal(t, uint64(0), l.LastIndex())
}
