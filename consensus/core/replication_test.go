package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/rafterpb"
)

// Reference: Raft §5.3. A proposal is replicated, committed on every peer,
// and answered on the leader with its request ID.
func TestReplication_5_3_ProposalCommits(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.elect("a")
	n.core("a").Propose(7, []byte("set x"))
	n.stabilize()
	n.tick("a")
	for _, name := range n.names {
		cs := n.committed[name]
		require.Equal(t, 3, len(cs), name) // the configuration, the no-op and the proposal
		assert.Equal(t, []byte("set x"), cs[2].Entry.GetCmd(), name)
		assert.Equal(t, uint64(3), cs[2].Entry.GetIndex(), name)
	}
	assert.Equal(t, RequestID(7), n.committed["a"][2].ID)
	assert.Zero(t, n.committed["b"][2].ID, "only the proposing leader answers the request")
}

// Reference: Raft §5.3. A follower's uncommitted entries that conflict with
// the leader's log are overwritten.
func TestReplication_5_3_ConflictingSuffixOverwritten(t *testing.T) {
	base := stableEntry("a", "b", "c")
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{restored: map[string]Restored{
		"a": {Meta: &rafterpb.Meta{Term: 3}, Entries: append([]*rafterpb.Entry{base}, opEntries(2, 3, 3)...)},
		"b": {Meta: &rafterpb.Meta{Term: 3}, Entries: append([]*rafterpb.Entry{base}, opEntries(2, 3, 3)...)},
		"c": {Meta: &rafterpb.Meta{Term: 2}, Entries: append([]*rafterpb.Entry{base}, opEntries(2, 6, 2)...)},
	}})
	n.elect("a")
	n.tick("a")
	c := n.core("c").log
	require.Equal(t, n.core("a").log.lastIndex(), c.lastIndex())
	for i := uint64(1); i <= c.lastIndex(); i++ {
		assert.Equal(t, n.core("a").log.term(i), c.term(i), "index %d", i)
	}
	assert.Equal(t, uint64(4), c.lastIndex(), "entries 4..6 of term 2 are gone")
}

// fastBackoff elects a among a, b and c while c is cut off (c's log holds
// cEntries after the configuration), then lets a catch c up, round trip by
// round trip (leader -> c, c -> leader). It returns the round trips and c's
// rejections.
func fastBackoff(t *testing.T, leaderLen uint64, cEntries []*rafterpb.Entry) (roundTrips, rejects int) {
	base := stableEntry("a", "b", "c")
	full := append([]*rafterpb.Entry{base}, opEntries(2, leaderLen, 1)...)
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{
		cfg: func(c *Options) { c.MaxMsgEntries, c.MaxInflight = 100, 32 },
		restored: map[string]Restored{
			"a": {Meta: &rafterpb.Meta{Term: 2}, Entries: full},
			"b": {Meta: &rafterpb.Meta{Term: 2}, Entries: full},
			"c": {Meta: &rafterpb.Meta{Term: 2}, Entries: append([]*rafterpb.Entry{base}, cEntries...)},
		}})
	n.isolate("c")
	n.elect("a")
	n.heal()
	n.sent = nil
	a, c := n.core("a"), n.core("c")
	a.Tick() // the heartbeat probes c
	n.drain("a")
	for c.log.lastIndex() != a.log.lastIndex() || c.log.lastTerm() != a.log.lastTerm() {
		n.deliverRound() // leader -> c
		n.deliverRound() // c -> leader
		roundTrips++
		require.Less(t, roundTrips, 10000, "c never caught up")
	}
	for _, m := range n.sent {
		if r := m.GetAppendEntriesReply(); r != nil && m.GetFrom().GetName() == "c" && !r.GetSuccess() {
			rejects++
		}
	}
	return roundTrips, rejects
}

