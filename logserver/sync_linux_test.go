package logserver

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/metrics"
	"github.com/rafter-go/rafter/rafterpb"
)

// TestHoldPolicyTurns: one held call at a time, none with several logs open
// or one P, and a slow held call turns holding off for the pause.
func TestHoldPolicyTurns(t *testing.T) {
	h := newHoldPolicy(time.Hour, 50*time.Millisecond)
	require.True(t, h.enter(1, 2), "one log, two Ps: held")
	require.False(t, h.enter(1, 2), "a second call while the first holds")
	h.exit(time.Millisecond)
	require.True(t, h.enter(0, 2), "free again after exit")
	h.exit(time.Millisecond)
	require.False(t, h.enter(2, 2), "two logs in the process")
	require.False(t, h.enter(1, 1), "one P")
	require.EqualValues(t, 2, h.held.Load())

	h.slowSync = time.Millisecond
	require.True(t, h.enter(1, 2))
	h.exit(2 * time.Millisecond) // slow: off for the pause
	require.False(t, h.enter(1, 2), "off after a slow held call")
	require.EqualValues(t, 1, h.slow.Load())
	require.Eventually(t, func() bool {
		if !h.enter(1, 2) {
			return false
		}
		h.exit(0)
		return true
	}, 5*time.Second, 5*time.Millisecond, "on again after the pause")
}

// TestHeldFdatasyncSyncs: both ways of calling fdatasync sync a real file
// and report the kernel's refusal (a pipe).
func TestHeldFdatasyncSyncs(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	require.NoError(t, err)
	defer f.Close()
	_, err = f.Write([]byte("record"))
	require.NoError(t, err)

	h := newHoldPolicy(time.Hour, time.Hour)
	require.NoError(t, h.fdatasync(f.Fd(), 1, 2))
	require.EqualValues(t, 1, h.held.Load(), "held")
	require.NoError(t, h.fdatasync(f.Fd(), 3, 2))
	require.EqualValues(t, 1, h.held.Load(), "plain: three logs open")

	r, w, err := os.Pipe() // fdatasync on a pipe: EINVAL, either way
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	require.ErrorIs(t, h.fdatasync(w.Fd(), 1, 2), syscall.EINVAL)
	require.ErrorIs(t, h.fdatasync(w.Fd(), 3, 2), syscall.EINVAL)
	require.EqualValues(t, 2, h.held.Load())
	require.False(t, h.inFlight.Load(), "the turn is given back after an error")
}

// TestOpenLogsCounted: Open and Close keep the count fdatasync's policy reads.
func TestOpenLogsCounted(t *testing.T) {
	base := openLogs.Load()
	o, _ := testOptions(1 << 20)
	a := mustOpen(t, t.TempDir(), o)
	b := mustOpen(t, t.TempDir(), o)
	require.Equal(t, base+2, openLogs.Load())
	require.NoError(t, a.Close())
	require.NoError(t, a.Close()) // twice: counted once
	require.Equal(t, base+1, openLogs.Load())
	require.NoError(t, b.Close())
	require.Equal(t, base, openLogs.Load())
}

// TestSlowHeldSyncWarns: a log alone in the process syncs holding its P; a
// held call slower than the limit turns holding off and Sync logs it.
func TestSlowHeldSyncWarns(t *testing.T) {
	require.Zero(t, openLogs.Load(), "every earlier test closed its logs")
	saved := holding
	t.Cleanup(func() { holding = saved })
	holding = newHoldPolicy(0, time.Hour) // every held call is "slow"

	o, buf := testOptions(1 << 20)
	reg := prometheus.NewRegistry()
	set, err := metrics.New(reg)
	require.NoError(t, err)
	o.Metrics = set.Peer("a").LogServer()
	l := mustOpen(t, t.TempDir(), o)
	defer l.Close()
	require.NoError(t, l.Write(nil, []*rafterpb.Entry{entry(nil, 1, 1, 100)}))
	require.NoError(t, l.Sync())
	require.EqualValues(t, 1, holding.held.Load(), "the only log held its P")
	require.EqualValues(t, 1, holding.slow.Load())
	require.Contains(t, buf.String(), "slow fdatasync")
	require.Equal(t, 1.0, slowHeldCount(t, reg), "the peer's counter has the slow call")

	require.NoError(t, l.Write(nil, []*rafterpb.Entry{entry(nil, 2, 1, 100)}))
	require.NoError(t, l.Sync())
	require.EqualValues(t, 1, holding.held.Load(), "off after the slow call")
	require.Equal(t, 1.0, slowHeldCount(t, reg), "a plain call is not counted")
}

// slowHeldCount is the value of the one series of
// rafter_log_slow_held_fsyncs_total in reg.
func slowHeldCount(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == "rafter_log_slow_held_fsyncs_total" {
			require.Len(t, mf.GetMetric(), 1)
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("no rafter_log_slow_held_fsyncs_total")
	return 0
}
