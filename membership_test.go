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
	"github.com/rafter-go/rafter/rafterpb"
)

// Issue 5 acceptance: grow 3→5 and shrink 5→3 under writes, removing the
// current leader; a removed peer does not disturb the cluster.
func TestMembershipChangesUnderLoad(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 5})
	s := c.Client()
	three, five := c.Peers[:3], c.Peers
	c.SetConfig(three[0], three)
	c.WaitLeader(three...)

	l := startLoad(t, s, 6, func(g, i int) rafter.Peer { return three[(g+i)%3] })
	l.waitAcked(30, "before growing")

	c.SetConfig(three[1], five)
	t.Logf("grew to %v", five)
	leader := c.WaitLeader(five...)
	requireMembers(t, c, leader, five)
	l.waitAcked(30, "after growing")

	// Shrink to three peers that leave out the current leader.
	var remaining []rafter.Peer
	for _, p := range five {
		if p != leader && len(remaining) < 3 {
			remaining = append(remaining, p)
		}
	}
	c.SetConfig(leader, remaining)
	t.Logf("shrank to %v, removing the leader %s", remaining, leader)
	next := c.WaitLeader(remaining...)
	assert.NotEqual(t, leader, next)
	requireMembers(t, c, next, remaining)
	l.waitAcked(30, "after shrinking")
	acked := l.finish()

	// The removed peers keep running; they must not disturb the others:
	// the term and the leader stay the same while writes go on.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	before, err := s.Status(ctx, next)
	require.NoError(t, err)
	for i := range 100 {
		_, err := s.Op(ctx, remaining[i%3], []byte("after"))
		require.NoError(t, err)
	}
	after, err := s.Status(ctx, next)
	require.NoError(t, err)
	assert.Equal(t, before.Term, after.Term, "a removed peer disturbed the cluster")
	assert.Equal(t, rafter.Leader, after.Role)

	c.WaitConverged(remaining...)
	requireAllPresent(t, c, acked, remaining...)

	// Removed means removed: the two peers left out, the old leader among
	// them, keep running and answer every request with ErrNotMember
	// (definite) instead of forwarding to the cluster they left.
	for _, p := range five {
		if slices.Contains(remaining, p) {
			continue
		}
		ok := c.Poll(func(ctx context.Context) bool {
			st, err := s.Status(ctx, p)
			return err == nil && st.Leader.IsZero()
		})
		require.True(t, ok, "removed %s still names a leader", p)
		_, err := s.Op(ctx, p, []byte("x"))
		assert.ErrorIs(t, err, rafter.ErrNotMember, "Op via removed %s", p)
		assert.True(t, rafter.Definite(err))
		_, err = s.ReadOp(ctx, p, nil)
		assert.ErrorIs(t, err, rafter.ErrNotMember, "ReadOp via removed %s", p)
		_, err = s.StaleReadOp(ctx, p, nil)
		assert.ErrorIs(t, err, rafter.ErrNotMember, "StaleReadOp via removed %s", p)
		assert.ErrorIs(t, s.SetConfig(ctx, p, five), rafter.ErrNotMember, "SetConfig via removed %s", p)
	}
}

// requireMembers waits until via's stable configuration is exactly peers.
func requireMembers(t *testing.T, c *cluster.Cluster, via rafter.Peer, peers []rafter.Peer) {
	t.Helper()
	var got []rafter.Peer
	ok := c.Poll(func(ctx context.Context) bool {
		st, err := c.Client().Status(ctx, via)
		if err != nil {
			return false
		}
		got = st.Members()
		return st.Config.GetState() == rafterpb.ConfigState_CONFIG_STATE_STABLE && samePeers(peers, got)
	})
	require.True(t, ok, "members of %s: %v, want %v", via, got, peers)
}

func samePeers(a, b []rafter.Peer) bool {
	if len(a) != len(b) {
		return false
	}
	in := make(map[rafter.Peer]bool, len(a))
	for _, p := range a {
		in[p] = true
	}
	for _, p := range b {
		if !in[p] {
			return false
		}
	}
	return true
}
