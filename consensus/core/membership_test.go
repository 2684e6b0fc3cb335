package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/rafterpb"
)

func blankNetwork(t *testing.T, names ...string) *network {
	rs := map[string]Restored{}
	for _, n := range names {
		rs[n] = Restored{}
	}
	return newNetwork(t, names, netOpt{restored: rs})
}

func serverNames(ps []*rafterpb.Peer) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.GetName())
	}
	return out
}

// Reference: rafter's initial configuration (follower({set_config, ...})
// on a blank configuration). A blank peer in the list campaigns, logs the
// configuration as the first entry once elected, and answers when it
// commits.
func TestMembership_6_InitialConfig(t *testing.T) {
	n := blankNetwork(t, "a", "b", "c")
	n.core("a").SetConfig(1, peers("a", "b", "c"))
	n.stabilize()
	n.tick("a")
	require.Equal(t, Leader, n.core("a").Status().Role)
	r, ok := n.result("a", 1)
	require.True(t, ok)
	assert.NoError(t, r.Err)
	assert.Equal(t, uint64(1), r.Index)
	for _, name := range n.names {
		st := n.core(name).Status()
		assert.Equal(t, rafterpb.ConfigState_CONFIG_STATE_STABLE, st.Config.GetState(), name)
		assert.Equal(t, []string{"a", "b", "c"}, serverNames(st.Config.GetOldServers()), name)
		assert.Equal(t, uint64(1), st.CommitIndex, name)
		assert.Equal(t, rafterpb.EntryType_ENTRY_TYPE_CONFIG, n.core(name).log.entry(1).GetType(), "first entry is the configuration")
	}
}

// rafter: a blank peer not in the list refuses; the list must be valid.
func TestMembership_6_InitialConfigRules(t *testing.T) {
	n := blankNetwork(t, "a", "b", "c")
	n.core("a").SetConfig(1, peers("b", "c"))
	n.core("a").SetConfig(2, peers("a", "a"))
	n.core("b").SetConfig(3, nil)
	n.drainAll()
	r, _ := n.result("a", 1)
	assert.ErrorIs(t, r.Err, ErrInvalidInitialConfig)
	r, _ = n.result("a", 2)
	assert.ErrorIs(t, r.Err, ErrInvalidArgument)
	r, _ = n.result("b", 3)
	assert.ErrorIs(t, r.Err, ErrInvalidArgument)
	assert.Equal(t, Follower, n.core("a").Status().Role)
	// A blank peer that is not configured refuses client requests.
	n.core("c").Propose(4, []byte("x"))
	n.drain("c")
	r, _ = n.result("c", 4)
	assert.ErrorIs(t, r.Err, ErrNotMember)
}

// rafter: candidate(#append_entries{}, ...) with init_config. Two blank
// peers get conflicting initial configurations; the one that loses the
// election ends with ErrInvalidInitialConfig and adopts the winner's.
func TestMembership_6_ConflictingInitialConfigs(t *testing.T) {
	n := blankNetwork(t, "a", "b", "c")
	n.core("a").SetConfig(1, peers("a", "b", "c"))
	n.core("b").SetConfig(2, peers("a", "b"))
	n.stabilize()
	n.tick("a")
	require.Equal(t, Leader, n.core("a").Status().Role)
	r, _ := n.result("a", 1)
	assert.NoError(t, r.Err)
	r, _ = n.result("b", 2)
	assert.ErrorIs(t, r.Err, ErrInvalidInitialConfig)
	assert.Equal(t, []string{"a", "b", "c"}, serverNames(n.core("b").Status().Config.GetOldServers()))
}

// rafter: candidate(#vote{term=VoteTerm, success=false}, ...) with
// init_config, the clause EQC found: a refusal from a newer term ends the
// initial configuration and the peer is blank again.
func TestMembership_6_InitialConfigRefusedByNewerTerm(t *testing.T) {
	b, err := New(testConfig("b", 1), Restored{})
	require.NoError(t, err)
	b.SetConfig(1, peers("a", "b", "c"))
	require.Equal(t, Candidate, b.Status().Role)
	require.NoError(t, b.Step(&rafterpb.RaftMessage{From: peer("c"), To: peer("b"), Term: 5,
		Body: &rafterpb.RaftMessage_Vote{Vote: &rafterpb.Vote{}}}))
	rd := b.Ready()
	require.Len(t, rd.Results, 1)
	assert.ErrorIs(t, rd.Results[0].Err, ErrInvalidInitialConfig)
	st := b.Status()
	assert.Equal(t, Follower, st.Role)
	assert.Equal(t, uint64(5), st.Term)
	assert.Equal(t, rafterpb.ConfigState_CONFIG_STATE_BLANK, st.Config.GetState())
}

