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

// requireSameLog checks that got holds exactly what want holds.
func requireSameLog(t testing.TB, want, got Log) {
	t.Helper()
	require.Equal(t, want.LastIndex(), got.LastIndex(), "last index")
	require.Equal(t, want.LastTerm(), got.LastTerm(), "last term")
	we, err := want.Entries(1, want.LastIndex()+1)
	require.NoError(t, err)
	ge, err := got.Entries(1, got.LastIndex()+1)
	require.NoError(t, err)
	require.Equal(t, len(we), len(ge))
	for i := range we {
		require.True(t, proto.Equal(we[i], ge[i]), "entry %d: want %v got %v", i+1, we[i], ge[i])
	}
	require.True(t, proto.Equal(want.LatestConfig(), got.LatestConfig()), "latest config: want %v got %v", want.LatestConfig(), got.LatestConfig())
	require.True(t, proto.Equal(want.Meta(), got.Meta()), "meta: want %v got %v", want.Meta(), got.Meta())
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

// copyDir copies the regular files of src into a fresh directory.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range ents {
		in, err := os.Open(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		out, err := os.Create(filepath.Join(dst, e.Name()))
		require.NoError(t, err)
		_, err = io.Copy(out, in)
		require.NoError(t, err)
		require.NoError(t, in.Close())
		require.NoError(t, out.Close())
	}
	return dst
}

func segPaths(t testing.TB, dir string) []string {
	t.Helper()
	p, err := filepath.Glob(filepath.Join(dir, "*"+segSuffix))
	require.NoError(t, err)
	return p
}
