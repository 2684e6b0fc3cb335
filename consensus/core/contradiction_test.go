package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/rafterpb"
)

// committedNetwork is a 3-peer network led by a in term 2 where every peer
// holds and has committed entries 1..5.
func committedNetwork(t *testing.T) *network {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.elect("a")
	for i := RequestID(1); i <= 3; i++ {
		n.core("a").Propose(i, []byte("x"))
	}
	n.stabilize()
	n.tick("a") // the commit index reaches the followers
	for _, name := range n.names {
		require.Equal(t, uint64(5), n.core(name).Status().CommitIndex, name)
	}
	return n
}

// Reference: Raft §5.2 (Election Safety) and §5.4 (Leader Completeness). A
// message that no correct peer sends is refused with ErrContradiction and
// changes nothing, not even the term; before, each of them panicked.
func TestStep_ContradictionsChangeNothing(t *testing.T) {
	ae := func(from string, term, prev, prevTerm uint64, es ...*rafterpb.Entry) *rafterpb.RaftMessage {
		return &rafterpb.RaftMessage{From: peer(from), Term: term, Body: &rafterpb.RaftMessage_AppendEntries{
			AppendEntries: &rafterpb.AppendEntries{PrevLogIndex: prev, PrevLogTerm: prevTerm, Entries: es, CommitIndex: 9}}}
	}
	op := func(i, term uint64) *rafterpb.Entry {
		return &rafterpb.Entry{Index: i, Term: term, Type: rafterpb.EntryType_ENTRY_TYPE_OP, Cmd: []byte("evil")}
	}
	tests := []struct {
		name string
		to   string
		m    *rafterpb.RaftMessage
	}{
		{"two leaders in a term", "a", ae("b", 2, 5, 2)},
		{"two leaders, with entries", "a", ae("b", 2, 5, 2, op(6, 2))},
		{"second leader in a follower's term", "b", ae("c", 2, 5, 2, op(6, 2))},
		{"overwrite committed index, same term", "b", ae("c", 2, 1, 1, op(2, 1))},
		{"overwrite committed index, newer term", "b", ae("c", 7, 1, 1, op(2, 7))},
		{"overwrite committed index from the leader", "c", ae("a", 2, 1, 1, op(2, 1), op(3, 1))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := committedNetwork(t)
			c := n.core(tt.to)
			before := c.Status()
			require.False(t, c.HasReady())
			assert.ErrorIs(t, c.Step(tt.m), ErrContradiction)
			assert.Equal(t, before, c.Status())
			assert.False(t, c.HasReady(), "a refused message sends nothing")
			for i := uint64(1); i <= 5; i++ {
				assert.NotEqual(t, "evil", string(c.log.entry(i).GetCmd()), "index %d", i)
			}
		})
	}
}

// A configuration entry that the core could not use as its membership is a
// malformed message, refused before it enters the log.
func TestStep_UnusableConfigEntryRefused(t *testing.T) {
	conf := func(state rafterpb.ConfigState, old, nw []*rafterpb.Peer, learners ...*rafterpb.Peer) *rafterpb.RaftMessage {
		e := &rafterpb.Entry{Index: 2, Term: 3, Type: rafterpb.EntryType_ENTRY_TYPE_CONFIG,
			Config: &rafterpb.Config{State: state, OldServers: old, NewServers: nw, Learners: learners}}
		return &rafterpb.RaftMessage{From: peer("a"), Term: 3, Body: &rafterpb.RaftMessage_AppendEntries{
			AppendEntries: &rafterpb.AppendEntries{PrevLogIndex: 1, PrevLogTerm: 1, Entries: []*rafterpb.Entry{e}}}}
	}
	abc := peers("a", "b", "c")
	tests := []struct {
		name string
		m    *rafterpb.RaftMessage
	}{
		{"blank", conf(rafterpb.ConfigState_CONFIG_STATE_BLANK, abc, nil)},
		{"staging without new servers", conf(rafterpb.ConfigState_CONFIG_STATE_STAGING, abc, nil)},
		{"learner that votes", conf(rafterpb.ConfigState_CONFIG_STATE_STABLE, abc, nil, peer("c"))},
		{"learner that votes in joint", conf(rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL, abc, peers("d"), peer("d"))},
		{"duplicate learner", conf(rafterpb.ConfigState_CONFIG_STATE_STABLE, abc, nil, peer("d"), peer("d"))},
		{"unnamed learner", conf(rafterpb.ConfigState_CONFIG_STATE_STABLE, abc, nil, &rafterpb.Peer{})},
		{"unknown state", conf(rafterpb.ConfigState(42), abc, nil)},
		{"stable without servers", conf(rafterpb.ConfigState_CONFIG_STATE_STABLE, nil, nil)},
		{"stable with new servers", conf(rafterpb.ConfigState_CONFIG_STATE_STABLE, abc, peers("d"))},
		{"transitional without new servers", conf(rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL, abc, nil)},
		{"duplicate servers", conf(rafterpb.ConfigState_CONFIG_STATE_STABLE, peers("a", "b", "a"), nil)},
		{"unnamed server", conf(rafterpb.ConfigState_CONFIG_STATE_STABLE, []*rafterpb.Peer{peer("a"), {}}, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(testConfig("b", 1), configured("a", "b", "c"))
			require.NoError(t, err)
			before := c.Status()
			assert.ErrorIs(t, c.Step(tt.m), ErrInvalidMessage)
			assert.Equal(t, before, c.Status())
			assert.False(t, c.HasReady())
		})
	}
}

// Raft assumes durable logs, but disks lose data: a follower that restarts
// with the tail of its log cut (a torn write) or with an empty data
// directory rejects AppendEntries at or below the match index the leader
// recorded for it. The leader must not drop those rejections as stale
// answers, or the follower never catches up in this term.
func TestReplication_FollowerLostEntriesCatchesUp(t *testing.T) {
	tests := []struct {
		name string
		kept func(full []*rafterpb.Entry) Restored
	}{
		{"tail cut", func(full []*rafterpb.Entry) Restored {
			return Restored{Meta: &rafterpb.Meta{Term: 2}, Entries: full[:3]}
		}},
		{"empty data directory", func([]*rafterpb.Entry) Restored { return Restored{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := committedNetwork(t)
			a := n.core("a")
			require.Equal(t, uint64(5), a.leading.progress[keyOf("c")].match)
			c, err := New(testConfig("c", 3), tt.kept(n.core("c").log.entries))
			require.NoError(t, err)
			n.cores["c"] = c // c restarts with what its disk kept
			for i := 0; c.log.lastIndex() < a.log.lastIndex(); i++ {
				require.Less(t, i, 20, "c never catches up: last index %d, leader's %d", c.log.lastIndex(), a.log.lastIndex())
				n.tick("a")
			}
			assert.Equal(t, uint64(1), a.Status().FollowerLostEntries)
			for i := uint64(1); i <= a.log.lastIndex(); i++ {
				assert.Equal(t, a.log.term(i), c.log.term(i), "index %d", i)
			}
			a.Propose(9, []byte("y"))
			n.stabilize()
			n.tick("a")
			assert.Equal(t, uint64(6), c.Status().CommitIndex)
		})
	}
}
