package main

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// childEnv makes the test binary act as the baseline program: runProcs
// re-executes os.Args[0], which under `go test` is this test binary.
const childEnv = "RAFTER_BASELINE_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

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
	res, err := runProcs(p, t.TempDir(), childArgs)
	require.NoError(t, err)
	assert.Positive(t, res.Ops)
	assert.Zero(t, res.Errors)
	assert.True(t, res.Procs)
	assert.Equal(t, "tcp", res.Transport)
	assert.Positive(t, res.LeaderSyncs)
}

// Peer processes that fail (here: a bad command line) end the run at
// once with errNoResult instead of waiting out the run's timeout.
func TestRunProcsPeerFails(t *testing.T) {
	t.Setenv(childEnv, "1")
	p := point{transport: "tcp", store: "wal", procs: true, clients: 1, warmup: time.Second, duration: time.Second}
	bad := func(point, string) []string { return []string{"-transport", "tcp", "-clients", "0"} }
	start := time.Now()
	_, err := runProcs(p, t.TempDir(), bad)
	require.ErrorIs(t, err, errNoResult)
	assert.Contains(t, err.Error(), "ended early")
	assert.Less(t, time.Since(start), procsSlack/2, "did not wait for the timeout")
}
