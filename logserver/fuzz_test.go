package logserver

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rafter-go/rafter/rafterpb"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
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
		// The metadata goes with the first entry, as the consensus actor
		// sends it (a log with entries and no meta file does not open).
		m := &rafterpb.Meta{Term: max(term, l.Meta().GetTerm()), VotedFor: l.Meta().GetVotedFor()}
		require.NoError(t, l.Write(m, []*rafterpb.Entry{entry(nil, last+1, term, 3)}))
		require.NoError(t, l.Close())
		l, err = Open(dir, o)
		require.NoError(t, err)
		require.Equal(t, last+1, l.LastIndex())
		require.NoError(t, l.Close())
	})
}

// FuzzDecodeSnapshotHeader: the snapshot header decoder never panics, and
// whatever it accepts re-encodes to the same bytes.
func FuzzDecodeSnapshotHeader(f *testing.F) {
	b, err := encodeSnapHeader(snapHeader{index: 7, term: 3, bodySize: 99, bodyCRC: 1, config: testConfig("x", "y")})
	require.NoError(f, err)
	f.Add(b)
	f.Add(b[:snapFixedSize])
	f.Add([]byte(snapMagic))
	f.Add(append(bytes.Clone(b), 0, 0, 0))
	f.Fuzz(func(t *testing.T, in []byte) {
		h, n, err := decodeSnapHeader(in)
		if err != nil {
			return
		}
		require.LessOrEqual(t, n, len(in))
		out, err := encodeSnapHeader(h)
		require.NoError(t, err)
		h2, n2, err := decodeSnapHeader(out)
		require.NoError(t, err)
		require.Equal(t, len(out), n2)
		require.Equal(t, h.index, h2.index)
		require.Equal(t, h.term, h2.term)
		require.Equal(t, h.bodySize, h2.bodySize)
		require.True(t, proto.Equal(h.config, h2.config))
		_ = n
	})
}

// FuzzRecoverSnapshot opens a directory whose log holds entries 1..30 and
// whose snap/ holds arbitrary bytes as the snapshot at index 20. Open must
// never panic: it refuses with a *CorruptError naming the file (the log
// covers 1..20, so a bad file is set aside instead) or yields a log that
// continues its snapshot.
func FuzzRecoverSnapshot(f *testing.F) {
	seedDir := f.TempDir()
	o, _ := testOptions(300)
	l, err := Open(seedDir, o)
	require.NoError(f, err)
	require.NoError(f, l.Write(nil, entries(1, 30, 1, 7)))
	saveSnap(f, l, 20, body(300, 1))
	require.NoError(f, l.Close())
	snap, err := os.ReadFile(filepath.Join(seedDir, snapDirName, snapshotName(20)))
	require.NoError(f, err)
	f.Add(snap)
	f.Add(snap[:len(snap)-1])
	f.Add(snap[:snapFixedSize])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, snap []byte) {
		dir := t.TempDir()
		for _, p := range segPaths(t, seedDir) {
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(p)), data, 0o644))
		}
		require.NoError(t, os.Mkdir(filepath.Join(dir, snapDirName), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, snapDirName, snapshotName(20)), snap, 0o644))
		o, _ := testOptions(300)
		l, err := Open(dir, o)
		if err != nil {
			var ce *CorruptError
			require.True(t, errors.As(err, &ce), "Open failed with a non-corruption error: %v", err)
			return
		}
		defer l.Close()
		require.Equal(t, uint64(30), l.LastIndex())
		requireNoHole(t, l)
		if l.Snapshot() != nil {
			require.Equal(t, uint64(20), l.SnapshotIndex())
		}
	})
}
