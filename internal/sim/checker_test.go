package sim

import (
	"testing"

	"github.com/rafter-go/rafter/rafterpb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The checker on its own, fed by hand: each invariant reports its violation.

func ent(index, term uint64, cmd string) *rafterpb.Entry {
	return &rafterpb.Entry{Index: index, Term: term, Type: rafterpb.EntryType_ENTRY_TYPE_OP, Cmd: []byte(cmd)}
}

func view(es ...*rafterpb.Entry) *logView {
	v := &logView{}
	for _, e := range es {
		v.push(e)
	}
	return v
}

func TestCheckerElectionSafety(t *testing.T) {
	c := newChecker()
	c.leader("p1", 3, view())
	c.leader("p1", 3, view())
	require.Nil(t, c.err)
	c.leader("p2", 3, view())
	require.NotNil(t, c.err)
	assert.Contains(t, c.err.What, "two leaders in term 3")
}

func TestCheckerLogMatching(t *testing.T) {
	c := newChecker()
	c.logWrite("p1", view(ent(1, 1, "a"), ent(2, 1, "b")), 1, 0)
	c.logWrite("p2", view(ent(1, 1, "a"), ent(2, 1, "b"), ent(3, 2, "c")), 1, 0)
	require.Nil(t, c.err)
	c.logWrite("p3", view(ent(1, 1, "x"), ent(2, 1, "b")), 1, 0) // same (2, 1), other prefix
	require.NotNil(t, c.err)
	assert.Contains(t, c.err.What, "log matching")
}

func TestCheckerCommittedNeverChanges(t *testing.T) {
	c := newChecker()
	v := view(ent(1, 1, "a"), ent(2, 1, "b"))
	c.commit("p1", 1, v, 1, 2, 10)
	c.logWrite("p2", view(ent(1, 1, "a"), ent(2, 2, "z")), 2, 1) // beyond p2's commit: allowed
	require.Nil(t, c.err)
	c.logWrite("p1", view(ent(1, 1, "a"), ent(2, 2, "z")), 2, 2) // p1 knew 2 committed
	require.NotNil(t, c.err)
	assert.Contains(t, c.err.What, "committed entry 2 changed")

	c = newChecker()
	c.commit("p1", 1, v, 1, 2, 10)
	c.commit("p2", 2, view(ent(1, 1, "a"), ent(2, 2, "z")), 1, 2, 11)
	require.NotNil(t, c.err)

	c = newChecker()
	c.commit("p1", 1, v, 1, 3, 10)
	require.NotNil(t, c.err)
	assert.Contains(t, c.err.What, "past its last index")
}

func TestCheckerLeaderCompleteness(t *testing.T) {
	c := newChecker()
	c.commit("p1", 1, view(ent(1, 1, "a")), 1, 1, 10)
	c.leader("p2", 1, view()) // a leader of the same term may lack it (stale view)
	require.Nil(t, c.err)
	c.leader("p3", 2, view())
	require.NotNil(t, c.err)
	assert.Contains(t, c.err.What, "lacks entry 1")
}

func TestCheckerStateMachines(t *testing.T) {
	c := newChecker()
	c.commit("p1", 1, view(ent(1, 1, "a"), ent(2, 1, "b")), 1, 2, 10)
	c.apply("p1", 0, ent(1, 1, "a"))
	require.Nil(t, c.err)
	c.apply("p1", 1, ent(3, 1, "c"))
	require.NotNil(t, c.err, "gap")
	c = newChecker()
	c.commit("p1", 1, view(ent(1, 1, "a")), 1, 1, 10)
	c.apply("p2", 0, ent(1, 1, "other"))
	require.NotNil(t, c.err, "different entry")
	c = newChecker()
	c.apply("p2", 0, ent(1, 1, "a"))
	require.NotNil(t, c.err, "not committed")
}

func TestCheckerAcksAndDuplicates(t *testing.T) {
	c := newChecker()
	c.commit("p1", 1, view(ent(1, 1, "a")), 1, 1, 10)
	c.ack("p1", "a", ent(1, 1, "a"))
	require.Nil(t, c.err)
	c.ack("p1", "b", ent(1, 1, "a"))
	require.NotNil(t, c.err, "ack with another command")

	c = newChecker()
	c.acksHold([]ackRec{{cmd: "a", index: 1}})
	require.NotNil(t, c.err, "acknowledged but never committed")

	c = newChecker()
	c.commit("p1", 1, view(ent(1, 1, "a"), ent(2, 1, "a")), 1, 2, 10)
	require.NotNil(t, c.err)
	assert.Contains(t, c.err.What, "committed twice")
}

func TestCheckerLinearizableReads(t *testing.T) {
	c := newChecker()
	// op 1 commits at time 10, op 2 at time 20.
	c.commit("p1", 1, view(ent(1, 1, "a")), 1, 1, 10)
	c.commit("p1", 1, view(ent(1, 1, "a"), ent(2, 1, "b")), 2, 2, 20)
	c.read("p1", 1, 5, 15) // state 1 lasts [10, 20): overlaps [5, 15]
	c.read("p1", 1, 15, 25)
	c.read("p1", 2, 25, 30)
	c.read("p1", 0, 5, 15) // state 0 until 10: overlaps
	require.Nil(t, c.err)
	c.read("p1", 1, 21, 30) // op 2 committed before the read began
	require.NotNil(t, c.err)
	assert.Contains(t, c.err.What, "stale read")

	c = newChecker()
	c.read("p1", 1, 0, 5)
	require.NotNil(t, c.err, "a read of a state never committed")
}

func TestCheckerDoubleVote(t *testing.T) {
	c := newChecker()
	c.durableVote("p1", &rafterpb.Meta{Term: 2, VotedFor: &rafterpb.Peer{Name: "p2"}})
	c.durableVote("p1", &rafterpb.Meta{Term: 2, VotedFor: &rafterpb.Peer{Name: "p2"}})
	c.durableVote("p1", &rafterpb.Meta{Term: 3})
	require.Nil(t, c.err)
	c.durableVote("p1", &rafterpb.Meta{Term: 2, VotedFor: &rafterpb.Peer{Name: "p3"}})
	require.NotNil(t, c.err)
	assert.Contains(t, c.err.What, "voted for")
}

// Snapshots: a snapshot's counter must equal the committed prefix's
// operations; a peer may commit through its snapshot only what is known
// committed; a log after a compaction point continues the committed chain.
func TestCheckerSnapshots(t *testing.T) {
	c := newChecker()
	c.commit("p1", 1, view(ent(1, 1, "a"), ent(2, 1, "b"), ent(3, 1, "c")), 1, 3, 10)
	c.snapshotState("p1", "saves", encodeSnap(2, 1, nil, 2, nil))
	require.Nil(t, c.err)
	c.snapshotState("p1", "saves", encodeSnap(2, 1, nil, 3, nil))
	require.NotNil(t, c.err)
	assert.Contains(t, c.err.What, "counted 3 operations; the committed prefix holds 2")

	c = newChecker()
	c.commit("p1", 1, view(ent(1, 1, "a")), 1, 1, 10)
	c.snapshotState("p2", "installs", encodeSnap(1, 2, nil, 1, nil))
	require.NotNil(t, c.err, "another term at the index")

	c = newChecker()
	c.commit("p1", 1, view(ent(1, 1, "a"), ent(2, 1, "b")), 1, 2, 10)
	compacted := view(ent(1, 1, "a"), ent(2, 1, "b"), ent(3, 1, "c"))
	compacted.compact(2)
	c.commit("p2", 1, compacted, 1, 3, 11) // 1..2 through its snapshot, 3 from its log
	require.Nil(t, c.err)
	assert.Len(t, c.committed, 3)
	c.commit("p3", 1, &logView{off: 5}, 1, 5, 12)
	require.NotNil(t, c.err)
	assert.Contains(t, c.err.What, "through its snapshot")

	c = newChecker()
	c.commit("p1", 1, view(ent(1, 1, "a"), ent(2, 1, "b")), 1, 2, 10)
	wrong := &logView{off: 1, offTerm: 1, base: 12345}
	wrong.push(ent(2, 1, "b"))
	c.leader("p2", 2, wrong)
	require.NotNil(t, c.err)
	assert.Contains(t, c.err.What, "does not continue the committed prefix")
}
