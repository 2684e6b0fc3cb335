package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/rafterpb"
)

// Reference: Raft §5.4.1. A vote is refused to a candidate whose log is less
// up to date (older last term, or same last term and shorter).
func TestSafety_5_4_1_VoteRestriction(t *testing.T) {
	voter := Restored{Meta: &rafterpb.Meta{Term: 3},
		Entries: append([]*rafterpb.Entry{stableEntry("a", "b", "c")}, opEntries(2, 5, 3)...)}
	tests := []struct {
		name            string
		lastIdx, lastTm uint64
		grant           bool
	}{
		{"older last term, longer log", 9, 2, false},
		{"same term, shorter log", 4, 3, false},
		{"same term, same length", 5, 3, true},
		{"same term, longer", 6, 3, true},
		{"newer last term, shorter", 2, 4, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(testConfig("b", 1), voter)
			require.NoError(t, err)
			require.NoError(t, c.Step(&rafterpb.RaftMessage{From: peer("a"), To: peer("b"), Term: 4,
				Body: &rafterpb.RaftMessage_RequestVote{RequestVote: &rafterpb.RequestVote{
					LastLogIndex: tt.lastIdx, LastLogTerm: tt.lastTm}}}))
			rd := c.Ready()
			msgs := append(rd.Messages, rd.MessagesAfterPersist...)
			require.Len(t, msgs, 1)
			assert.Equal(t, tt.grant, msgs[0].GetVote().GetGranted())
			assert.Equal(t, tt.grant, rd.Meta.GetVotedFor() != nil, "the vote is recorded iff granted")
		})
	}
}

// Reference: Raft §5.4.2 and Figure 8. S1, leader of term 4, replicates the
// term-2 entry at index 2 to a majority. Counting replicas would commit it,
// yet S5 (last term 3) could still be elected and overwrite it. The leader
// commits it only once its own term-4 entry is on a majority.
func TestSafety_5_4_2_Figure8OldTermNotCommittedByCounting(t *testing.T) {
	names := []string{"s1", "s2", "s3", "s4", "s5"}
	base := stableEntry(names...)
	short := Restored{Meta: &rafterpb.Meta{Term: 3}, Entries: []*rafterpb.Entry{base}}
	n := newNetwork(t, names, netOpt{
		cfg: func(c *Options) { c.MaxMsgEntries = 1 },
		restored: map[string]Restored{
			"s1": {Meta: &rafterpb.Meta{Term: 3}, Entries: append([]*rafterpb.Entry{base}, opEntries(2, 2, 2)...)},
			"s2": short, "s3": short, "s4": short,
			"s5": {Meta: &rafterpb.Meta{Term: 3}, Entries: append([]*rafterpb.Entry{base}, opEntries(2, 2, 3)...)},
		}})
	s1 := n.core("s1")
	n.isolate("s5")
	for s1.Status().Role != Leader {
		s1.Tick()
		n.drain("s1")
		n.deliverRound()
		n.deliverRound()
	}
	require.Equal(t, uint64(4), s1.Status().Term)
	// Replicate one entry per round trip (MaxMsgEntries = 1) and check the
	// commit index after each.
	sawOldOnMajority := false
	for i := 0; s1.Status().CommitIndex < 3; i++ {
		require.Less(t, i, 50)
		s1.Tick()
		n.drain("s1")
		n.deliverRound()
		n.deliverRound()
		onMajority := 0
		for _, name := range names {
			if l := n.core(name).log; l.lastIndex() >= 2 && l.term(2) == 2 {
				onMajority++
			}
		}
		has3 := 0
		for _, name := range names {
			if n.core(name).log.lastIndex() >= 3 {
				has3++
			}
		}
		if onMajority >= 3 && has3 < 3 {
			sawOldOnMajority = true
			assert.Less(t, s1.Status().CommitIndex, uint64(2),
				"term-2 entry on %d of 5 peers must not commit by counting replicas", onMajority)
		}
	}
	assert.True(t, sawOldOnMajority, "the scenario put the old-term entry on a majority first")
	assert.Equal(t, uint64(3), s1.Status().CommitIndex, "committing the term-4 no-op commits index 2 with it")
}