// internal/sim FINDINGS.md 1 (rafter-divergence): d was added to a running
// cluster but has not received any entry yet; it is blank, yet it has seen
// the leader's AppendEntries. An initial configuration sent through it must
// not start a second cluster (with rafter's rule, d campaigns with the blank
// e and commits a different entry 1): d redirects to the leader instead.
func TestMembership_6_BlankMemberRefusesInitialConfig(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.add("d", netOpt{})
	n.add("e", netOpt{})
	n.elect("a")
	// d gets only empty AppendEntries (probes), never an entry.
	n.filter = func(m *rafterpb.RaftMessage) bool {
		return m.GetTo().GetName() == "d" && len(m.GetAppendEntries().GetEntries()) > 0
	}
	// d joins as a learner: a SetConfig adding it as a voter would wait
	// for it to catch up.
	n.core("a").AddLearner(1, peer("d"))
	for i := 0; ; i++ {
		require.Less(t, i, 20)
		n.tick("a")
		if r, ok := n.result("a", 1); ok {
			require.NoError(t, r.Err)
			break
		}
	}
	d := n.core("d")
	require.Equal(t, uint64(0), d.Status().LastIndex, "d holds no entry")
	require.Equal(t, "a", n.leaderOf("d"), "d has seen the leader")

	d.SetConfig(2, peers("d", "e"))
	for range 5 {
		n.tick("d", "e")
	}
	r, ok := n.result("d", 2)
	require.True(t, ok, "SetConfig through d has no result")
	assert.ErrorIs(t, r.Err, ErrNotLeader)
	assert.Equal(t, "a", r.Leader.GetName(), "the shell forwards to the leader")
	assert.Equal(t, Follower, d.Status().Role)
	assert.Equal(t, uint64(0), n.core("e").Status().LastIndex, "no second cluster")

	// Once d gets the entries, its entry 1 is the cluster's.
	n.filter = nil
	for i := 0; d.Status().CommitIndex < n.core("a").Status().CommitIndex; i++ {
		require.Less(t, i, 20, "d does not catch up")
		n.tick("a")
	}
	assert.Equal(t, n.core("a").log.entry(1), d.log.entry(1))
	assert.Equal(t, []string{"d"}, serverNames(d.Status().Config.GetLearners()))
}

// A blank peer that restarts with a stored term refuses an initial
// configuration (it knows no leader to redirect to), unless the term is
// that of its own bootstrap campaign, cut short by the restart.
func TestMembership_6_BlankWithTermRefusesInitialConfig(t *testing.T) {
	tests := []struct {
		name   string
		meta   *rafterpb.Meta
		refuse bool
	}{
		{"term heard from others", &rafterpb.Meta{Term: 3}, true},
		{"voted for another", &rafterpb.Meta{Term: 3, VotedFor: peer("a")}, true},
		{"own campaign", &rafterpb.Meta{Term: 3, VotedFor: peer("d")}, false},
		{"never heard", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(testConfig("d", 1), Restored{Meta: tt.meta})
			require.NoError(t, err)
			d.SetConfig(1, peers("d", "e"))
			rd := d.Ready()
			st := d.Status()
			if !tt.refuse {
				assert.Empty(t, rd.Results)
				assert.Equal(t, Candidate, st.Role)
				return
			}
			require.Len(t, rd.Results, 1)
			assert.ErrorIs(t, rd.Results[0].Err, ErrInvalidInitialConfig)
			assert.Empty(t, rd.Messages)
			assert.Empty(t, rd.MessagesAfterPersist)
			assert.Equal(t, Follower, st.Role)
			assert.Equal(t, uint64(3), st.Term)
			assert.Equal(t, rafterpb.ConfigState_CONFIG_STATE_BLANK, st.Config.GetState())
		})
	}
}

