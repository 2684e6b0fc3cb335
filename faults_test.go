package rafter_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/cluster"
	"github.com/rafter-go/rafter/supervisor"
)

// Issue 5 acceptance: while 16 goroutines write, Kill the leader's
// consensus actor, then a follower's log actor, then StopNode and StartNode
// a peer on the same data dir; every acknowledged write is present
// afterwards on every peer, and the failed writes carried documented
// errors.
func TestFaultInjectionUnderLoad(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 3})
	s := c.Client()
	c.Configure()
	c.WaitLeader()

	l := startLoad(t, s, 16, func(g, i int) rafter.Peer { return c.Peers[(g+i)%len(c.Peers)] })
	l.waitAcked(100, "warm-up")

	leader := c.WaitLeader()
	t.Logf("kill the consensus actor of the leader %s", leader)
	require.NoError(t, s.Kill(leader, rafter.ActorConsensus))
	l.waitAcked(100, "after killing the leader's consensus actor")

	leader = c.WaitLeader()
	follower := c.Peers[(c.Index(leader)+1)%len(c.Peers)]
	t.Logf("kill the log actor of the follower %s", follower)
	require.NoError(t, s.Kill(follower, rafter.ActorLog))
	l.waitAcked(100, "after killing a follower's log actor")

	restarted := c.Peers[(c.Index(c.WaitLeader())+2)%len(c.Peers)]
	t.Logf("stop and start %s on the same data dir", restarted)
	c.Restart(restarted)
	l.waitAcked(100, "after restarting a peer")

	acked := l.finish()
	c.WaitConverged()
	requireAllPresent(t, c, acked)
}

// Exceeding the supervisor's restart intensity (5 restarts in 10 s) stops
// the peer: later calls report ErrStopped with the reason, which is logged.
func TestRestartIntensityStopsPeer(t *testing.T) {
	logs := &logCounter{}
	c := cluster.Start(t, cluster.Config{N: 1, Logger: slog.New(logs)})
	s, p := c.Client(), c.Peers[0]
	alive := func() bool {
		return c.PollEvery(100*time.Millisecond, func(ctx context.Context) bool {
			_, err := s.Status(ctx, p)
			return err == nil
		})
	}
	for i := range 5 {
		require.NoError(t, s.Kill(p, rafter.ActorConsensus), "kill %d", i+1)
		require.True(t, alive(), "peer back after kill %d", i+1)
	}
	require.NoError(t, s.Kill(p, rafter.ActorConsensus), "the sixth kill")
	var err error
	// A request that reaches the consensus actor while it stops is answered
	// ErrStopped at once too (issue 12); the peer is down for good once the
	// error carries the supervisor's reason.
	require.True(t, c.PollEvery(100*time.Millisecond, func(ctx context.Context) bool {
		_, err = s.Status(ctx, p)
		return errors.Is(err, supervisor.ErrRestartIntensity)
	}), "the peer never stopped: %v", err)
	assert.ErrorIs(t, err, rafter.ErrStopped)
	assert.ErrorIs(t, err, supervisor.ErrRestartIntensity, "the error carries the reason")
	_, err = s.Op(context.Background(), p, []byte("x"))
	assert.ErrorIs(t, err, rafter.ErrStopped)
	assert.Positive(t, logs.matching("peer stopped by its supervisor"), "the reason is logged")

	// StartNode brings the stopped peer back on its data dir.
	require.NoError(t, s.StartNode(p, c.Opts[0]))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = s.Status(ctx, p)
	require.NoError(t, err)
}
