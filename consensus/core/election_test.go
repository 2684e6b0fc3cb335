package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/rafterpb"
)

// Reference: Raft §5.2. A follower that hears nothing campaigns, wins a
// majority, and every peer learns the leader through AppendEntries; the new
// leader's no-op commits everywhere.
func TestElection_5_2_LeaderIsElected(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.elect("a")
	n.tick("a") // followers learn the commit index from the next heartbeat
	for _, name := range n.names {
		st := n.core(name).Status()
		assert.Equal(t, uint64(2), st.Term, name)
		assert.Equal(t, "a", st.Leader.GetName(), name)
		assert.Equal(t, uint64(2), st.CommitIndex, name)
		assert.Equal(t, uint64(2), st.LastIndex, name)
	}
	noop := n.core("b").log.entry(2)
	assert.Equal(t, rafterpb.EntryType_ENTRY_TYPE_NOOP, noop.GetType())
	assert.Equal(t, uint64(2), noop.GetTerm())
	assert.Equal(t, Follower, n.core("b").Status().Role)
}

// Reference: Raft §5.2. Election timeouts are drawn from [E, 2E) with the
// seeded source: they vary, and the same seed gives the same draws.
func TestElection_5_2_RandomizedTimeouts(t *testing.T) {
	draws := func(seed int64) []int {
		return timeoutDraws(t, testConfig("a", seed))
	}
	a := draws(7)
	distinct := map[int]bool{}
	for _, d := range a {
		assert.GreaterOrEqual(t, d, 10)
		assert.Less(t, d, 20)
		distinct[d] = true
	}
	assert.Greater(t, len(distinct), 3, "timeouts are not randomized: %v", a)
	assert.Equal(t, a, draws(7), "same seed, same timeouts")
	assert.NotEqual(t, a, draws(8), "different seeds, different timeouts")
}

// Reference: Raft §5.2 (and §9.3 on the width of the range). With
// ElectionTicksMax the timeouts cover [ElectionTicks, ElectionTicksMax);
// 0 is 2*ElectionTicks, draw for draw.
func TestElection_5_2_ElectionTicksMax(t *testing.T) {
	for _, hi := range []int{11, 13, 40} {
		cfg := testConfig("a", 7)
		cfg.ElectionTicksMax = hi
		seen, past2E := map[int]bool{}, false
		for _, d := range timeoutDraws(t, cfg) {
			require.GreaterOrEqual(t, d, 10, "max %d", hi)
			require.Less(t, d, hi, "max %d", hi)
			seen[d], past2E = true, past2E || d >= 20
		}
		if hi <= 13 {
			assert.Len(t, seen, hi-10, "max %d: every value of the range is drawn", hi)
		} else {
			assert.True(t, past2E, "max %d: timeouts past 2*ElectionTicks", hi)
		}
	}
	double := testConfig("a", 7)
	double.ElectionTicksMax = 20
	assert.Equal(t, timeoutDraws(t, testConfig("a", 7)), timeoutDraws(t, double), "0 means 2*ElectionTicks")
	for _, bad := range []int{10, 9, -1} {
		cfg := testConfig("a", 7)
		cfg.ElectionTicksMax = bad
		_, err := New(cfg, Restored{})
		assert.ErrorIs(t, err, ErrInvalidOptions, "ElectionTicksMax %d", bad)
	}
}

// timeoutDraws runs a lone follower of a 3-peer cluster (it never wins)
// and returns the ticks between its campaigns: 50 election timeouts.
func timeoutDraws(t *testing.T, cfg Options) []int {
	c, err := New(cfg, configured("a", "b", "c"))
	require.NoError(t, err)
	var out []int
	ticks, term := 0, c.Status().Term
	for len(out) < 50 {
		c.Tick()
		ticks++
		c.Ready()
		if st := c.Status(); st.Term != term {
			out = append(out, ticks)
			ticks, term = 0, st.Term
		}
	}
	return out
}