// Which RequestVotes show a cluster: one from a candidate with a log does
// (it ends a pending initial configuration, which could otherwise win an
// election later); one from a blank candidate with its own initial
// configuration does not (rafter's conflicting-configuration rules apply).
func TestMembership_6_RequestVoteShowsCluster(t *testing.T) {
	rv := func(term, lastIndex uint64) *rafterpb.RaftMessage {
		return &rafterpb.RaftMessage{From: peer("c"), To: peer("b"), Term: term,
			Body: &rafterpb.RaftMessage_RequestVote{RequestVote: &rafterpb.RequestVote{
				LastLogIndex: lastIndex, LastLogTerm: min(lastIndex, 1)}}}
	}
	tests := []struct {
		name      string
		lastIndex uint64
		wantInit  bool
	}{
		{"candidate with a log", 1, false},
		{"blank candidate", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := New(testConfig("b", 1), Restored{})
			require.NoError(t, err)
			b.SetConfig(1, peers("a", "b", "c"))
			require.Equal(t, Candidate, b.Status().Role)
			require.NoError(t, b.Step(rv(b.Status().Term, tt.lastIndex)))
			rd := b.Ready()
			st := b.Status()
			if tt.wantInit {
				assert.Empty(t, rd.Results)
				assert.Equal(t, Candidate, st.Role)
				assert.Equal(t, rafterpb.ConfigState_CONFIG_STATE_STABLE, st.Config.GetState())
				return
			}
			require.Len(t, rd.Results, 1)
			assert.ErrorIs(t, rd.Results[0].Err, ErrInvalidInitialConfig)
			assert.Equal(t, Follower, st.Role)
			assert.Equal(t, rafterpb.ConfigState_CONFIG_STATE_BLANK, st.Config.GetState())
			for range 40 {
				b.Tick()
			}
			assert.Equal(t, Follower, b.Status().Role, "no campaign without a configuration")
			b.SetConfig(2, peers("a", "b", "c"))
			rd = b.Ready()
			require.Len(t, rd.Results, 1)
			assert.ErrorIs(t, rd.Results[0].Err, ErrInvalidInitialConfig)
		})
	}
}

// changeConfig runs SetConfig on the leader and settles the network.
func changeConfig(t *testing.T, n *network, leader string, id RequestID, names ...string) Result {
	n.core(leader).SetConfig(id, peers(names...))
	for i := 0; ; i++ {
		require.Less(t, i, 50)
		n.tick(leader)
		if r, ok := n.result(leader, id); ok {
			n.tick(leader)
			return r
		}
	}
}

// configStates lists the states of the configuration entries in name's log.
func configStates(n *network, name string) []rafterpb.ConfigState {
	var out []rafterpb.ConfigState
	l := n.core(name).log
	for _, i := range l.configs {
		out = append(out, l.entry(i).GetConfig().GetState())
	}
	return out
}

// Reference: Raft §6 (joint consensus) as rafter: 3 -> 5 goes through a
// staging entry (d and e catch up, thesis §4.2.1), a transitional entry,
// then the stable entry of the new servers; the request is answered when
// the stable entry commits.
func TestMembership_6_Grow3To5(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.add("d", netOpt{})
	n.add("e", netOpt{})
	n.elect("a")
	r := changeConfig(t, n, "a", 9, "a", "b", "c", "d", "e")
	require.NoError(t, r.Err)
	for _, name := range n.names {
		st := n.core(name).Status()
		assert.Equal(t, []string{"a", "b", "c", "d", "e"}, serverNames(st.Config.GetOldServers()), name)
		assert.Equal(t, rafterpb.ConfigState_CONFIG_STATE_STABLE, st.Config.GetState(), name)
		assert.Equal(t, []rafterpb.ConfigState{
			rafterpb.ConfigState_CONFIG_STATE_STABLE,
			rafterpb.ConfigState_CONFIG_STATE_STAGING,
			rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL,
			rafterpb.ConfigState_CONFIG_STATE_STABLE,
		}, configStates(n, name), name)
	}
	assert.Equal(t, n.core("a").log.configs[3], r.Index, "answered at the final stable entry")
	// The new servers count: with two old servers down, d and e make a quorum.
	n.isolate("b")
	n.isolate("c")
	n.core("a").Propose(10, []byte("x"))
	n.tick("a")
	assert.Equal(t, n.core("a").log.lastIndex(), n.core("a").Status().CommitIndex)
}

// Reference: Raft §6. In the transitional configuration an entry needs a
// majority of the old and of the new servers.
func TestMembership_6_TransitionalNeedsBothMajorities(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	for _, name := range []string{"d", "e", "f"} {
		n.add(name, netOpt{})
	}
	n.elect("a")
	// d, e and f catch up in staging, then are cut off from the joint
	// configuration on.
	n.filter = func(m *rafterpb.RaftMessage) bool {
		to := m.GetTo().GetName()
		return (to == "d" || to == "e" || to == "f") &&
			n.core("a").Status().Config.GetState() == rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL
	}
	n.core("a").SetConfig(1, peers("d", "e", "f"))
	for range 5 {
		n.tick("a")
	}
	_, tIdx := n.core("a").log.lastConfig()
	require.Equal(t, rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL, n.core("a").Status().Config.GetState())
	assert.Less(t, n.core("a").Status().CommitIndex, tIdx, "the old majority alone does not commit the transitional entry")
	_, ok := n.result("a", 1)
	assert.False(t, ok)
}

