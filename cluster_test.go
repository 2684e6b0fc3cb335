package rafter_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/cluster"
)

// Issue 5 acceptance: 3 and 5 peers in one process.
func TestClusterInOneProcess(t *testing.T) {
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprintf("%d peers", n), func(t *testing.T) {
			c := cluster.Start(t, cluster.Config{N: n})
			checkCluster(t, c)
		})
	}
}

// Issue 5 acceptance: 3 Systems on three 127.0.0.1 ports, one peer each,
// and a client in a fourth System.
func TestClusterOverRemote(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 3, Remote: true})
	for i, s := range c.Systems {
		require.NotEmpty(t, s.Address())
		assert.Equal(t, s.Address(), c.Peers[i].Node)
	}
	require.NotEqual(t, c.Client(), c.Systems[0])
	checkCluster(t, c)

	// Kill is location transparent too: the client System stops the
	// remote leader's consensus actor, its supervisor restarts the pair,
	// and the cluster goes on.
	leader := c.WaitLeader()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	before, err := c.Client().Status(ctx, leader)
	require.NoError(t, err)
	require.NoError(t, c.Client().Kill(leader, rafter.ActorConsensus))
	require.True(t, c.Poll(func(ctx context.Context) bool {
		_, err = c.Client().Op(ctx, leader, []byte("after kill"))
		return err == nil
	}), "no write after killing the remote leader's consensus actor: %v", err)
	last := c.WaitConverged()
	assert.Greater(t, last.GetTerm(), before.Term, "the killed leader's restart made a new term")
}

// checkCluster: initial SetConfig, a leader within 2 election timeouts,
// 1,000 Ops via the leader and via followers, every peer's GetLastEntry
// equal afterwards, ReadOp returns the last written value.
func checkCluster(t *testing.T, c *cluster.Cluster) {
	s := c.Client()
	start := time.Now()
	c.Configure()
	leader := c.WaitLeader()
	elected := time.Since(start)
	t.Logf("leader %s after %v", leader, elected)
	assert.LessOrEqual(t, elected, 2*c.Opts[0].ElectionTimeoutMax, "leader within 2 election timeouts")

	const ops, writers = 1000, 10
	var wg sync.WaitGroup
	errs := make(chan error, ops)
	for g := range writers {
		via := c.Peers[g%len(c.Peers)] // every peer: the leader and the followers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ops / writers {
				cmd := fmt.Sprintf("%s-%d-%d", via.Name, g, i)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				res, err := s.Op(ctx, via, []byte(cmd))
				cancel()
				if err != nil {
					errs <- fmt.Errorf("op %s via %s: %w", cmd, via, err)
					return
				}
				if string(res) != cmd {
					errs <- fmt.Errorf("op %s via %s: result %q", cmd, via, res)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d ops in %v", ops, time.Since(start)-elected)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	follower := c.Peers[(c.Index(leader)+1)%len(c.Peers)]
	res, err := s.Op(ctx, follower, []byte("last"))
	require.NoError(t, err)
	require.Equal(t, "last", string(res))

	last := c.WaitConverged()
	assert.GreaterOrEqual(t, last.GetIndex(), uint64(ops+1), "every op is an entry")
	for _, p := range c.Peers {
		e, err := s.GetLastEntry(ctx, p)
		require.NoError(t, err)
		assert.Equal(t, last.GetIndex(), e.GetIndex(), p.String())
		assert.Equal(t, last.GetTerm(), e.GetTerm(), p.String())
		assert.Equal(t, "last", string(e.GetCmd()), p.String())
		got, err := s.ReadOp(ctx, p, nil)
		require.NoError(t, err, "read op via %s", p)
		assert.Equal(t, "last", string(got), "read op via %s", p)
	}
	n := len(c.Commands(c.Peers[0]))
	assert.Equal(t, ops+1, n, "each acknowledged op appears once in the log")
}

// The state machine's Apply error is a result: an *ApplyError with the
// index the command committed at, the same on every peer.
func TestApplyErrorIsAResult(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 3})
	c.Configure()
	leader := c.WaitLeader()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.Client().Op(ctx, leader, []byte("error:boom"))
	var ae *rafter.ApplyError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "boom", ae.Msg)
	assert.Equal(t, "error:boom", string(res))
	assert.False(t, rafter.Definite(err))
	e, err := c.Client().GetEntry(ctx, leader, ae.Index)
	require.NoError(t, err)
	assert.Equal(t, "error:boom", string(e.GetCmd()))

	_, err = c.Client().ReadOp(ctx, c.Peers[0], []byte("error:nope"))
	var re *rafter.ReadError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "nope", re.Msg)
}
