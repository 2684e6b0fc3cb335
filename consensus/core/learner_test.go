package core

import (
	"testing"

	"github.com/rafter-go/rafter/rafterpb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tickUntil ticks name until cond holds, failing after limit ticks.
func tickUntil(t *testing.T, n *network, name string, limit int, cond func() bool) {
	t.Helper()
	for i := 0; !cond(); i++ {
		require.Less(t, i, limit, "condition not reached after %d ticks of %s", limit, name)
		n.tick(name)
	}
}

func lastConfigState(c *Core) rafterpb.ConfigState {
	conf, _ := c.log.lastConfig()
	return conf.GetState()
}

// proposeEntries makes the leader's log k entries longer and settles.
func proposeEntries(n *network, leader string, k int) {
	for i := range k {
		n.core(leader).Propose(0, []byte{byte(i)})
	}
	n.stabilize()
}

// Reference: Raft thesis §4.2.1. A new server joins as a non-voting
// learner: the leader stays in staging while d cannot be reached, the
// voters and the quorum stay those of the old configuration, and the joint
// configuration is appended only once d holds the log to within
// CatchUpEntries of the leader's last index.
func TestLearner_4_2_1_StagingWaitsForCatchUp(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{cfg: func(o *Options) { o.CatchUpEntries = 5 }})
	n.add("d", netOpt{})
	n.elect("a")
	proposeEntries(n, "a", 20)
	n.isolate("d")
	a := n.core("a")
	a.SetConfig(1, peers("a", "b", "c", "d"))
	for range 30 {
		n.tick("a", "b", "c", "d")
	}
	require.Equal(t, rafterpb.ConfigState_CONFIG_STATE_STAGING, lastConfigState(a), "joint before d caught up")
	st := a.Status()
	assert.Equal(t, st.LastIndex, st.CommitIndex, "the old voters commit alone")
	assert.Equal(t, Follower, n.core("d").Status().Role, "d never campaigns")
	_, ok := n.result("a", 1)
	assert.False(t, ok, "answered before the change")
	// A second change waits for this one.
	a.SetConfig(2, peers("a", "b"))
	n.tick("a")
	r, _ := n.result("a", 2)
	assert.ErrorIs(t, r.Err, ErrConfigInProgress)

	n.heal()
	tickUntil(t, n, "a", 50, func() bool { r, ok := n.result("a", 1); return ok && r.Err == nil })
	// The joint entry came after d's match reached the catch-up window.
	_, jIdx := a.log.lastConfig()
	assert.Equal(t, []string{"a", "b", "c", "d"}, serverNames(a.Status().Config.GetOldServers()))
	assert.Greater(t, jIdx, uint64(20))
	dst := n.core("d").Status()
	assert.True(t, dst.Member)
	assert.False(t, dst.Learner, "d votes now")
}

// Reference: thesis §4.2.1 ("abort the change" when a new server is
// unavailable): after CatchUpTicks the leader logs the old configuration
// again and the request fails with ErrCatchUpTimeout once that commits.
func TestLearner_4_2_1_CatchUpTimeout(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{cfg: func(o *Options) { o.CatchUpTicks = 15 }})
	n.add("d", netOpt{})
	n.elect("a")
	n.isolate("d")
	a := n.core("a")
	a.SetConfig(1, peers("a", "b", "c", "d"))
	n.tick("a")
	require.Equal(t, rafterpb.ConfigState_CONFIG_STATE_STAGING, lastConfigState(a))
	tickUntil(t, n, "a", 30, func() bool { _, ok := n.result("a", 1); return ok })
	r, _ := n.result("a", 1)
	assert.ErrorIs(t, r.Err, ErrCatchUpTimeout)
	assert.Equal(t, Code(ErrCatchUpTimeout), Code(r.Err))
	conf := a.Status().Config
	assert.Equal(t, rafterpb.ConfigState_CONFIG_STATE_STABLE, conf.GetState())
	assert.Equal(t, []string{"a", "b", "c"}, serverNames(conf.GetOldServers()))
	_, idx := a.log.lastConfig()
	assert.Equal(t, idx, r.Index, "answered at the entry that restores the old configuration")
	assert.LessOrEqual(t, idx, a.Status().CommitIndex)
	// The next change is taken.
	a.SetConfig(2, peers("a", "b"))
	tickUntil(t, n, "a", 30, func() bool { _, ok := n.result("a", 2); return ok })
	r, _ = n.result("a", 2)
	assert.NoError(t, r.Err)
}

// A leader elected while its log ends in a staging configuration carries
// the change on: it tracks the new server and goes joint once it caught up.
func TestLearner_4_2_1_NewLeaderContinuesStaging(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.add("d", netOpt{})
	n.elect("a")
	n.isolate("d")
	n.core("a").SetConfig(1, peers("a", "b", "c", "d"))
	n.tick("a")
	n.tick("a")
	require.Equal(t, rafterpb.ConfigState_CONFIG_STATE_STAGING, lastConfigState(n.core("b")))
	n.isolate("a")
	n.elect("b")
	b := n.core("b")
	for range 5 {
		n.tick("b")
	}
	require.Equal(t, rafterpb.ConfigState_CONFIG_STATE_STAGING, lastConfigState(b))
	require.Equal(t, b.Status().LastIndex, b.Status().CommitIndex, "b committed the staging entry")
	n.heal()
	n.isolate("a")
	tickUntil(t, n, "b", 50, func() bool {
		c := b.Status().Config
		return c.GetState() == rafterpb.ConfigState_CONFIG_STATE_STABLE && len(c.GetOldServers()) == 4
	})
	assert.Equal(t, b.Status().LastIndex, n.core("d").Status().LastIndex)
}

