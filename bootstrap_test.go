package rafter_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/cluster"
	"github.com/rafter-go/rafter/rafterpb"
)

// Issue 13 item 3: Bootstrap over the network (one System per peer and a
// peerless client System, PreVote and CheckQuorum on as by default): every
// member holds the same first entry, of the cluster's ID, before the
// cluster elects a leader in term 2 and commits. A retry succeeds; another
// cluster's bootstrap of the same peers is refused, definitely, naming
// them; a peer added later learns the ID from the leader.
func TestBootstrapOverRemote(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 4, Remote: true, Options: func(_ int, o *rafter.Options) {
		require.True(t, o.PreVote && o.CheckQuorum, "the defaults")
	}})
	s := c.Client()
	members, joiner := c.Peers[:3], c.Peers[3]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, s.Bootstrap(ctx, members))

	var first *rafterpb.Entry
	for _, p := range members {
		e, err := s.GetEntry(ctx, p, 1)
		require.NoError(t, err, "%s holds entry 1 when Bootstrap returns", p)
		if first == nil {
			first = e
		}
		assert.True(t, proto.Equal(first, e), "%s: the same first entry everywhere", p)
	}
	id := first.GetConfig().GetClusterId()
	require.NotZero(t, id)
	assert.Equal(t, uint64(1), first.GetTerm())
	assert.ElementsMatch(t, members, rafter.PeersOf(first.GetConfig().GetOldServers()))

	leader := c.WaitLeader(members...)
	_, err := s.Op(ctx, leader, []byte("x"))
	require.NoError(t, err)
	st, err := s.Status(ctx, leader)
	require.NoError(t, err)
	assert.Equal(t, id, st.ClusterID())
	assert.GreaterOrEqual(t, st.Term, uint64(2), "no election happens in the bootstrap term")

	assert.NoError(t, s.Bootstrap(ctx, members), "a retry through the same System succeeds")

	// A second bootstrap of the same peers (another ID) is refused.
	err = s.BootstrapWithID(ctx, members, id+1)
	var be *rafter.BootstrapError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, id+1, be.ClusterID)
	assert.Len(t, be.Failed, 3)
	assert.ErrorIs(t, err, rafter.ErrAlreadyBootstrapped)
	assert.True(t, rafter.Definite(be.Failed[0].Err))
	for _, p := range members {
		assert.Contains(t, err.Error(), p.String(), "the error names every refusing peer")
	}

	// A peer added through a member learns the identity.
	c.SetConfig(leader, c.Peers)
	require.Eventually(t, func() bool {
		st, err := s.Status(ctx, joiner)
		return err == nil && st.ClusterID() == id
	}, cluster.Patience, 10*time.Millisecond)
}

// A Bootstrap that cannot reach a peer names it, and the others'
// configuration is durable already; once the peer is back, the same call
// (same System, same list, so the same cluster ID) completes the cluster.
func TestBootstrapRetryAfterAPeerWasDown(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 3})
	s := c.Client()
	down := c.Peers[2]
	require.NoError(t, s.StopNode(down))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	err := s.Bootstrap(ctx, c.Peers)
	var be *rafter.BootstrapError
	require.ErrorAs(t, err, &be)
	require.Len(t, be.Failed, 1)
	assert.Equal(t, down, be.Failed[0].Peer)
	assert.ErrorIs(t, err, rafter.ErrStopped)
	for _, p := range c.Peers[:2] {
		st, err := s.Status(ctx, p)
		require.NoError(t, err)
		assert.Equal(t, be.ClusterID, st.ClusterID(), "%s is bootstrapped", p)
	}

	require.NoError(t, s.StartNode(down, c.Opts[2]))
	require.NoError(t, s.Bootstrap(ctx, c.Peers), "the retry completes the cluster")
	st, err := s.Status(ctx, down)
	require.NoError(t, err)
	assert.Equal(t, be.ClusterID, st.ClusterID(), "the retry reused the cluster ID")
	c.WaitLeader()
	_, err = s.Op(ctx, c.Peers[0], []byte("x"))
	require.NoError(t, err)
}

// Bad lists fail before anything is sent.
func TestBootstrapInvalidArgument(t *testing.T) {
	s, err := rafter.NewSystem(rafter.SystemOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Shutdown() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a := rafter.Peer{Name: "a"}
	for _, peers := range [][]rafter.Peer{nil, {{}}, {a, a}, {{Name: "b", Node: "no-port"}}} {
		err := s.Bootstrap(ctx, peers)
		assert.ErrorIs(t, err, rafter.ErrInvalidArgument, fmt.Sprint(peers))
		assert.False(t, errors.As(err, new(*rafter.BootstrapError)))
	}
	assert.ErrorIs(t, s.BootstrapWithID(ctx, []rafter.Peer{a}, 0), rafter.ErrInvalidArgument)
	//nolint:staticcheck // a nil context on purpose
	assert.ErrorIs(t, s.Bootstrap(nil, []rafter.Peer{a}), rafter.ErrInvalidArgument)
}
