package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/examples/bench/benchkit"
)

// Children of this test binary run as the bench program: benchkit's
// RunProcs re-executes os.Args[0], which under `go test` is this test
// binary.
func TestMain(m *testing.M) { os.Exit(benchkit.ChildMain(m, main)) }

// A short real "procs" run: three OS processes (this test binary as the
// bench program), one per peer over 127.0.0.1; the leader's process runs
// the clients and reports, and every process exits when stdin closes.
func TestRunProcs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three peer processes with fsync; skipped with -short")
	}
	benchkit.ActAsChild(t)
	p := point{transport: "procs", op: "write", clients: 4, size: 16,
		warmup: 200 * time.Millisecond, duration: 500 * time.Millisecond, stats: true}
	args := []string{"-transport", "procs", "-op", "write", "-clients", "4", "-size", "16",
		"-warmup", p.warmup.String(), "-duration", p.duration.String(), "-stats=true"}
	res, err := benchkit.RunProcs(args, peerRole, t.TempDir(), p.warmup+p.duration)
	require.NoError(t, err)
	assert.Positive(t, res.Ops)
	assert.Zero(t, res.Errors)
	assert.True(t, res.Procs)
	assert.Equal(t, "procs", res.Transport)
	assert.Positive(t, res.LeaderSyncs, "the leader's log server was asked for its stats")
}

// With -trace every peer process keeps its hops, and the table across
// processes has the follower's: its fdatasync, for one.
func TestRunProcsTracesAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three peer processes with fsync; skipped with -short")
	}
	benchkit.ActAsChild(t)
	dir := t.TempDir()
	args := []string{"-transport", "procs", "-op", "write", "-clients", "4", "-size", "16",
		"-warmup", "200ms", "-duration", "500ms", "-trace", "0.5"}
	_, err := benchkit.RunProcs(args, peerRole, dir, 700*time.Millisecond)
	require.NoError(t, err)
	var files []string
	for i := range benchkit.Peers {
		files = append(files, eventsFile(benchkit.PeerDir(dir, i)))
		require.FileExists(t, files[i])
	}
	var out bytes.Buffer
	require.NoError(t, crossTrace(&out, append(files, filepath.Join(dir, "missing"))), "a missing file is skipped")
	assert.Contains(t, out.String(), "trace across processes")
	m := regexp.MustCompile(`follower fdatasync\s+(\d+)`).FindStringSubmatch(out.String())
	require.Len(t, m, 2, out.String())
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	assert.Positive(t, n, "writes with the follower's fdatasync stamped:\n%s", out.String())
}

// A peer process given a bad command line exits at once (it does not
// serve), so the run ends with benchkit.ErrNoResult without waiting out
// its timeout.
func TestRunProcsPeerFails(t *testing.T) {
	benchkit.ActAsChild(t)
	start := time.Now()
	_, err := benchkit.RunProcs([]string{"-transport", "procs", "-clients", "0"}, peerRole, t.TempDir(), time.Second)
	require.ErrorIs(t, err, benchkit.ErrNoResult)
	assert.Less(t, time.Since(start), benchkit.ProcsSlack/2, "did not wait for the timeout")
}

func TestRunPeerProcessRefusesBadID(t *testing.T) {
	p := point{transport: "procs", op: "write", clients: 1}
	for _, c := range []struct {
		id    int
		addrs []string
	}{
		{-1, []string{"a:1", "b:2", "c:3"}},
		{3, []string{"a:1", "b:2", "c:3"}},
		{0, []string{"a:1"}},
	} {
		assert.Error(t, runPeerProcess(p, c.id, c.addrs, t.TempDir()), "%+v", c)
	}
}
