package config

import (
	"maps"
	"testing"

	"github.com/rafter-go/rafter/rafterpb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// nonVoters are the peers of c that must never count: its learners and the
// servers a staging configuration is catching up.
func nonVoters(c *rafterpb.Config) []*rafterpb.Peer {
	return union(Learners(c), CatchingUp(c))
}

// No quorum function ever counts a learner: flipping a learner's vote or
// match (me included, whose vote is otherwise implicit) changes neither
// Quorum nor QuorumMax, and a learner is never one of Voters nor HasVote.
// Every learner is a follower.
func TestPropQuorumNeverCountsLearners(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genConfig(t)
		me := rapid.SampledFrom(universe).Draw(t, "me")
		votes, match := genVotes(t), genMatch(t)
		q, qm := Quorum(me, c, votes), QuorumMax(me, c, match)
		for _, l := range nonVoters(c) {
			if HasVote(l, c) || Contains(Voters(c), l) {
				t.Fatalf("learner %s votes in %v", l.Name, c)
			}
			if !IsLearner(l, c) || !IsMember(l, c) {
				t.Fatalf("IsLearner/IsMember(%s, %v) false", l.Name, c)
			}
			if !SamePeer(l, me) && !Contains(Followers(me, c), l) {
				t.Fatalf("learner %s is not a follower of %s in %v", l.Name, me.Name, c)
			}
			v2, m2 := maps.Clone(votes), maps.Clone(match)
			v2[PeerKey(l)] = !votes[PeerKey(l)]
			m2[PeerKey(l)] = match[PeerKey(l)] + 1000
			if Quorum(me, c, v2) != q {
				t.Fatalf("Quorum(%v) changed with learner %s's vote", c, l.Name)
			}
			if QuorumMax(me, c, m2) != qm {
				t.Fatalf("QuorumMax(%v) changed with learner %s's match", c, l.Name)
			}
		}
		// Without its learners list, the configuration has the same quorums.
		bare := withLearners(c, nil)
		if Quorum(me, bare, votes) != q || QuorumMax(me, bare, match) != qm {
			t.Fatalf("the learners list of %v changes a quorum", c)
		}
		fol := Followers(me, c)
		for i, f := range fol {
			if Contains(fol[:i], f) {
				t.Fatalf("Followers(%v) lists %s twice", c, f.Name)
			}
		}
	})
}

// Staging lifecycle: from a stable configuration with learners, a change
// that adds servers stages (the new ones catch up, none votes yet), then
// goes joint (Reconfig) and stable (Finish) keeping the learners it did
// not promote, or aborts back to exactly the old voters and learners.
func TestPropStagingLifecycle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genConfig(t)
		if c.GetState() != rafterpb.ConfigState_CONFIG_STATE_STABLE {
			return
		}
		nw := genServers(t, "target")
		if AllowChange(c, nw) != nil {
			return
		}
		if !NeedsStaging(c, nw) {
			// Only removals: every target server votes already.
			for _, p := range nw {
				if !Contains(c.OldServers, p) {
					t.Fatalf("NeedsStaging false but %s is new", p.Name)
				}
			}
			return
		}
		st := Stage(c, nw)
		if AllowChange(st, nw) == nil {
			t.Fatal("staging allowed another change")
		}
		if !SameServers(Voters(st), Voters(c)) {
			t.Fatalf("staging changed the voters: %v", names(Voters(st)))
		}
		for _, p := range nw {
			if !Contains(c.OldServers, p) && (!Contains(CatchingUp(st), p) || HasVote(p, st)) {
				t.Fatalf("new server %s is not catching up in %v", p.Name, st)
			}
		}
		require.NoError(t, CheckLearners(st))
		ab := Abort(st)
		if !SameServers(ab.OldServers, c.OldServers) || !SameServers(ab.Learners, c.Learners) ||
			ab.State != rafterpb.ConfigState_CONFIG_STATE_STABLE {
			t.Fatalf("Abort(%v) = %v, want %v", st, ab, c)
		}
		tr := Reconfig(st, nw)
		require.NoError(t, CheckLearners(tr))
		fin := Finish(tr)
		require.NoError(t, CheckLearners(fin))
		for _, l := range c.Learners {
			if Contains(nw, l) != HasVote(l, fin) || Contains(nw, l) == Contains(fin.Learners, l) {
				t.Fatalf("learner %s after the change to %v: %v", l.Name, names(nw), fin)
			}
		}
	})
}

func TestAddRemoveLearner(t *testing.T) {
	c := stable("a", "b", "c")
	c.ClusterId = 7
	withD, err := AddLearner(c, p("d"))
	require.NoError(t, err)
	assert.Equal(t, []string{"d"}, names(withD.Learners))
	assert.Equal(t, uint64(7), withD.ClusterId)
	assert.Empty(t, c.Learners, "c is not modified")
	assert.True(t, IsLearner(p("d"), withD))
	assert.False(t, HasVote(p("d"), withD))
	assert.Equal(t, []string{"b", "c", "d"}, names(Followers(p("a"), withD)))

	tests := []struct {
		name string
		c    *rafterpb.Config
		add  bool
		peer *rafterpb.Peer
		want error
	}{
		{"add a voter", c, true, p("a"), ErrIsVoter},
		{"add a learner twice", withD, true, p("d"), ErrAlreadyLearner},
		{"remove a voter", withD, false, p("a"), ErrNotLearner},
		{"remove a stranger", withD, false, p("x"), ErrNotLearner},
		{"add unnamed", c, true, &rafterpb.Peer{}, ErrEmptyName},
		{"add bad node", c, true, &rafterpb.Peer{Name: "x", Node: "nope"}, ErrBadNode},
		{"add while staging", Stage(c, ps("a", "b", "c", "e")), true, p("x"), ErrConfigInProgress},
		{"remove while transitional", transitional([]string{"a"}, []string{"b"}), false, p("x"), ErrConfigInProgress},
		{"add on blank", blank(), true, p("x"), ErrNoCluster},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.add {
				_, err = AddLearner(tt.c, tt.peer)
			} else {
				_, err = RemoveLearner(tt.c, tt.peer)
			}
			assert.ErrorIs(t, err, tt.want)
		})
	}

	back, err := RemoveLearner(withD, p("d"))
	require.NoError(t, err)
	assert.Empty(t, back.Learners)
	assert.False(t, IsMember(p("d"), back), "removed means removed")
}

func TestCheckLearners(t *testing.T) {
	bad := stable("a", "b")
	bad.Learners = ps("b")
	assert.ErrorIs(t, CheckLearners(bad), ErrIsVoter)
	tr := transitional([]string{"a"}, []string{"b"})
	tr.Learners = ps("b")
	assert.ErrorIs(t, CheckLearners(tr), ErrIsVoter)
	dup := stable("a")
	dup.Learners = ps("x", "x")
	assert.ErrorIs(t, CheckLearners(dup), ErrDuplicatePeer)
	st := staging([]string{"a"}, []string{"a", "b"})
	st.Learners = ps("b") // a learner being promoted
	assert.NoError(t, CheckLearners(st))
	assert.True(t, IsLearner(p("b"), st))
	assert.Equal(t, []string{"b"}, names(Learners(st)))
	assert.Equal(t, []string{"b"}, names(CatchingUp(st)))
	assert.Equal(t, []string{"b"}, names(Followers(p("a"), st)), "listed once")
}
