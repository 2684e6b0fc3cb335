package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/rafterpb"
)

func requestVote(from string, term, lastIndex, lastTerm uint64, pre bool) *rafterpb.RaftMessage {
	return &rafterpb.RaftMessage{From: peer(from), Term: term, Body: &rafterpb.RaftMessage_RequestVote{
		RequestVote: &rafterpb.RequestVote{LastLogIndex: lastIndex, LastLogTerm: lastTerm, PreVote: pre}}}
}

func voteMsg(from string, term uint64, granted, pre bool) *rafterpb.RaftMessage {
	return &rafterpb.RaftMessage{From: peer(from), Term: term, Body: &rafterpb.RaftMessage_Vote{
		Vote: &rafterpb.Vote{Granted: granted, PreVote: pre}}}
}

func appendReply(from string, term, index uint64, success bool) *rafterpb.RaftMessage {
	return &rafterpb.RaftMessage{From: peer(from), Term: term, Body: &rafterpb.RaftMessage_AppendEntriesReply{
		AppendEntriesReply: &rafterpb.AppendEntriesReply{Index: index, Success: success}}}
}

func onNode(m *rafterpb.RaftMessage, node string) *rafterpb.RaftMessage {
	m.From.Node = node
	return m
}

func appendMsg(from string, term, prev, prevTerm uint64) *rafterpb.RaftMessage {
	return &rafterpb.RaftMessage{From: peer(from), Term: term, Body: &rafterpb.RaftMessage_AppendEntries{
		AppendEntries: &rafterpb.AppendEntries{PrevLogIndex: prev, PrevLogTerm: prevTerm}}}
}

// strangerNetwork is a cluster {a,b,c} whose logs hold the configuration
// and two more entries of term 1, with b in the given role.
func strangerNetwork(t *testing.T, role Role) *network {
	r := configured("a", "b", "c")
	r.Entries = append(r.Entries, opEntries(2, 3, 1)...)
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{restored: map[string]Restored{"a": r, "b": r, "c": r}})
	switch role {
	case Leader:
		n.elect("b")
	case Candidate:
		n.isolate("b")
		for i := 0; n.core("b").Status().Role != Candidate; i++ {
			require.Less(t, i, 100)
			n.tick("b")
		}
	}
	require.Equal(t, role, n.core("b").Status().Role)
	require.False(t, n.core("b").HasReady())
	return n
}

// Issue 7 ("a message from a System not in the configuration arrives:
// ignored and logged"), Raft thesis §4.2.3: a member drops a stranger's
// vote traffic and unexpected replies, whatever its role and whatever the
// term, with ErrUnknownPeer; its term, vote and role stay, and it answers
// nothing, so the stranger learns nothing.
func TestUnknownPeer_DroppedAndNothingChanges(t *testing.T) {
	tests := []struct {
		name string
		m    *rafterpb.RaftMessage
	}{
		{"request_vote, empty log", requestVote("x", 9, 0, 0, false)},
		{"request_vote, shorter log", requestVote("x", 9, 2, 1, false)},
		{"request_vote, older last term", requestVote("x", 9, 50, 0, false)},
		{"pre_vote, empty log", requestVote("x", 9, 0, 0, true)},
		{"pre_vote, shorter log", requestVote("x", 9, 2, 1, true)},
		{"vote granted", voteMsg("x", 9, true, false)},
		{"vote refused", voteMsg("x", 9, false, false)},
		{"pre_vote granted", voteMsg("x", 9, true, true)},
		{"vote of an older term", voteMsg("x", 1, false, false)},
		{"append_entries_reply", appendReply("x", 9, 3, true)},
		{"append_entries_reply refused", appendReply("x", 9, 1, false)},
		{"member's name on another node", onNode(requestVote("a", 9, 0, 0, false), "elsewhere")},
	}
	for _, role := range []Role{Follower, Candidate, Leader} {
		for _, tt := range tests {
			t.Run(role.String()+"/"+tt.name, func(t *testing.T) {
				n := strangerNetwork(t, role)
				b := n.core("b")
				before := b.Status()
				votedFor := b.votedFor
				assert.ErrorIs(t, b.Step(tt.m), ErrUnknownPeer)
				assert.Equal(t, before, b.Status())
				assert.Equal(t, votedFor, b.votedFor)
				assert.False(t, b.HasReady(), "no reply, no state to persist")
			})
		}
	}
}

// The same messages from a member are handled (the filter keys on the
// sender, not on the message): a newer term from a listed peer still makes
// b a follower of that term.
func TestUnknownPeer_MembersAreServed(t *testing.T) {
	n := strangerNetwork(t, Follower)
	b := n.core("b")
	require.NoError(t, b.Step(requestVote("c", 9, 0, 0, false)))
	assert.Equal(t, uint64(9), b.Status().Term)
	assert.True(t, b.HasReady(), "c is answered (a refusal)")
}

