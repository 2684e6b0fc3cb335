package rafter_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/cluster"
)

// Leadership transfer under writing clients (issue 13): 100 transfers with
// 16 clients writing through all peers. Each returns within an election
// timeout with the target leading, no write is lost, failures are only the
// documented kinds; the write unavailability of each transfer is logged
// beside that of a leader kill with the same clients.
func TestTransferLeadershipUnderLoad(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 3})
	s := c.Client()
	c.Configure()
	leader := c.WaitLeader()
	l := startLoad(t, s, 16, func(g, i int) rafter.Peer { return c.Peers[(g+i)%3] })
	l.waitAcked(50, "before the transfers")

	var took, stalls []time.Duration
	for i := range 100 {
		var to rafter.Peer
		if i%2 == 0 {
			to = c.Peers[(c.Index(leader)+1)%3] // named target
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		start := time.Now()
		err := s.TransferLeadership(ctx, c.Peers[i%3], to) // via any peer: followers forward
		end := time.Now()
		cancel()
		require.NoError(t, err, "transfer %d from %s to %q", i, leader, to)
		assert.Less(t, end.Sub(start), 2*cluster.ElectionMin, "transfer %d took %v", i, end.Sub(start))
		took = append(took, end.Sub(start))
		next := c.WaitLeader()
		assert.NotEqual(t, leader, next, "transfer %d did not move the leadership", i)
		if !to.IsZero() {
			assert.Equal(t, to, next)
		}
		leader = next
		l.waitAcked(10, "after a transfer")
		stalls = append(stalls, l.stall(start, time.Now()))
	}

	// The same clients across a kill of the leader's consensus actor.
	var kills []time.Duration
	for range 3 {
		start := time.Now()
		require.NoError(t, c.SystemOf(leader).Kill(leader, rafter.ActorConsensus))
		leader = c.WaitLeader()
		l.waitAcked(10, "after a leader kill")
		kills = append(kills, l.stall(start, time.Now()))
	}
	acked := l.finish()
	c.WaitConverged()
	requireAllPresent(t, c, acked)
	p50 := func(ds []time.Duration) time.Duration { slices.Sort(ds); return ds[len(ds)/2] }
	t.Logf("100 transfers: took p50 %v max %v; write stall p50 %v max %v; leader kill stall p50 %v max %v "+
		"(election timeout %v-%v)", p50(took), slices.Max(took), p50(stalls), slices.Max(stalls),
		p50(kills), slices.Max(kills), cluster.ElectionMin, 2*cluster.ElectionMin)
}

// Bad targets fail definitely; StopNode of the leader hands over first, so
// the next leader is there in less than an election timeout.
func TestTransferLeadershipTargetsAndStop(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 3})
	s := c.Client()
	c.Configure()
	leader := c.WaitLeader()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	err := s.TransferLeadership(ctx, leader, rafter.Peer{Name: "stranger"})
	require.ErrorIs(t, err, rafter.ErrInvalidArgument)
	assert.True(t, rafter.Definite(err))
	require.NoError(t, s.TransferLeadership(ctx, leader, leader), "to itself: nothing to do")

	start := time.Now()
	require.NoError(t, c.SystemOf(leader).StopNode(leader))
	var others []rafter.Peer
	for _, p := range c.Peers {
		if p != leader {
			others = append(others, p)
		}
	}
	next := c.WaitLeader(others...)
	d := time.Since(start)
	t.Logf("stop of leader %s: %s leads after %v (election timeout %v)", leader, next, d, cluster.ElectionMin)
	assert.Less(t, d, cluster.ElectionMin, "the stopped leader handed over; no election timeout was waited")
	_, err = s.Op(ctx, next, []byte("after the stop"))
	require.NoError(t, err)
}
