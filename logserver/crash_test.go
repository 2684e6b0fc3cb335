package logserver

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rafter-go/rafter/rafterpb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

// TestCrashTornTailEveryOffset: the last write is cut at every byte offset of
// its record (a crash mid-write). Every entry acknowledged before it is
// intact, the cut is logged with file and offset, and the log accepts new
// appends. Two cases: the last record in the middle of a segment, and the
// last record alone in a freshly rolled segment.
func TestCrashTornTailEveryOffset(t *testing.T) {
	recSize := int64(headerSize + proto.Size(entry(nil, 1, 1, 60)))
	for _, tc := range []struct {
		name     string
		before   int   // entries acknowledged before the torn write
		segBytes int64 // roll size
	}{{"mid-segment", 5, 1 << 20}, {"first record of a new segment", 6, 3 * recSize}} {
		t.Run(tc.name, func(t *testing.T) {
			o, _ := testOptions(tc.segBytes)
			src := t.TempDir()
			l := mustOpen(t, src, o)
			require.NoError(t, l.Write(&rafterpb.Meta{Term: 2}, entries(1, uint64(tc.before), 1, 60)))
			require.NoError(t, l.Sync())
			acked, err := l.Entries(1, l.LastIndex()+1)
			require.NoError(t, err)
			last := entry(nil, uint64(tc.before+1), 2, 60)
			require.NoError(t, l.Write(nil, []*rafterpb.Entry{last}))
			at := l.locs.last()
			atSeg := l.segOf(at).path
			require.NoError(t, l.Close())
			if tc.segBytes < 1<<20 {
				require.Equal(t, int64(0), at.off, "the torn record must start a segment")
			}
			for cut := int64(0); cut < int64(at.size); cut++ {
				dir := copyDir(t, src)
				seg := filepath.Join(dir, filepath.Base(atSeg))
				require.NoError(t, os.Truncate(seg, at.off+cut))
				o, logs := testOptions(tc.segBytes)
				l, err := Open(dir, o)
				require.NoError(t, err, "cut at %d", cut)
				got, err := l.Entries(1, l.LastIndex()+1)
				require.NoError(t, err)
				require.Equal(t, len(acked), len(got), "cut at %d", cut)
				for i := range acked {
					require.True(t, proto.Equal(acked[i], got[i]))
				}
				assert.Equal(t, uint64(2), l.Meta().GetTerm())
				data, err := os.ReadFile(seg)
				require.NoError(t, err)
				if cut > 0 && !allZero(data[at.off:]) {
					// A cut inside the header's leading zeros reads as
					// the zeros after the records: nothing to report.
					assert.Contains(t, logs.String(), seg, "cut at %d: torn tail logged with the file", cut)
					assert.Contains(t, logs.String(), fmt.Sprintf("offset=%d", at.off), "cut at %d: logged with the offset", cut)
				}
				// The log accepts the write again, durably.
				require.NoError(t, l.Write(nil, []*rafterpb.Entry{last}))
				require.NoError(t, l.Close())
				l = mustOpen(t, dir, o)
				e, err := l.Entry(last.Index)
				require.NoError(t, err)
				require.True(t, proto.Equal(last, e))
				require.NoError(t, l.Close())
			}
		})
	}
}