// Reference: Raft §6 as rafter: shrink 5 -> 3.
func TestMembership_6_Shrink5To3(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c", "d", "e"}, netOpt{})
	n.elect("a")
	r := changeConfig(t, n, "a", 1, "a", "b", "c")
	require.NoError(t, r.Err)
	for _, name := range []string{"a", "b", "c"} {
		assert.Equal(t, []string{"a", "b", "c"}, serverNames(n.core(name).Status().Config.GetOldServers()), name)
	}
	// Removed servers never stand for election again.
	for range 50 {
		n.tick("d", "e")
	}
	assert.Equal(t, Follower, n.core("d").Status().Role)
	assert.Equal(t, Follower, n.core("e").Status().Role)
	assert.Equal(t, "a", n.leaderOf("b"))
	// Removed means removed: d and e forget the leader and refuse client
	// requests with ErrNotMember, even when an AppendEntries of the
	// leader still reaches them.
	for i, name := range []string{"d", "e"} {
		st := n.core(name).Status()
		assert.Nil(t, st.Leader, "%s still names a leader", name)
		assert.False(t, st.Member, name)
		m := &rafterpb.RaftMessage{From: peer("a"), To: peer(name), Term: n.core("a").Status().Term,
			Body: &rafterpb.RaftMessage_AppendEntries{AppendEntries: &rafterpb.AppendEntries{
				PrevLogIndex: n.core(name).Status().LastIndex, PrevLogTerm: n.core(name).Status().LastTerm,
				CommitIndex: n.core(name).Status().CommitIndex}}}
		require.NoError(t, n.core(name).Step(m))
		assert.Nil(t, n.core(name).Status().Leader, "%s learnt a leader again", name)
		id := RequestID(100 + i)
		n.core(name).Propose(id, []byte("x"))
		n.core(name).Read(id + 10)
		n.drain(name)
		for _, want := range []RequestID{id, id + 10} {
			r, ok := n.result(name, want)
			require.True(t, ok, "%s answered %d", name, want)
			assert.ErrorIs(t, r.Err, ErrNotMember, "%s request %d", name, want)
		}
	}
	assert.True(t, n.core("b").Status().Member)
}

// Reference: Raft §6 (the leader not in the new configuration) as rafter:
// the leader manages the change, then steps down; the new servers elect a
// leader among themselves.
func TestMembership_6_LeaderRemoval(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.add("d", netOpt{})
	n.elect("a")
	n.core("a").Propose(5, []byte("pending?"))
	r := changeConfig(t, n, "a", 1, "b", "c", "d")
	require.NoError(t, r.Err)
	a := n.core("a").Status()
	assert.Equal(t, Follower, a.Role, "the removed leader steps down once the stable entry commits")
	assert.False(t, config.HasVote(peer("a"), a.Config))
	for i := 0; n.leaderOf("b") == "" || n.leaderOf("b") == "a"; i++ {
		require.Less(t, i, 100, "no new leader")
		n.tick()
	}
	assert.Contains(t, []string{"b", "c", "d"}, n.leaderOf("b"))
	assert.NotEqual(t, Leader, n.core("a").Status().Role)
}

// rafter: rafter_config:allow_config/2. One change at a time; the same list
// is not a change; only the leader changes the configuration.
func TestMembership_6_OneChangeAtATime(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.add("d", netOpt{})
	n.elect("a")
	a := n.core("a")
	a.SetConfig(1, peers("a", "b", "c", "d"))
	a.SetConfig(2, peers("a", "b"))
	n.drain("a")
	r, _ := n.result("a", 2)
	assert.ErrorIs(t, r.Err, ErrConfigInProgress)
	n.core("b").SetConfig(3, peers("a", "b"))
	n.drain("b")
	r, _ = n.result("b", 3)
	assert.ErrorIs(t, r.Err, ErrNotLeader)
	assert.Equal(t, "a", r.Leader.GetName())
	for range 5 {
		n.tick("a")
	}
	r, ok := n.result("a", 1)
	require.True(t, ok)
	require.NoError(t, r.Err)
	a.SetConfig(4, peers("d", "c", "b", "a"))
	n.drain("a")
	r, _ = n.result("a", 4)
	assert.ErrorIs(t, r.Err, ErrNotModified)
}
