package logserver

import (
	"bytes"
	"flag"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rafter-go/rafter/rafterpb"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

var seedFlag = flag.Uint64("seed", 0, "seed for randomized logserver tests (0: time-based)")

// testRand returns a seeded source and logs the seed so a failure replays
// with -seed.
func testRand(t testing.TB) *rand.Rand {
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -seed %d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// logBuf is a goroutine-safe buffer for a test logger.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *logBuf) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func testOptions(segBytes int64) (Options, *logBuf) {
	buf := &logBuf{}
	o := DefaultOptions()
	o.SegmentBytes = segBytes
	o.Logger = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return o, buf
}

func mustOpen(t testing.TB, dir string, o Options) *FileLog {
	t.Helper()
	l, err := Open(dir, o)
	require.NoError(t, err)
	return l
}

// entry builds one entry; payload size n, content from rng (or zeros).
func entry(rng *rand.Rand, index, term uint64, n int) *rafterpb.Entry {
	cmd := make([]byte, n)
	if rng != nil {
		for i := range cmd {
			cmd[i] = byte(rng.Uint32())
		}
	}
	return &rafterpb.Entry{Term: term, Index: index, Type: rafterpb.EntryType_ENTRY_TYPE_OP, Cmd: cmd}
}

func configEntry(index, term uint64, names ...string) *rafterpb.Entry {
	c := &rafterpb.Config{State: rafterpb.ConfigState_CONFIG_STATE_STABLE}
	for _, n := range names {
		c.OldServers = append(c.OldServers, &rafterpb.Peer{Name: n})
	}
	return &rafterpb.Entry{Term: term, Index: index, Type: rafterpb.EntryType_ENTRY_TYPE_CONFIG, Config: c}
}

func entries(from, to, term uint64, n int) []*rafterpb.Entry {
	var es []*rafterpb.Entry
	for i := from; i <= to; i++ {
		es = append(es, entry(nil, i, term, n))
	}
	return es
}

// model is the reference a FileLog is compared with in randomized tests:
// a plain slice, with no files, no checks and no compaction.
type model struct {
	entries []*rafterpb.Entry // entries[i] has index i+1
	meta    *rafterpb.Meta
	floor   uint64
}

// write applies a write that the FileLog accepted (check-and-append).
func (m *model) write(meta *rafterpb.Meta, es []*rafterpb.Entry) {
	if len(es) > 0 {
		m.entries = append(m.entries[:es[0].GetIndex()-1], es...)
	}
	if meta != nil {
		m.meta = meta
	}
}

func (m *model) lastIndex() uint64 { return uint64(len(m.entries)) }

// requireSameLog checks that got holds exactly what want holds, from got's
// first index on.
func requireSameLog(t testing.TB, want *model, got *FileLog) {
	t.Helper()
	require.Equal(t, want.lastIndex(), got.LastIndex(), "last index")
	var wantTerm uint64
	if n := len(want.entries); n > 0 {
		wantTerm = want.entries[n-1].GetTerm()
	}
	require.Equal(t, wantTerm, got.LastTerm(), "last term")
	first := got.FirstIndex()
	ge, err := got.Entries(first, got.LastIndex()+1)
	require.NoError(t, err)
	we := want.entries[first-1:]
	require.Equal(t, len(we), len(ge))
	for i := range we {
		require.True(t, proto.Equal(we[i], ge[i]), "entry %d: want %v got %v", first+uint64(i), we[i], ge[i])
	}
	require.True(t, proto.Equal(want.meta, got.Meta()), "meta: want %v got %v", want.meta, got.Meta())
}

// dirBytes reads every file of dir, to show that nothing changed on disk.
func dirBytes(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		out[e.Name()] = b
	}
	return out
}

// copyDir copies the regular files of src (and of its snap/ directory)
// into a fresh directory.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	copyFiles(t, src, dst)
	return dst
}

func copyFiles(t testing.TB, src, dst string) {
	ents, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range ents {
		if e.IsDir() {
			require.NoError(t, os.Mkdir(filepath.Join(dst, e.Name()), 0o755))
			copyFiles(t, filepath.Join(src, e.Name()), filepath.Join(dst, e.Name()))
			continue
		}
		in, err := os.Open(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		out, err := os.Create(filepath.Join(dst, e.Name()))
		require.NoError(t, err)
		_, err = io.Copy(out, in)
		require.NoError(t, err)
		require.NoError(t, in.Close())
		require.NoError(t, out.Close())
	}
}

func segPaths(t testing.TB, dir string) []string {
	t.Helper()
	p, err := filepath.Glob(filepath.Join(dir, "*"+segSuffix))
	require.NoError(t, err)
	return p
}