// TestCrashZeroFilledTail: zeros after the last record (the space written
// ahead of the records, or a file system that extended the segment without
// its data) end the records quietly: nothing is cut or reported, and new
// records overwrite the zeros.
func TestCrashZeroFilledTail(t *testing.T) {
	dir := t.TempDir()
	o, logs := testOptions(1 << 20)
	l := mustOpen(t, dir, o)
	require.NoError(t, l.Write(&rafterpb.Meta{Term: 1}, entries(1, 3, 1, 10)))
	require.NoError(t, l.Close())
	seg := segPaths(t, dir)[0]
	f, err := os.OpenFile(seg, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write(make([]byte, 100))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	l = mustOpen(t, dir, o)
	assert.Equal(t, uint64(3), l.LastIndex())
	assert.NotContains(t, logs.String(), "torn")
	require.NoError(t, l.Write(nil, entries(4, 4, 1, 10)))
	require.NoError(t, l.Close())
	l = mustOpen(t, dir, o)
	defer l.Close()
	got, err := l.Entries(1, 5)
	require.NoError(t, err)
	assert.Len(t, got, 4)
}

// TestCrashMetaTempEveryOffset: a crash while meta.tmp is being written, at
// every byte offset, leaves the previous metadata; a crash after the rename
// leaves the new one. Term and vote are never lost or reset.
func TestCrashMetaTempEveryOffset(t *testing.T) {
	old := &rafterpb.Meta{Term: 7, VotedFor: &rafterpb.Peer{Name: "a", Node: "h:1"}}
	next := &rafterpb.Meta{Term: 8, VotedFor: &rafterpb.Peer{Name: "b", Node: "h:2"}}
	nextBytes, err := encodeMeta(next)
	require.NoError(t, err)
	for _, blank := range []bool{false, true} {
		t.Run(fmt.Sprintf("blank=%v", blank), func(t *testing.T) {
			o, _ := testOptions(1 << 20)
			src := t.TempDir()
			l := mustOpen(t, src, o)
			var last uint64 // a blank peer has neither metadata nor entries
			if !blank {
				require.NoError(t, l.Write(old, entries(1, 2, 1, 5)))
				last = 2
			}
			require.NoError(t, l.Close())
			for cut := 0; cut <= len(nextBytes); cut++ {
				dir := copyDir(t, src)
				require.NoError(t, os.WriteFile(filepath.Join(dir, metaTmpName), nextBytes[:cut], 0o644))
				o, logs := testOptions(1 << 20)
				l, err := Open(dir, o)
				require.NoError(t, err, "cut at %d", cut)
				if blank {
					assert.Nil(t, l.Meta())
				} else {
					assert.True(t, proto.Equal(old, l.Meta()), "cut at %d: got %v", cut, l.Meta())
				}
				assert.Contains(t, logs.String(), metaTmpName)
				_, err = os.Stat(filepath.Join(dir, metaTmpName))
				assert.ErrorIs(t, err, os.ErrNotExist)
				assert.Equal(t, last, l.LastIndex())
				require.NoError(t, l.Write(next, entries(last+1, last+1, 8, 5)))
				require.NoError(t, l.Close())
				l = mustOpen(t, dir, o)
				assert.True(t, proto.Equal(next, l.Meta()))
				require.NoError(t, l.Close())
			}
			// Crash after the rename, before the directory fsync: the new file.
			dir := copyDir(t, src)
			require.NoError(t, os.WriteFile(filepath.Join(dir, metaName), nextBytes, 0o644))
			l = mustOpen(t, dir, o)
			assert.True(t, proto.Equal(next, l.Meta()))
			require.NoError(t, l.Close())
		})
	}
}

// TestZeroAheadSegments: the last segment's file runs ahead of its records
// in zeros, so that records overwrite space already in the file; a full
// segment is cut to its records before the next one is created, so only
// the last segment ever ends in zeros; and reopening reads the zeros as the
// end of the records, quietly, and writes over them.
func TestZeroAheadSegments(t *testing.T) {
	dir := t.TempDir()
	const segBytes = 3 << 20
	o, logs := testOptions(segBytes)
	l := mustOpen(t, dir, o)
	require.NoError(t, l.Write(&rafterpb.Meta{Term: 1}, entries(1, 10, 1, 100)))
	require.NoError(t, l.Sync())
	fileLen := func(path string) int64 {
		st, err := os.Stat(path)
		require.NoError(t, err)
		return st.Size()
	}
	seg := l.segs[0]
	records := seg.size
	assert.Equal(t, records+zeroAhead, fileLen(seg.path), "a MiB of zeros after the records")
	// More records overwrite the zeros until fewer than a quarter is left.
	require.NoError(t, l.Write(nil, entries(11, 20, 1, 100)))
	require.NoError(t, l.Sync())
	assert.Equal(t, records+zeroAhead, fileLen(seg.path), "written over the zeros")
	// Fill past SegmentBytes: the full segment is cut to its records.
	big := 64 << 10
	n := uint64(segBytes/big + 2)
	require.NoError(t, l.Write(nil, entries(21, 20+n, 1, big)))
	require.NoError(t, l.Sync())
	require.Greater(t, len(l.segs), 1)
	for _, s := range l.segs[:len(l.segs)-1] {
		assert.Equal(t, s.size, fileLen(s.path), "%s: a full segment holds only records", s.path)
		assert.LessOrEqual(t, s.size, int64(segBytes))
	}
	tail := l.segs[len(l.segs)-1]
	assert.Greater(t, fileLen(tail.path), tail.size, "the last segment runs ahead in zeros")
	lastIndex := l.LastIndex()
	want, err := l.Entries(1, lastIndex+1)
	require.NoError(t, err)
	require.NoError(t, l.Close())

	l = mustOpen(t, dir, o)
	assert.Equal(t, lastIndex, l.LastIndex())
	assert.Empty(t, logs.String(), "the zeros are not a torn tail")
	require.NoError(t, l.Write(nil, entries(lastIndex+1, lastIndex+1, 1, 100)))
	require.NoError(t, l.Close())
	l = mustOpen(t, dir, o)
	defer l.Close()
	got, err := l.Entries(1, lastIndex+2)
	require.NoError(t, err)
	require.Len(t, got, len(want)+1)
	for i := range want {
		require.True(t, proto.Equal(want[i], got[i]), "entry %d", i+1)
	}
}

// TestCrashTornSectors: a crash before the fdatasync of a write over the
// zeros keeps any subset of the disk sectors it touched. For every sector of
// an unacknowledged write left unwritten (and for random subsets), Open
// keeps every acknowledged entry and a prefix of the new ones, cuts the rest
// and logs the cut; it does not refuse to start.
func TestCrashTornSectors(t *testing.T) {
	o, _ := testOptions(1 << 20)
	src := t.TempDir()
	l := mustOpen(t, src, o)
	require.NoError(t, l.Write(&rafterpb.Meta{Term: 1}, entries(1, 7, 1, 90)))
	require.NoError(t, l.Sync())
	acked := l.LastIndex()
	from := l.segs[0].size
	rng := rand.New(rand.NewPCG(1, 2))
	var batch []*rafterpb.Entry
	for i := acked + 1; i <= acked+30; i++ {
		batch = append(batch, entry(rng, i, 1, 60+rng.IntN(200)))
	}
	require.NoError(t, l.Write(nil, batch))
	require.NoError(t, l.Sync())
	to := l.segs[0].size
	all, err := l.Entries(1, l.LastIndex()+1)
	require.NoError(t, err)
	segPath := l.segs[0].path
	require.NoError(t, l.Close())
	require.Greater(t, to-from, int64(4*sectorSize), "the write spans several sectors")

	// check opens a copy whose sectors of the new write listed in lost
	// are zeros again.
	check := func(lost []int64) {
		dir := copyDir(t, src)
		path := filepath.Join(dir, filepath.Base(segPath))
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		require.NoError(t, err)
		for _, sec := range lost {
			lo, hi := max(sec*sectorSize, from), min((sec+1)*sectorSize, to)
			_, err := f.WriteAt(make([]byte, hi-lo), lo)
			require.NoError(t, err)
		}
		require.NoError(t, f.Close())
		o, logs := testOptions(1 << 20)
		l, err := Open(dir, o)
		require.NoError(t, err, "sectors %v unwritten", lost)
		defer l.Close()
		require.GreaterOrEqual(t, l.LastIndex(), acked, "sectors %v: acknowledged entries kept", lost)
		require.Less(t, l.LastIndex(), acked+uint64(len(batch)), "sectors %v: the damaged record is cut", lost)
		got, err := l.Entries(1, l.LastIndex()+1)
		require.NoError(t, err)
		for i := range got {
			require.True(t, proto.Equal(all[i], got[i]), "sectors %v: entry %d", lost, i+1)
		}
		if l.LastIndex() < acked+uint64(len(batch)) && !strings.Contains(logs.String(), "torn") {
			// Only a cut at a record boundary followed by zeros is quiet.
			at := l.locs.last()
			end := at.off + int64(at.size)
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			require.True(t, allZero(data[end:]), "sectors %v: a cut inside written bytes is logged", lost)
		}
	}
	first, last := from/sectorSize, (to-1)/sectorSize
	for sec := first; sec <= last; sec++ {
		check([]int64{sec})
	}
	for range 200 {
		var lost []int64
		for sec := first; sec <= last; sec++ {
			if rng.IntN(3) == 0 {
				lost = append(lost, sec)
			}
		}
		if len(lost) > 0 {
			check(lost)
		}
	}
}