// AppendEntries are not filtered: a member whose configuration lags hears
// from a leader its stale configuration does not list yet, and only that
// leader can bring it up to date (see checkSender).
func TestUnknownPeer_AppendEntriesAccepted(t *testing.T) {
	n := strangerNetwork(t, Follower)
	b := n.core("b")
	require.NoError(t, b.Step(appendMsg("x", 9, 3, 1)))
	st := b.Status()
	assert.Equal(t, uint64(9), st.Term)
	assert.Equal(t, "x", st.Leader.GetName())
	rd := b.Ready()
	msgs := append(rd.Messages, rd.MessagesAfterPersist...)
	require.Len(t, msgs, 1)
	assert.Equal(t, "x", msgs[0].GetTo().GetName())
	assert.True(t, msgs[0].GetAppendEntriesReply().GetSuccess())
}

// A stranger whose log is at least as up to date as the member's is
// answered: the member could grant it, and the liveness of a membership
// change depends on it (TestUnknownPeer_LaggingMemberElectsNewServer).
func TestUnknownPeer_UpToDateCandidateServed(t *testing.T) {
	for _, pre := range []bool{false, true} {
		n := strangerNetwork(t, Follower)
		b := n.core("b")
		require.NoError(t, b.Step(requestVote("x", 9, 4, 2, pre)))
		rd := b.Ready()
		msgs := append(rd.Messages, rd.MessagesAfterPersist...)
		require.Len(t, msgs, 1, "pre=%v", pre)
		assert.True(t, msgs[0].GetVote().GetGranted(), "pre=%v", pre)
	}
}

// A blank peer filters nothing: it votes for the candidate that logs the
// initial configuration, which it cannot know yet.
func TestUnknownPeer_BlankPeerFiltersNothing(t *testing.T) {
	c, err := New(testConfig("b", 1), Restored{})
	require.NoError(t, err)
	require.NoError(t, c.Step(requestVote("x", 2, 0, 0, false)))
	assert.Equal(t, uint64(2), c.Status().Term)
	assert.True(t, c.HasReady())
	c.Advance(c.Ready())
	require.NoError(t, c.Step(voteMsg("y", 3, false, false)))
	require.NoError(t, c.Step(appendReply("y", 3, 0, false)))
}

// A removed peer is tracked as leaving until it holds the configuration that
// removes it (refreshProgress): the leader still takes its replies, and
// drops them once it stopped tracking it.
func TestUnknownPeer_LeavingPeerRepliesReachLeader(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c", "d", "e"}, netOpt{})
	n.elect("a")
	n.isolate("d")
	r := changeConfig(t, n, "a", 1, "a", "b", "c")
	require.NoError(t, r.Err)
	a := n.core("a")
	pr := a.leading.progress[keyOf("d")]
	require.NotNil(t, pr, "d does not hold the final configuration yet")
	require.True(t, pr.leaving)
	_, confIdx := a.log.lastConfig()

	// A reply from the leaving d is taken (a refusal of a probe it never
	// got changes nothing but is not an ErrUnknownPeer either).
	require.NoError(t, a.Step(appendReply("d", a.Status().Term, pr.next-1, false)))

	n.heal()
	for i := 0; a.leading.progress[keyOf("d")] != nil; i++ {
		require.Less(t, i, 20, "d never caught up")
		n.tick("a") // the harness requires every Step to succeed
	}
	assert.GreaterOrEqual(t, n.core("d").log.lastIndex(), confIdx, "d holds the configuration removing it")
	assert.ErrorIs(t, a.Step(appendReply("d", a.Status().Term, confIdx, true)), ErrUnknownPeer,
		"no longer tracked: a stranger")
}

// Liveness of a membership change (see checkSender): grow {a,b,c} to
// {a,b,c,d,e} while c is partitioned, then lose a and b. c, d and e are a
// majority of the committed configuration, but c's latest configuration is
// still {a,b,c}; it must still answer d and e, whose logs are longer, or no
// leader could ever be elected. The test fails if the filter drops every
// unknown candidate.
func TestUnknownPeer_LaggingMemberElectsNewServer(t *testing.T) {
	for _, preVote := range []bool{false, true} {
		n := newNetwork(t, []string{"a", "b", "c"}, netOpt{cfg: func(c *Options) { c.PreVote = preVote }})
		n.add("d", netOpt{cfg: func(c *Options) { c.PreVote = preVote }})
		n.add("e", netOpt{cfg: func(c *Options) { c.PreVote = preVote }})
		n.elect("a")
		n.isolate("c")
		r := changeConfig(t, n, "a", 1, "a", "b", "c", "d", "e")
		require.NoError(t, r.Err)
		require.Equal(t, []string{"a", "b", "c"}, serverNames(n.core("c").Status().Config.GetOldServers()))

		n.heal()
		n.isolate("a")
		n.isolate("b")
		leader := ""
		for i := 0; leader == ""; i++ {
			require.Less(t, i, 300, "preVote=%v: no leader among c, d, e", preVote)
			n.tick("c", "d", "e")
			for _, name := range []string{"c", "d", "e"} {
				if n.core(name).Status().Role == Leader {
					leader = name
				}
			}
		}
		assert.Contains(t, []string{"d", "e"}, leader, "preVote=%v: c's log is behind", preVote)
		n.tick("c", "d", "e")
		assert.Equal(t, []string{"a", "b", "c", "d", "e"}, serverNames(n.core("c").Status().Config.GetOldServers()),
			"preVote=%v: c caught up", preVote)
	}
}
