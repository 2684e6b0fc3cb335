package consensus

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/rafterpb"
)

// staleRead sends a stale ReadOpRequest to peer i.
func (c *testCluster) staleRead(i int, query string) *rafterpb.ReadOpReply {
	c.t.Helper()
	reply, err := call[*rafterpb.ReadOpReply](c.t, c, i, &rafterpb.ReadOpRequest{Query: []byte(query), Stale: true})
	require.NoError(c.t, err, "stale read via p%d", i)
	return reply
}

func TestStaleReadOnABlankPeerIsNotMember(t *testing.T) {
	c := newTestCluster(t, 1)
	reply := c.staleRead(0, "")
	require.NotNil(t, reply.GetError(), "a peer in no cluster has no state to serve")
	assert.Equal(t, rafterpb.ErrorCode_ERROR_CODE_NOT_MEMBER, reply.GetError().GetCode())
}

// A stale read is answered by the peer that receives it from its own state
// machine: a cut-off follower keeps serving what it applied, while a
// linearizable read through it cannot be served and the leader moves on.
func TestStaleReadIsServedFromTheReceivingPeersOwnState(t *testing.T) {
	c := newTestCluster(t, 3)
	leader := c.bootstrap()
	cut := c.follower(leader)
	c.op(leader, "old")
	eventually(t, 5*time.Second, "every peer to apply the first command", func() bool {
		for i := range c.peers {
			if len(c.sm(i).commands()) != 1 {
				return false
			}
		}
		return true
	})

	c.cut[cut].Store(true)
	c.op(leader, "new")

	assert.Equal(t, "old", string(c.staleRead(cut, "").GetResult()), "the cut-off follower serves its own state")
	assert.Equal(t, "new", string(c.staleRead(leader, "").GetResult()), "the leader serves its own state")
	assert.Equal(t, "testsm: bad query", c.staleRead(cut, "error").GetReadError(), "Read's error is passed on")
	assert.Equal(t, []string{"old"}, c.sm(cut).commands(), "the follower saw nothing new")

	// The same peer's linearizable read would go to the leader, but the
	// cut drops forwarded requests too: it is not answered.
	lin, err := call[*rafterpb.ReadOpReply](t, c, cut, &rafterpb.ReadOpRequest{})
	assert.True(t, err != nil || lin.GetError() != nil, "a read across a cut link: %v %v", err, lin)

	c.cut[cut].Store(false)
	eventually(t, 10*time.Second, "the healed follower to serve the new value", func() bool {
		return string(c.staleRead(cut, "").GetResult()) == "new"
	})
	lin, err = call[*rafterpb.ReadOpReply](t, c, cut, &rafterpb.ReadOpRequest{})
	require.NoError(t, err)
	require.Nil(t, lin.GetError())
	assert.Equal(t, "new", string(lin.GetResult()), "a linearizable read through the healed follower")
}
