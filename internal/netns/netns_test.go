//go:build linux

package netns

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var (
	flagNetns = flag.Bool("netns", false, "run the network-namespace test (root only); or RAFTER_NETNS=1")
	flagSeed  = flag.Int64("netns.seed", 0, "workload seed (0: from the clock); or RAFTER_NETNS_SEED")
	flagKeep  = flag.Bool("netns.keep", false, "keep the data and log directory even when the test passes")
)

const howToRun = "as root: RAFTER_NETNS=1 go test -v -run TestNetns ./internal/netns (or scripts/netns-test.sh)"

// optIn skips unless the test was asked for and can run.
func optIn(t *testing.T) {
	t.Helper()
	if !*flagNetns && os.Getenv("RAFTER_NETNS") != "1" {
		t.Skip("netns: opt-in test (creates network namespaces); run " + howToRun)
	}
	if os.Geteuid() != 0 {
		t.Skip("netns: needs root to create network namespaces; run " + howToRun)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("netns: the ip command (iproute2) is missing: apt-get install iproute2; then run " + howToRun)
	}
}

func seedOf(t *testing.T) int64 {
	s := *flagSeed
	if v := os.Getenv("RAFTER_NETNS_SEED"); s == 0 && v != "" {
		var err error
		s, err = strconv.ParseInt(v, 10, 64)
		require.NoError(t, err, "RAFTER_NETNS_SEED")
	}
	if s == 0 {
		s = time.Now().UnixNano()
	}
	t.Logf("netns: seed %d (replay the workload's choices with -netns.seed=%d; the fault schedule is fixed, thread timing is not replayed)", s, s)
	return s
}

// nodeBinary is RAFTER_NETNS_NODE, or examples/node built into dir.
func nodeBinary(t *testing.T, dir string) string {
	if bin := os.Getenv("RAFTER_NETNS_NODE"); bin != "" {
		return bin
	}
	mod, err := exec.Command("go", "env", "GOMOD").Output()
	require.NoError(t, err, "go env GOMOD")
	root := filepath.Dir(strings.TrimSpace(string(mod)))
	bin := filepath.Join(dir, "node")
	cmd := exec.Command("go", "build", "-o", bin, "./examples/node")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build ./examples/node: %s", out)
	return bin
}

// workDir is a directory for data and logs, removed if the test passes
// (unless -netns.keep) and kept, with its path logged, if it fails.
func workDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "rafter-netns-")
	require.NoError(t, err)
	t.Cleanup(func() {
		if t.Failed() || *flagKeep {
			t.Logf("netns: data and node logs kept in %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	return dir
}

// TestNetnsFaults is issue 7: three examples/node processes, each in its
// own network namespace, under SIGKILL, SIGSTOP/SIGCONT and a cut link,
// with clients writing and reading through the RESP ports; then the
// remote-transport hardening checks; then the data, linearizability and
// clean-exit checks. See doc.go.
func TestNetnsFaults(t *testing.T) {
	optIn(t)
	seed := seedOf(t)
	if swept := SweepStale(); len(swept) > 0 {
		t.Logf("netns: removed namespaces of dead runs: %v", swept)
	}
	dir := workDir(t)
	bin := nodeBinary(t, dir)

	n, err := New("a", "b", "c")
	require.NoError(t, err)
	t.Cleanup(n.Close)
	cl := &Cluster{
		Net: n, Bin: bin, Dir: dir, Hosts: []string{"a", "b", "c"},
		ElectionTimeout: 500 * time.Millisecond, Heartbeat: 50 * time.Millisecond,
		OpTimeout: 1500 * time.Millisecond,
	}
	t.Cleanup(cl.KillAll) // runs before n.Close
	// Mutual TLS between the namespaces (issue 12): `node certs` makes the
	// CA and a certificate per node, the stranger d's included.
	require.NoError(t, cl.MakeCerts(filepath.Join(dir, "certs"), "a", "b", "c", "d"))
	r := &run{t: t, cl: cl, log: &RunLog{Start: time.Now()}}
	// Three election timeouts, each the longest one can be (2 × min).
	r.bound = 3 * 2 * cl.ElectionTimeout
	t.Cleanup(func() { t.Log("\n" + r.log.String()) })

	for _, h := range cl.Hosts {
		require.NoError(t, cl.Start(h), "start %s", h)
		r.event("started %s (pid %d) in namespace %s at %s", h, cl.Proc(h).PID(), n.NSName(h), cl.RaftAddr(h))
	}
	r.w = &Workload{
		C: cl, Hist: NewHistory(), Timeout: 2 * time.Second,
		Keys: keys(16),
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	r.w.Start(ctx, 4, seed)
	r.awaitWrites("cluster formed (bootstrap, table created)", r.log.Start, 30*time.Second)
	r.steady()
	r.hold(2 * time.Second)

	r.killLeader()
	r.pauseLeader()
	r.cutLeader()
	r.unreachableFollower()
	r.termRestartFollower()
	r.stranger()

	stop()
	r.w.Wait()
	r.event("workload stopped")
	r.steady()
	r.checkData()
	r.checkLinearizable()
	r.stopAll()
	r.restartIntact()
	r.checkLogs()
}

func keys(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "k" + strconv.Itoa(i)
	}
	return out
}
