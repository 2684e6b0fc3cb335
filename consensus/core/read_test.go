package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/rafterpb"
)

// Reference: Raft §8 (ReadIndex). A leader elected a moment ago must not
// answer a read before its no-op commits: until then its commit index can be
// behind what the previous leader committed. Here b is elected knowing
// commit 2 while a had committed index 3; the read is answered only after
// the no-op commits, at an index that covers a's write.
func TestRead_8_NewLeaderWaitsForNoop(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.elect("a")
	n.tick("a")
	n.isolate("c")
	n.core("a").Propose(1, []byte("w"))
	n.stabilize() // a commits index 3; b holds it but has not learnt the commit
	require.Equal(t, uint64(3), n.core("a").Status().CommitIndex)
	require.Less(t, n.core("b").Status().CommitIndex, uint64(3))
	n.heal()
	n.isolate("a")
	b := n.core("b")
	for b.Status().Role != Leader {
		b.Tick()
		n.drain("b")
		n.deliverRound()
		n.deliverRound()
	}
	b.Read(42)
	answered := false
	for i := 0; i < 20 && !answered; i++ {
		noopCommitted := b.Status().CommitIndex >= b.Status().LastIndex
		n.drain("b")
		if len(n.reads["b"]) > 0 {
			answered = true
			assert.True(t, noopCommitted || b.leading.termCommitted, "read answered before the no-op committed")
			break
		}
		n.deliverRound()
	}
	require.True(t, answered)
	rs := n.reads["b"][0]
	assert.Equal(t, RequestID(42), rs.ID)
	assert.GreaterOrEqual(t, rs.Index, uint64(4), "the read index covers a's write and b's no-op")
}

// Reference: Raft §8, rafter's send_clock: many reads queued before a Ready
// share one heartbeat round, and all are answered after one round trip.
func TestRead_8_ReadsShareOneRound(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.elect("a")
	n.tick("a")
	a := n.core("a")
	for i := range 10 {
		a.Read(RequestID(100 + i))
	}
	rd := a.Ready()
	assert.Len(t, rd.Messages, 2, "one heartbeat per follower for ten reads")
	assert.Empty(t, rd.Reads, "not before a quorum echoes the round")
	a.Advance(rd)
	n.queue = append(n.queue, rd.Messages...)
	n.deliverRound() // heartbeats
	n.deliverRound() // replies
	require.Len(t, n.reads["a"], 10)
	for _, r := range n.reads["a"] {
		assert.Equal(t, a.Status().CommitIndex, r.Index)
	}
}

// Reference: Raft §8. A leader cut off from the majority, while the others
// elect a new leader, cannot confirm its leadership: it never answers a read,
// and once it learns the newer term it fails the read with
// ErrLeadershipLost.
func TestRead_8_StaleLeaderCannotServe(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.elect("a")
	n.tick("a")
	n.isolate("a")
	n.elect("b")
	n.core("b").Propose(1, []byte("new value"))
	n.tick("b")
	a := n.core("a")
	require.Equal(t, Leader, a.Status().Role, "a still believes it leads")
	a.Read(7)
	for range 5 {
		n.tick("a")
	}
	assert.Empty(t, n.reads["a"], "a stale leader must not answer")
	n.heal()
	n.tick("a")
	n.tick("b")
	assert.Equal(t, Follower, a.Status().Role)
	r, ok := n.result("a", 7)
	require.True(t, ok)
	assert.ErrorIs(t, r.Err, ErrLeadershipLost)
	assert.Empty(t, n.reads["a"])
}

// Non-leaders refuse client requests with the reason and, if known, the
// leader (the shell forwards there). rafter: the {redirect, Leader} replies.
func TestRequests_NonLeaderRefuses(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.elect("a")
	b := n.core("b")
	b.Propose(1, []byte("x"))
	b.Read(2)
	n.drain("b")
	for _, id := range []RequestID{1, 2} {
		r, _ := n.result("b", id)
		assert.ErrorIs(t, r.Err, ErrNotLeader)
		assert.Equal(t, "a", r.Leader.GetName())
	}
	// A fresh follower knows no leader; a candidate is electing.
	c, err := New(testConfig("c", 1), configured("a", "b", "c"))
	require.NoError(t, err)
	c.Propose(3, nil)
	assert.ErrorIs(t, c.Ready().Results[0].Err, ErrNoLeader)
	for c.Status().Role == Follower {
		c.Tick()
	}
	c.Read(4)
	assert.ErrorIs(t, c.Ready().Results[0].Err, ErrElectionInProgress)
}

// A leader that steps down fails its pending proposals with
// ErrLeadershipLost (the outcome is unknown).
func TestRequests_PendingFailOnStepDown(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.elect("a")
	n.isolate("a")
	a := n.core("a")
	a.Propose(1, []byte("x"))
	a.Propose(2, []byte("y"))
	n.drain("a")
	require.NoError(t, a.Step(&rafterpb.RaftMessage{From: peer("b"), To: peer("a"), Term: 9,
		Body: &rafterpb.RaftMessage_AppendEntries{AppendEntries: &rafterpb.AppendEntries{}}}))
	n.drain("a")
	for _, id := range []RequestID{1, 2} {
		r, ok := n.result("a", id)
		require.True(t, ok)
		assert.ErrorIs(t, r.Err, ErrLeadershipLost)
	}
}
