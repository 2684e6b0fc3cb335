package benchkit

import (
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Children of this test binary are fake peers: RunProcs re-executes
// os.Args[0], which under `go test` is this test binary.
func TestMain(m *testing.M) { os.Exit(ChildMain(m, fakePeer)) }

// fakePeer is a peer process in miniature: peer 0 "wins the election"
// and prints a result naming its role and address count; every peer then
// serves until stdin closes. Role "fail" exits at once without a result.
func fakePeer() {
	fs := flag.NewFlagSet("peer", flag.ExitOnError)
	var c CommonFlags
	c.Register(fs, "peer")
	role := fs.String("role", "", "")
	_ = fs.Parse(os.Args[1:])
	if *role == "fail" {
		os.Exit(1)
	}
	if _, err := os.Stat(c.Dir); err == nil {
		os.Exit(2) // RunProcs gives each peer a directory of its own, not yet made
	}
	var measure func() (Result, error)
	if c.ID == 0 {
		measure = func() (Result, error) {
			return Result{Transport: *role, Procs: true, Ops: int64(len(strings.Split(c.Addrs, ",")))}, nil
		}
	}
	Exit(ServePeer(measure))
}

// Three peer processes start; the one that reports ends the run, and all
// of them exit when RunProcs closes their stdin (well before stopGrace,
// after which they would be killed).
func TestRunProcs(t *testing.T) {
	ActAsChild(t)
	start := time.Now()
	res, err := RunProcs([]string{"-clients", "1"}, "peer", t.TempDir(), time.Second)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), stopGrace, "the peers exited when their stdin closed")
	assert.Equal(t, "peer", res.Transport)
	assert.True(t, res.Procs)
	assert.Equal(t, int64(Peers), res.Ops, "each peer was given all the addresses")
}

// Peer processes that fail end the run at once with ErrNoResult instead
// of waiting out the run's timeout.
func TestRunProcsPeerFails(t *testing.T) {
	ActAsChild(t)
	start := time.Now()
	_, err := RunProcs(nil, "fail", t.TempDir(), time.Second)
	require.ErrorIs(t, err, ErrNoResult)
	assert.Contains(t, err.Error(), "ended early")
	assert.Less(t, time.Since(start), ProcsSlack/2, "did not wait for the timeout")
}

func TestRunChild(t *testing.T) {
	ActAsChild(t)
	res, err := RunChild([]string{"-role", "point", "-addrs", "a,b", "-dir", "/nonexistent/x"})
	require.NoError(t, err)
	assert.Equal(t, "point", res.Transport)
	assert.Equal(t, int64(2), res.Ops)
	_, err = RunChild([]string{"-role", "fail"})
	assert.Error(t, err)
}