// Reference: Raft §5.2. Two candidates split the vote in one term; neither
// wins; the randomized timeouts then let one of them win a later term.
func TestElection_5_2_SplitVoteResolves(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.isolate("c")
	for _, name := range []string{"a", "b"} {
		for n.core(name).Status().Role != Candidate {
			n.core(name).Tick()
		}
		n.drain(name)
	}
	n.stabilize()
	require.Equal(t, Candidate, n.core("a").Status().Role)
	require.Equal(t, Candidate, n.core("b").Status().Role)
	require.Equal(t, n.core("a").Status().Term, n.core("b").Status().Term, "a split vote in one term")
	n.heal()
	for i := 0; ; i++ {
		require.Less(t, i, 200, "split vote never resolved")
		n.tick()
		if n.leaderOf("a") != "" && n.leaderOf("a") == n.leaderOf("b") && n.leaderOf("b") == n.leaderOf("c") {
			break
		}
	}
	assert.Greater(t, n.core("a").Status().Term, uint64(2))
}

// Reference: Raft §5.2. A peer votes at most once per term, first come first
// served, and the vote is persisted before the reply leaves.
func TestElection_5_2_OneVotePerTerm(t *testing.T) {
	c, err := New(testConfig("b", 1), configured("a", "b", "c"))
	require.NoError(t, err)
	rv := func(from string) *rafterpb.RaftMessage {
		return &rafterpb.RaftMessage{From: peer(from), To: peer("b"), Term: 2,
			Body: &rafterpb.RaftMessage_RequestVote{RequestVote: &rafterpb.RequestVote{LastLogIndex: 1, LastLogTerm: 1}}}
	}
	require.NoError(t, c.Step(rv("a")))
	rd := c.Ready()
	require.NotNil(t, rd.Meta)
	assert.Equal(t, "a", rd.Meta.GetVotedFor().GetName())
	assert.Empty(t, rd.Messages, "a vote leaves only after the vote is durable")
	require.Len(t, rd.MessagesAfterPersist, 1)
	assert.True(t, rd.MessagesAfterPersist[0].GetVote().GetGranted())

	require.NoError(t, c.Step(rv("c")))
	rd = c.Ready()
	require.Len(t, rd.Messages, 1)
	assert.False(t, rd.Messages[0].GetVote().GetGranted(), "second vote in term 2 refused")
	require.NoError(t, c.Step(rv("a")))
	rd = c.Ready()
	require.Len(t, rd.MessagesAfterPersist, 1)
	assert.True(t, rd.MessagesAfterPersist[0].GetVote().GetGranted(), "a repeated request from the same candidate is granted again")
}

// Reference: Raft §5.1. A candidate or leader that sees a newer term
// becomes a follower; a message of an older term is answered with the newer
// term and changes nothing.
func TestElection_5_1_TermRules(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.elect("a")
	a := n.core("a")
	stale := &rafterpb.RaftMessage{From: peer("b"), To: peer("a"), Term: 1,
		Body: &rafterpb.RaftMessage_AppendEntries{AppendEntries: &rafterpb.AppendEntries{}}}
	require.NoError(t, a.Step(stale))
	assert.Equal(t, Leader, a.Status().Role)
	rd := a.Ready()
	require.Len(t, rd.Messages, 1)
	assert.Equal(t, uint64(2), rd.Messages[0].GetTerm())
	assert.False(t, rd.Messages[0].GetAppendEntriesReply().GetSuccess())

	newer := &rafterpb.RaftMessage{From: peer("b"), To: peer("a"), Term: 5,
		Body: &rafterpb.RaftMessage_AppendEntriesReply{AppendEntriesReply: &rafterpb.AppendEntriesReply{}}}
	require.NoError(t, a.Step(newer))
	st := a.Status()
	assert.Equal(t, Follower, st.Role)
	assert.Equal(t, uint64(5), st.Term)
	assert.Nil(t, st.VotedFor)
}
