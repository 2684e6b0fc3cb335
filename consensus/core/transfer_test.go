package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/rafterpb"
)

// transferNetwork is a 3-peer network with PreVote and CheckQuorum on (so
// the target must get past the voters' leases) and a elected.
func transferNetwork(t *testing.T) *network {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{cfg: func(o *Options) {
		o.PreVote, o.CheckQuorum = true, true
	}})
	n.elect("a")
	n.tick("a")
	return n
}

// Reference: Raft thesis §3.10. The leader refuses proposals while it
// transfers, the target takes over through TimeoutNow without any election
// timeout passing, past PreVote and the voters' leases, and the request
// ends with success on the old leader.
func TestTransfer_3_10_ToAnUpToDateFollower(t *testing.T) {
	n := transferNetwork(t)
	a := n.core("a")
	term := a.Status().Term
	a.TransferLeadership(1, peer("b"))
	a.Propose(2, []byte("during"))
	n.drain("a")
	r, ok := n.result("a", 2)
	require.True(t, ok)
	assert.ErrorIs(t, r.Err, ErrTransferInProgress)
	n.stabilize() // no Tick: no election timeout can pass
	assert.Equal(t, Leader, n.core("b").Status().Role)
	assert.Greater(t, n.core("b").Status().Term, term)
	assert.Equal(t, "b", n.leaderOf("a"))
	assert.Equal(t, "b", n.leaderOf("c"))
	r, ok = n.result("a", 1)
	require.True(t, ok, "the transfer request ended")
	assert.NoError(t, r.Err)
}

// The leader first brings a lagging target up to date, then hands over.
func TestTransfer_3_10_CatchesTheTargetUpFirst(t *testing.T) {
	n := transferNetwork(t)
	a := n.core("a")
	n.cut[[2]string{"a", "c"}] = true
	for i := range 5 {
		a.Propose(RequestID(10+i), []byte("x"))
	}
	n.stabilize()
	require.Less(t, n.core("c").Status().LastIndex, a.Status().LastIndex)
	n.heal()
	a.TransferLeadership(1, peer("c"))
	for i := 0; n.core("c").Status().Role != Leader; i++ {
		require.Less(t, i, 20, "c never took over")
		n.deliverRound()
		if len(n.queue) == 0 {
			n.tick("a") // heartbeats carry the catch-up on
		}
	}
	r, ok := n.result("a", 1)
	require.True(t, ok)
	assert.NoError(t, r.Err)
	answered := 0
	for _, cm := range n.committed["a"] {
		if cm.ID >= 10 && cm.ID < 15 {
			answered++
		}
	}
	assert.Equal(t, 5, answered, "the proposals before the transfer committed on a")
}

// A target that cannot answer: the transfer fails definitely after an
// election timeout and the leader takes proposals again.
func TestTransfer_3_10_FailsAfterAnElectionTimeout(t *testing.T) {
	n := transferNetwork(t)
	a := n.core("a")
	n.isolate("b")
	a.TransferLeadership(1, peer("b"))
	for range a.opts.ElectionTicks {
		n.tick("a")
	}
	r, ok := n.result("a", 1)
	require.True(t, ok)
	assert.ErrorIs(t, r.Err, ErrTransferFailed)
	assert.Equal(t, Leader, a.Status().Role)
	a.Propose(2, []byte("after"))
	n.stabilize()
	r, ok = n.result("a", 2)
	assert.False(t, ok && r.Err != nil, "proposals taken again: %v", r.Err)
}

// Bad targets are refused definitely; an empty target picks the most
// up-to-date voter; the leader itself succeeds at once.
func TestTransfer_3_10_Targets(t *testing.T) {
	n := transferNetwork(t)
	a := n.core("a")
	a.TransferLeadership(1, peer("z"))
	a.TransferLeadership(2, peer("a"))
	n.drain("a")
	r, _ := n.result("a", 1)
	assert.ErrorIs(t, r.Err, ErrInvalidArgument)
	r, _ = n.result("a", 2)
	assert.NoError(t, r.Err)
	n.cut[[2]string{"a", "b"}] = true
	a.Propose(3, []byte("x"))
	n.stabilize()
	n.heal()
	a.TransferLeadership(4, nil)
	n.stabilize()
	assert.Equal(t, Leader, n.core("c").Status().Role, "c held the longer log")
	r, _ = n.result("a", 4)
	assert.NoError(t, r.Err)
	// A follower refuses like any request it cannot serve (the shell
	// forwards it to the leader).
	n.core("b").TransferLeadership(5, peer("a"))
	n.drain("b")
	r, _ = n.result("b", 5)
	assert.ErrorIs(t, r.Err, ErrNotLeader)
}

// Removing the leader hands over at once: a new leader without an
// election timeout.
func TestTransfer_3_10_RemovedLeaderHandsOver(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c", "d"}, netOpt{cfg: func(o *Options) {
		o.PreVote, o.CheckQuorum = true, true
	}})
	n.elect("a")
	n.tick("a")
	a := n.core("a")
	a.SetConfig(1, peers("b", "c", "d"))
	for i := 0; ; i++ {
		require.Less(t, i, 50)
		n.deliverRound()
		if r, ok := n.result("a", 1); ok {
			require.NoError(t, r.Err)
			break
		}
		if len(n.queue) == 0 {
			n.tick("a")
		}
	}
	n.stabilize() // no Tick of b, c, d: only a TimeoutNow can start an election
	leader := n.leaderOf("b")
	assert.Contains(t, []string{"b", "c", "d"}, leader)
	assert.Equal(t, Leader, n.core(leader).Status().Role)
	assert.NotEqual(t, Leader, a.Status().Role)
}

// TimeoutNow is ignored by a peer that has no vote or that hears it from a
// peer other than its leader; it is not an error.
func TestTransfer_3_10_TimeoutNowFromAStranger(t *testing.T) {
	n := transferNetwork(t)
	c := n.core("c")
	m := &rafterpb.RaftMessage{From: peer("b"), To: peer("c"), Term: c.Status().Term,
		Body: &rafterpb.RaftMessage_TimeoutNow{TimeoutNow: &rafterpb.TimeoutNow{}}}
	require.NoError(t, c.Step(m))
	assert.Equal(t, Follower, c.Status().Role, "only the leader's TimeoutNow counts")
}
