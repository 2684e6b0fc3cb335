package main

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/examples/bench/benchkit"
)

// Children of this test binary run as the baseline program: -procs runs
// re-execute os.Args[0], which under `go test` is this test binary.
func TestMain(m *testing.M) { os.Exit(benchkit.ChildMain(m, main)) }

// A short real -procs run: three OS processes, one peer each over TCP on
// 127.0.0.1; the leader's process runs the clients and reports, and every
// process exits when its stdin closes.
func TestRunProcs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three peer processes with fsync; skipped with -short")
	}
	benchkit.ActAsChild(t)
	p := point{transport: "tcp", store: "wal", procs: true, clients: 4, size: 16,
		warmup: 200 * time.Millisecond, duration: 500 * time.Millisecond}
	res, err := runOnce(p, t.TempDir())
	require.NoError(t, err)
	assert.Equal(t, "tcp", res.Transport)
	assert.True(t, res.Ops > 0 && res.Errors == 0 && res.Procs && res.LeaderSyncs > 0,
		"ops, no errors, procs and the leader's batches counted: %+v", res)
}

// A node given a bad -id refuses it and exits instead of serving.
func TestRunNodeRefusesBadID(t *testing.T) {
	p := point{transport: "tcp", store: "wal", procs: true, clients: 1}
	three := []string{"a:1", "b:2", "c:3"}
	assert.Error(t, runNode(p, -1, three, t.TempDir()))
	assert.Error(t, runNode(p, 3, three, t.TempDir()))
	assert.Error(t, runNode(p, 0, three[:1], t.TempDir()), "three peers")
}
