package rafter_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/cluster"
)

// partition is an Interceptor that cuts one peer off from the others.
type partition struct {
	mu       sync.Mutex
	isolated rafter.Peer
}

func (p *partition) intercept(from, to rafter.Peer, _ proto.Message) rafter.Decision {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.isolated.IsZero() && (from == p.isolated || to == p.isolated) {
		return rafter.Drop
	}
	return rafter.Deliver
}

func (p *partition) isolate(peer rafter.Peer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.isolated = peer
}

// Issue 5 acceptance: a leader cut off from the majority stops
// acknowledging (CheckQuorum) and a new leader takes over; on healing the
// old leader's uncommitted entries are replaced and nothing acknowledged is
// lost.
func TestPartitionedLeaderStepsDownAndHeals(t *testing.T) {
	part := &partition{}
	c := cluster.Start(t, cluster.Config{N: 3, Interceptor: part.intercept})
	s := c.Client()
	c.Configure()
	old := c.WaitLeader()
	var majority []rafter.Peer
	for _, p := range c.Peers {
		if p != old {
			majority = append(majority, p)
		}
	}
	l := startLoad(t, s, 4, func(g, i int) rafter.Peer { return majority[(g+i)%2] })
	l.waitAcked(50, "before the partition")

	part.isolate(old)
	t.Logf("isolated the leader %s", old)
	// A command sent to the isolated leader is appended there but can
	// never commit: it must not be acknowledged.
	orphan := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := s.Op(ctx, old, []byte("orphan"))
		orphan <- err
	}()

	// CheckQuorum: the old leader steps down by itself.
	require.True(t, c.Poll(func(ctx context.Context) bool {
		st, err := s.Status(ctx, old)
		return err == nil && st.Role != rafter.Leader
	}), "the isolated leader %s never stepped down", old)
	next := c.WaitLeader(majority...)
	require.NotEqual(t, old, next)
	t.Logf("new leader %s", next)
	l.waitAcked(50, "during the partition")
	err := <-orphan
	require.Error(t, err, "an isolated leader acknowledged a write")
	assert.True(t, isDocumented(err), "orphan write failed with %v", err)
	t.Logf("orphan write: %v", err)

	part.isolate(rafter.Peer{})
	l.waitAcked(50, "after healing")
	acked := l.finish()
	c.WaitConverged()
	requireAllPresent(t, c, acked)
	_, ok := c.Commands(old)["orphan"]
	assert.False(t, ok, "the old leader's uncommitted entry was not replaced")
	assert.Equal(t, c.Log(next), c.Log(old), "the healed peer's log equals the leader's")
}
