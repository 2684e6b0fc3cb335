package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/examples/bench/benchkit"
	"github.com/rafter-go/rafter/internal/hoptrace"
)

// The state machine passes benchkit's Store through: a malformed command
// is refused, a good one is read back by its key.
func TestKVApply(t *testing.T) {
	s := newKV()
	_, err := s.Apply(1, []byte{1, 2, 3})
	assert.ErrorIs(t, err, benchkit.ErrBadCommand)
	_, err = s.Apply(2, benchkit.MakeCmd("k7", 4))
	require.NoError(t, err)
	v, err := s.Read([]byte("k7"))
	require.NoError(t, err)
	assert.Len(t, v, 4)
}

// A short real run of each op on a local cluster: operations complete
// inside the window, none fails, and the leader's log stats are read.
func TestRunPointLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-peer cluster with fsync; skipped with -short")
	}
	for _, op := range []string{"write", "read"} {
		t.Run(op, func(t *testing.T) {
			p := point{transport: "local", op: op, clients: 4, size: 16, warmup: 100 * time.Millisecond,
				duration: 400 * time.Millisecond, stats: true}
			res, err := runPointHere(p, t.TempDir())
			require.NoError(t, err)
			assert.Positive(t, res.Ops)
			assert.Zero(t, res.Errors)
			assert.Positive(t, res.P50us)
			assert.Equal(t, "rafter-go", res.System)
			if op == "write" {
				assert.Positive(t, res.LeaderSyncs)
				assert.GreaterOrEqual(t, res.EntriesPerWrite, 1.0)
			}
		})
	}
}

func TestUnknownTransport(t *testing.T) {
	_, err := runPointHere(point{transport: "carrier-pigeon", op: "write", clients: 1}, t.TempDir())
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "unknown transport"))
}

// -trace, -blockprofile and -mutexprofile on a short local write run:
// every hop of the table is reached by traced writes, and both profiles
// are written.
func TestRunPointDiagnostics(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-peer cluster with fsync; skipped with -short")
	}
	dir := t.TempDir()
	var out strings.Builder
	p := point{transport: "local", op: "write", clients: 4, size: 16, warmup: 100 * time.Millisecond,
		duration: 400 * time.Millisecond, diag: diagnostics{trace: 0.5, out: &out,
			blockprofile: filepath.Join(dir, "block.pprof"), mutexprofile: filepath.Join(dir, "mutex.pprof")}}
	res, err := runPointHere(p, filepath.Join(dir, "data"))
	require.NoError(t, err)
	require.Positive(t, res.Ops)
	table := out.String()
	t.Log(table)
	require.Contains(t, table, "writes traced")
	for _, hop := range []string{"leader fdatasync", "follower fdatasync", "follower ack at leader", "commit", "answer at client"} {
		line := ""
		for _, l := range strings.Split(table, "\n") {
			if strings.HasPrefix(l, hop+" ") {
				line = l
			}
		}
		require.NotEmpty(t, line, hop)
		assert.NotRegexp(t, `^\S[^0-9]*\s+0\s`, line, "no traced write reached %q", hop)
	}
	for _, f := range []string{"block.pprof", "mutex.pprof"} {
		st, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err)
		assert.Positive(t, st.Size(), f)
	}
	_, err = diagnostics{trace: 2}.start()
	assert.ErrorIs(t, err, hoptrace.ErrBadRate)
}
