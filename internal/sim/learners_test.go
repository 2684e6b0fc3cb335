package sim

import (
	"testing"

	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/rafterpb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The learner invariants on their own, fed by hand: each reports a learner
// counted where only voters count.

func pr(name string) *rafterpb.Peer { return &rafterpb.Peer{Name: name} }

func prs(names ...string) []*rafterpb.Peer {
	out := make([]*rafterpb.Peer, len(names))
	for i, n := range names {
		out[i] = pr(n)
	}
	return out
}

func confEntry(index, term uint64, c *rafterpb.Config) *rafterpb.Entry {
	return &rafterpb.Entry{Index: index, Term: term, Type: rafterpb.EntryType_ENTRY_TYPE_CONFIG, Config: c}
}

// abcWithLearnerD is {a, b, c} with learner d.
func abcWithLearnerD() *rafterpb.Config {
	return &rafterpb.Config{State: rafterpb.ConfigState_CONFIG_STATE_STABLE, OldServers: prs("a", "b", "c"), Learners: prs("d")}
}

// learnerWorld is a world of peers a, b, c, d whose durable logs and views
// hold the first n[i] entries of log.
func learnerWorld(log []*rafterpb.Entry, n map[string]int) *World {
	w := &World{chk: newChecker(), byName: map[string]int{}}
	for i, name := range []string{"a", "b", "c", "d"} {
		nd := &node{idx: i, id: pr(name), name: name, up: true}
		for _, e := range log[:n[name]] {
			nd.st.log = append(nd.st.log, e)
			nd.st.view.push(e)
		}
		w.nodes = append(w.nodes, nd)
		w.byName[name] = i
	}
	return w
}

func opsLog(first *rafterpb.Entry, k int) []*rafterpb.Entry {
	log := []*rafterpb.Entry{first}
	for i := 2; i <= k; i++ {
		log = append(log, ent(uint64(i), 2, "x"))
	}
	return log
}

func TestCheckLearnerNeverCampaigns(t *testing.T) {
	w := learnerWorld(nil, nil)
	w.checkRoleOfLearner(w.nodes[3], core.Status{Role: core.Follower, Config: abcWithLearnerD()})
	require.Nil(t, w.chk.err)
	w.checkRoleOfLearner(w.nodes[3], core.Status{Role: core.PreCandidate, Config: abcWithLearnerD()})
	require.NotNil(t, w.chk.err)
	assert.Contains(t, w.chk.err.What, "learner d is pre-candidate")
}

func TestCheckElectionNeverCountsLearners(t *testing.T) {
	w := learnerWorld(nil, nil)
	st := core.Status{Role: core.Leader, Term: 5, Config: abcWithLearnerD()}
	w.chk.votes[voteKey{"d", 5}] = "a@"
	w.checkElectionQuorum(w.nodes[0], st)
	require.NotNil(t, w.chk.err, "a and learner d are no quorum of {a, b, c}")
	assert.Contains(t, w.chk.err.What, "no quorum of the voters")

	w = learnerWorld(nil, nil)
	w.chk.votes[voteKey{"b", 5}] = "a@"
	w.checkElectionQuorum(w.nodes[0], st)
	assert.Nil(t, w.chk.err)
}

func TestCheckCommitNeverCountsLearners(t *testing.T) {
	log := opsLog(confEntry(1, 1, abcWithLearnerD()), 3)
	st := core.Status{Role: core.Leader, Term: 2, CommitIndex: 3, Config: abcWithLearnerD()}
	w := learnerWorld(log, map[string]int{"a": 3, "b": 1, "c": 1, "d": 3})
	w.checkCommitQuorum(w.nodes[0], st)
	require.NotNil(t, w.chk.err, "a and learner d hold 3: no quorum")
	assert.Contains(t, w.chk.err.What, "leader a commits 3")

	w = learnerWorld(log, map[string]int{"a": 3, "b": 3, "c": 1, "d": 1})
	w.checkCommitQuorum(w.nodes[0], st)
	assert.Nil(t, w.chk.err)
}

func TestCheckJointWaitsForCatchUp(t *testing.T) {
	stable := &rafterpb.Config{State: rafterpb.ConfigState_CONFIG_STATE_STABLE, OldServers: prs("a", "b", "c")}
	staging := &rafterpb.Config{State: rafterpb.ConfigState_CONFIG_STATE_STAGING, OldServers: prs("a", "b", "c"),
		NewServers: prs("a", "b", "c", "d")}
	joint := &rafterpb.Config{State: rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL, OldServers: prs("a", "b", "c"),
		NewServers: prs("a", "b", "c", "d")}
	log := append(opsLog(confEntry(1, 1, stable), 10), confEntry(11, 2, staging), confEntry(12, 2, joint))

	// CatchUpEntries 2: d must hold entry 12-1-2 = 9.
	w := learnerWorld(log, map[string]int{"a": 12, "b": 12, "c": 12, "d": 5})
	w.o.CatchUpEntries = 2
	w.checkJoint(w.nodes[0], log[11:])
	require.NotNil(t, w.chk.err)
	assert.Contains(t, w.chk.err.What, "d does not hold entry 9")

	w = learnerWorld(log, map[string]int{"a": 12, "b": 12, "c": 12, "d": 9})
	w.o.CatchUpEntries = 2
	w.checkJoint(w.nodes[0], log[11:])
	assert.Nil(t, w.chk.err)
	assert.Equal(t, 1, w.stats.Staged)

	// Joint straight after the stable configuration: no staging.
	noStaging := append(opsLog(confEntry(1, 1, stable), 10), ent(11, 2, "y"), confEntry(12, 2, joint))
	w = learnerWorld(noStaging, map[string]int{"a": 12, "b": 12, "c": 12, "d": 12})
	w.checkJoint(w.nodes[0], noStaging[11:])
	require.NotNil(t, w.chk.err)
	assert.Contains(t, w.chk.err.What, "without staging")
}
