package logserver

import (
	"fmt"
	"os"
	"path/filepath"
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
				if cut > 0 {
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

// TestCrashZeroFilledTail: a file system that extended the segment without
// its data leaves zeros; that too is a torn tail.
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
	defer l.Close()
	assert.Equal(t, uint64(3), l.LastIndex())
	assert.Contains(t, logs.String(), "torn")
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
