package main

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/examples/bench/benchkit"
)

// childEnv makes the test binary act as the baseline program:
// benchkit.RunProcs re-executes os.Args[0], which under `go test` is this
// test binary.
const childEnv = "RAFTER_BASELINE_TEST_CHILD"

func TestMain(m *testing.M) { os.Exit(benchkit.ChildMain(m, childEnv, main)) }

// A short real -procs run: three OS processes, one peer each over TCP on
// 127.0.0.1; the leader's process runs the clients and reports, and every
// process exits when its stdin closes.
func TestRunProcs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three peer processes with fsync; skipped with -short")
	}
	t.Setenv(childEnv, "1")
	p := point{transport: "tcp", store: "wal", procs: true, clients: 4, size: 16,
		warmup: 200 * time.Millisecond, duration: 500 * time.Millisecond}
	res, err := runOnce(p, t.TempDir())
	require.NoError(t, err)
	assert.Positive(t, res.Ops)
	assert.Zero(t, res.Errors)
	assert.True(t, res.Procs)
	assert.Equal(t, "tcp", res.Transport)
	assert.Positive(t, res.LeaderSyncs)
}

// A node given a bad -id refuses it and exits instead of serving.
func TestRunNodeRefusesBadID(t *testing.T) {
	p := point{transport: "tcp", store: "wal", procs: true, clients: 1}
	three := []string{"a:1", "b:2", "c:3"}
	assert.Error(t, runNode(p, -1, three, t.TempDir()))
	assert.Error(t, runNode(p, 3, three, t.TempDir()))
	assert.Error(t, runNode(p, 0, three[:1], t.TempDir()), "three peers")
}
