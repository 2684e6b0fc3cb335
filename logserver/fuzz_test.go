package logserver

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rafter-go/rafter/rafterpb"
	"github.com/stretchr/testify/require"
)

// FuzzRecover opens a directory holding arbitrary bytes as its first
// segment and (if non-empty) as its meta file. Open must never panic; it
// either fails with a *CorruptError or yields a consistent log that reads
// back, accepts the next entry and reopens to the same state.
func FuzzRecover(f *testing.F) {
	seedDir := f.TempDir()
	o, _ := testOptions(1 << 20)
	l, err := Open(seedDir, o)
	require.NoError(f, err)
	require.NoError(f, l.Write(&rafterpb.Meta{Term: 3, VotedFor: &rafterpb.Peer{Name: "a"}},
		append(entries(1, 3, 1, 7), configEntry(4, 2, "a", "b"), entry(nil, 5, 3, 0))))
	require.NoError(f, l.Close())
	seg, err := os.ReadFile(filepath.Join(seedDir, segmentName(1)))
	require.NoError(f, err)
	meta, err := os.ReadFile(filepath.Join(seedDir, metaName))
	require.NoError(f, err)
	f.Add(seg, meta)
	f.Add(seg[:len(seg)-3], meta)
	f.Add(seg[:40], []byte{})
	f.Add(append(append([]byte(nil), seg...), make([]byte, 30)...), []byte{})
	f.Add([]byte{}, meta[:10])
	f.Add(make([]byte, 64), []byte{})
	f.Fuzz(func(t *testing.T, seg, meta []byte) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, segmentName(1)), seg, 0o644))
		if len(meta) > 0 {
			require.NoError(t, os.WriteFile(filepath.Join(dir, metaName), meta, 0o644))
		}
		o, _ := testOptions(1 << 20)
		l, err := Open(dir, o)
		if err != nil {
			var ce *CorruptError
			require.True(t, errors.As(err, &ce), "Open failed with a non-corruption error: %v", err)
			return
		}
		if len(meta) > 0 {
			require.NotNil(t, l.Meta(), "a meta file that opened must give metadata")
		}
		last, term := l.LastIndex(), l.LastTerm()
		es, err := l.Entries(1, last+1)
		require.NoError(t, err)
		require.Len(t, es, int(last))
		for i, e := range es {
			require.Equal(t, uint64(i+1), e.GetIndex())
		}
		require.NoError(t, l.Write(nil, []*rafterpb.Entry{entry(nil, last+1, term, 3)}))
		require.NoError(t, l.Close())
		l, err = Open(dir, o)
		require.NoError(t, err)
		require.Equal(t, last+1, l.LastIndex())
		require.NoError(t, l.Close())
	})
}