// Learners vote in nothing: the leader and a learner are no quorum of
// {a, b, c}, a learner never campaigns however long it hears nothing, and
// it is never a transfer target.
func TestLearner_NeverCounts(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{cfg: func(o *Options) { o.CheckQuorum = true }})
	n.add("d", netOpt{cfg: func(o *Options) { o.CheckQuorum = true }})
	n.elect("a")
	a := n.core("a")
	a.AddLearner(1, peer("d"))
	tickUntil(t, n, "a", 20, func() bool { _, ok := n.result("a", 1); return ok })
	r, _ := n.result("a", 1)
	require.NoError(t, r.Err)
	d := n.core("d")
	require.True(t, d.Status().Learner)
	require.Equal(t, a.Status().LastIndex, d.Status().LastIndex, "the learner is replicated to")
	assert.Equal(t, []string{"d"}, serverNames(a.Status().Config.GetLearners()))

	a.TransferLeadership(2, peer("d"))
	n.tick("a")
	r, _ = n.result("a", 2)
	assert.ErrorIs(t, r.Err, ErrInvalidArgument, "a learner is no transfer target")

	n.isolate("b")
	n.isolate("c")
	commit := a.Status().CommitIndex
	a.Propose(3, []byte("x"))
	for range 3 {
		n.tick("a")
	}
	assert.Equal(t, commit, a.Status().CommitIndex, "leader + learner committed an entry")
	// CheckQuorum: the learner's answers do not keep the leader in office.
	for range 25 {
		n.tick("a")
	}
	assert.NotEqual(t, Leader, a.Status().Role)
	// Cut off from everyone, the learner waits for ever.
	n.isolate("d")
	for range 100 {
		n.tick("d")
	}
	assert.Equal(t, Follower, d.Status().Role)
}

// A learner forwards what needs the leader (ErrNotLeader with the leader);
// AddLearner and RemoveLearner refuse bad input definitely; a removed
// learner is removed: it answers ErrNotMember.
func TestLearner_AddRemove(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.add("d", netOpt{})
	n.elect("a")
	a := n.core("a")
	run := func(id RequestID, f func()) Result {
		f()
		tickUntil(t, n, "a", 20, func() bool { _, ok := n.result("a", id); return ok })
		r, _ := n.result("a", id)
		return r
	}
	assert.ErrorIs(t, run(1, func() { a.AddLearner(1, peer("b")) }).Err, ErrInvalidArgument, "a voter")
	assert.ErrorIs(t, run(2, func() { a.RemoveLearner(2, peer("d")) }).Err, ErrInvalidArgument, "not a learner")
	assert.ErrorIs(t, run(3, func() { a.AddLearner(3, &rafterpb.Peer{}) }).Err, ErrInvalidArgument)
	require.NoError(t, run(4, func() { a.AddLearner(4, peer("d")) }).Err)
	assert.ErrorIs(t, run(5, func() { a.AddLearner(5, peer("d")) }).Err, ErrNotModified)

	d := n.core("d")
	d.Propose(6, []byte("x"))
	n.drain("d")
	r, _ := n.result("d", 6)
	assert.ErrorIs(t, r.Err, ErrNotLeader)
	assert.Equal(t, "a", r.Leader.GetName())
	d.Read(7)
	n.drain("d")
	r, _ = n.result("d", 7)
	assert.ErrorIs(t, r.Err, ErrNotLeader)

	require.NoError(t, run(8, func() { a.RemoveLearner(8, peer("d")) }).Err)
	tickUntil(t, n, "a", 20, func() bool { return !d.Status().Member })
	assert.Nil(t, d.Status().Leader)
	d.Propose(9, []byte("x"))
	n.drain("d")
	r, _ = n.result("d", 9)
	assert.ErrorIs(t, r.Err, ErrNotMember)
}

// Promoting a learner: SetConfig with a learner among the servers stages
// it (it is caught up already), and it leaves the learners list in the
// joint configuration.
func TestLearner_Promote(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.add("d", netOpt{})
	n.elect("a")
	a := n.core("a")
	a.AddLearner(1, peer("d"))
	tickUntil(t, n, "a", 20, func() bool { _, ok := n.result("a", 1); return ok })
	r := changeConfig(t, n, "a", 2, "a", "b", "c", "d")
	require.NoError(t, r.Err)
	conf := a.Status().Config
	assert.Equal(t, []string{"a", "b", "c", "d"}, serverNames(conf.GetOldServers()))
	assert.Empty(t, conf.GetLearners())
	assert.Equal(t, []rafterpb.ConfigState{
		rafterpb.ConfigState_CONFIG_STATE_STABLE, rafterpb.ConfigState_CONFIG_STATE_STABLE,
		rafterpb.ConfigState_CONFIG_STATE_STAGING, rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL,
		rafterpb.ConfigState_CONFIG_STATE_STABLE,
	}, configStates(n, "a"))
}