// Reference: Raft §5.3 with fast back-off (thesis §5.3's optimization and
// etcd-io/raft's reject hint). A follower 10,000 entries behind catches up in
// a handful of round trips: the reject hint jumps next_index to its last
// entry, then pipelined batches (100 entries, 32 in flight) stream the rest.
func TestReplication_5_3_FastBackoffFollowerFarBehind(t *testing.T) {
	rounds, rejects := fastBackoff(t, 10000, nil)
	t.Logf("10,000 behind: %d round trips, %d rejections", rounds, rejects)
	assert.LessOrEqual(t, rejects, 1)
	assert.LessOrEqual(t, rounds, 6, "10,000 entries / (100 x 32) per round trip, plus the probe")
}

// Reference: Raft §5.3, Figure 7 (f): a follower whose 5,000 extra entries
// come from a term the leader never saw backs off a whole term per round
// trip, not an entry.
func TestReplication_5_3_FastBackoffDivergentSuffix(t *testing.T) {
	rounds, rejects := fastBackoff(t, 3000, opEntries(2, 5000, 2))
	t.Logf("divergent suffix: %d round trips, %d rejections", rounds, rejects)
	assert.LessOrEqual(t, rejects, 2)
	assert.LessOrEqual(t, rounds, 4)
}

// Batching: one AppendEntries carries at most MaxMsgEntries entries and at
// most MaxMsgBytes of payload (but always one entry).
func TestReplication_Batching(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{cfg: func(c *Options) {
		c.MaxMsgEntries, c.MaxMsgBytes, c.MaxInflight = 10, 4000, 64
	}})
	n.elect("a")
	a := n.core("a")
	for i := range 100 {
		a.Propose(RequestID(i+1), []byte("small"))
	}
	big := make([]byte, 3000)
	for i := range 5 {
		a.Propose(RequestID(200+i), big)
	}
	n.sent = nil
	n.stabilize()
	n.tick("a")
	var batches []int
	for _, m := range n.sent {
		ae := m.GetAppendEntries()
		if len(ae.GetEntries()) == 0 {
			continue
		}
		batches = append(batches, len(ae.GetEntries()))
		assert.LessOrEqual(t, len(ae.GetEntries()), 10)
		var size uint64
		for _, e := range ae.GetEntries() {
			size += entrySize(e)
		}
		assert.True(t, len(ae.GetEntries()) == 1 || size <= 4000, "batch of %d bytes", size)
	}
	assert.Contains(t, batches, 10, "small entries are batched")
	assert.Contains(t, batches, 1, "a 3000-byte entry travels alone under a 4000-byte limit")
	assert.Equal(t, 107, len(n.committed["b"]))
}

// Pipelining: without answers, the leader sends a follower at most
// MaxInflight AppendEntries, then waits.
func TestReplication_PipeliningIsBounded(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{cfg: func(c *Options) { c.MaxMsgEntries, c.MaxInflight = 1, 4 }})
	n.elect("a")
	n.cut[[2]string{"b", "a"}] = true // b's answers are lost
	a := n.core("a")
	for i := range 20 {
		a.Propose(RequestID(i+1), []byte("x"))
	}
	rd := a.Ready()
	toB := 0
	for _, m := range rd.Messages {
		if m.GetTo().GetName() == "b" {
			toB++
		}
	}
	assert.Equal(t, 4, toB, "window of 4 in flight")
	a.Advance(rd)
	assert.True(t, a.leading.progress[keyOf("b")].inflight.full())
}

// Raft thesis §10.2.1: the leader sends entries before its own write is
// durable, and counts its own entry only once Persisted reports it.
func TestReplication_LeaderCountsItselfOnlyWhenPersisted(t *testing.T) {
	n := newNetwork(t, []string{"a", "b", "c"}, netOpt{})
	n.elect("a")
	n.isolate("c")
	n.hold["a"] = true
	a := n.core("a")
	a.Propose(1, []byte("x"))
	n.stabilize()
	require.Equal(t, uint64(3), n.core("b").log.lastIndex(), "sent before the leader's write is durable")
	assert.Equal(t, uint64(2), a.Status().CommitIndex, "b alone is not a quorum of 3")
	a.Persisted(3, 1) // wrong term: ignored
	assert.Equal(t, uint64(2), a.Status().CommitIndex)
	n.persist("a")
	assert.Equal(t, uint64(3), a.Status().CommitIndex)
}
