package config

import (
	"slices"
	"testing"

	"github.com/rafter-go/rafter/rafterpb"
	"pgregory.net/rapid"
)

// Property tests against naive references. rapid prints the seed of a
// failing run and replays it with -rapid.seed=N.

var universe = ps("a", "b", "c", "d", "e", "f", "g")

// genServers draws a non-empty list of distinct peers from universe.
func genServers(t *rapid.T, label string) []*rafterpb.Peer {
	idxs := rapid.SliceOfNDistinct(rapid.IntRange(0, len(universe)-1), 1, len(universe), rapid.ID[int]).Draw(t, label)
	out := make([]*rafterpb.Peer, len(idxs))
	for i, j := range idxs {
		out[i] = universe[j]
	}
	return out
}

func genConfig(t *rapid.T) *rafterpb.Config {
	state := rapid.SampledFrom([]rafterpb.ConfigState{
		rafterpb.ConfigState_CONFIG_STATE_BLANK,
		rafterpb.ConfigState_CONFIG_STATE_STABLE,
		rafterpb.ConfigState_CONFIG_STATE_STAGING,
		rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL,
	}).Draw(t, "state")
	c := &rafterpb.Config{State: state}
	if state != rafterpb.ConfigState_CONFIG_STATE_BLANK {
		c.OldServers = genServers(t, "old")
	}
	if state == rafterpb.ConfigState_CONFIG_STATE_STAGING || state == rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL {
		c.NewServers = genServers(t, "new")
	}
	if state != rafterpb.ConfigState_CONFIG_STATE_BLANK {
		// Learners: any of the others (CheckLearners' rule; staging may
		// list a learner it promotes among its new servers).
		for _, q := range universe {
			if !Contains(c.OldServers, q) && (state == rafterpb.ConfigState_CONFIG_STATE_STAGING || !Contains(c.NewServers, q)) &&
				rapid.Bool().Draw(t, "learner "+q.Name) {
				c.Learners = append(c.Learners, q)
			}
		}
	}
	return c
}

// genMatch draws match indexes for a random subset of universe.
func genMatch(t *rapid.T) map[string]uint64 {
	m := map[string]uint64{}
	for _, q := range universe {
		if rapid.Bool().Draw(t, "has "+q.Name) {
			m[PeerKey(q)] = rapid.Uint64Range(0, 20).Draw(t, "match "+q.Name)
		}
	}
	return m
}

func genVotes(t *rapid.T) map[string]bool {
	m := map[string]bool{}
	for _, q := range universe {
		if rapid.Bool().Draw(t, "voted "+q.Name) {
			m[PeerKey(q)] = rapid.Bool().Draw(t, "vote "+q.Name)
		}
	}
	return m
}

// refMajority counts, the slow way, whether votes (with me's implicit yes)
// are a strict majority of servers.
func refMajority(me *rafterpb.Peer, servers []*rafterpb.Peer, votes map[string]bool) bool {
	n, yes := 0, 0
	for _, s := range servers {
		n++
		v, ok := votes[PeerKey(s)]
		if s.Name == me.Name && s.Node == me.Node && !ok {
			v = true
		}
		if v {
			yes++
		}
	}
	return n > 0 && yes > n/2
}

// QuorumMax equals the brute-force answer: the largest i among 0 and the
// members' indexes such that the peers holding i form a Quorum.
func TestPropQuorumMaxIsBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genConfig(t)
		me := rapid.SampledFrom(universe).Draw(t, "me")
		match := genMatch(t)

		candidates := []uint64{0}
		for _, v := range Voters(c) {
			candidates = append(candidates, match[PeerKey(v)])
		}
		var want uint64
		for _, i := range candidates {
			votes := map[string]bool{}
			for k, v := range match {
				votes[k] = v >= i
			}
			if Quorum(me, c, votes) {
				want = max(want, i)
			}
		}
		if got := QuorumMax(me, c, match); got != want {
			t.Fatalf("QuorumMax(%v, %v, %v) = %d, brute force %d", me.Name, c, match, got, want)
		}
		// QuorumMaxFunc, with scratch space of any capacity holding garbage.
		scratch := make([]uint64, rapid.IntRange(0, len(universe)).Draw(t, "scratch"))
		for i := range scratch {
			scratch[i] = 99
		}
		lookup := func(p *rafterpb.Peer) (uint64, bool) {
			v, ok := match[PeerKey(p)]
			return v, ok
		}
		if got := QuorumMaxFunc(me, c, lookup, scratch[:0]); got != want {
			t.Fatalf("QuorumMaxFunc(%v, %v, %v) = %d, brute force %d", me.Name, c, match, got, want)
		}
	})
}

// A quorum of a transitional config is a majority of old AND of new; of a
// stable or staging config a majority of old; of blank, never.
func TestPropQuorumIsMajorities(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genConfig(t)
		me := rapid.SampledFrom(universe).Draw(t, "me")
		votes := genVotes(t)
		var want bool
		switch c.GetState() {
		case rafterpb.ConfigState_CONFIG_STATE_STABLE, rafterpb.ConfigState_CONFIG_STATE_STAGING:
			want = refMajority(me, c.OldServers, votes)
		case rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL:
			want = refMajority(me, c.OldServers, votes) && refMajority(me, c.NewServers, votes)
		}
		if got := Quorum(me, c, votes); got != want {
			t.Fatalf("Quorum(%v, %v, %v) = %v, want %v", me.Name, c, votes, got, want)
		}
	})
}

// Quorum is monotone: adding a yes vote never breaks a quorum. Two quorums
// of one config always share a voter (the property Raft's safety rests on).
func TestPropQuorumsIntersect(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genConfig(t)
		// Explicit votes for everyone, so no implicit vote differs.
		a, b := map[string]bool{}, map[string]bool{}
		for _, q := range universe {
			a[PeerKey(q)] = rapid.Bool().Draw(t, "a "+q.Name)
			b[PeerKey(q)] = rapid.Bool().Draw(t, "b "+q.Name)
		}
		me := universe[0]
		if Quorum(me, c, a) && Quorum(me, c, b) {
			shared := false
			for _, v := range Voters(c) {
				shared = shared || (a[PeerKey(v)] && b[PeerKey(v)])
			}
			if !shared {
				t.Fatalf("disjoint quorums %v and %v of %v", a, b, c)
			}
		}
		extra := rapid.SampledFrom(universe).Draw(t, "extra")
		if Quorum(me, c, a) {
			a[PeerKey(extra)] = true
			if !Quorum(me, c, a) {
				t.Fatalf("adding %s broke a quorum of %v", extra.Name, c)
			}
		}
	})
}

// Voters, Followers and HasVote agree with each other.
func TestPropMembersAgree(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genConfig(t)
		me := rapid.SampledFrom(universe).Draw(t, "me")
		voters := Voters(c)
		keys := map[string]bool{}
		for _, v := range voters {
			if keys[PeerKey(v)] {
				t.Fatalf("Voters(%v) repeats %s", c, v.Name)
			}
			keys[PeerKey(v)] = true
		}
		for _, q := range universe {
			if HasVote(q, c) != keys[PeerKey(q)] {
				t.Fatalf("HasVote(%s, %v) disagrees with Voters %v", q.Name, c, names(voters))
			}
		}
		fol := Followers(me, c)
		if slices.ContainsFunc(fol, func(q *rafterpb.Peer) bool { return PeerKey(q) == PeerKey(me) }) {
			t.Fatalf("Followers(%s, %v) contains me", me.Name, c)
		}
		for _, v := range voters {
			if PeerKey(v) != PeerKey(me) && !Contains(fol, v) {
				t.Fatalf("voter %s is not a follower of %s in %v", v.Name, me.Name, c)
			}
		}
	})
}

// The membership lifecycle: from any stable config, AllowChange accepts a
// different list, Reconfig makes it transitional (AllowChange then refuses),
// Finish makes the new list stable, and the same list is then not modified.
func TestPropLifecycle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		old, nw := genServers(t, "old"), genServers(t, "new")
		c := Reconfig(blank(), old)
		if err := AllowChange(c, nw); SameServers(old, nw) != (err != nil) {
			t.Fatalf("AllowChange(%v, %v) = %v", c, names(nw), err)
		}
		if SameServers(old, nw) {
			return
		}
		tr := Reconfig(c, nw)
		if err := AllowChange(tr, nw); err == nil {
			t.Fatal("a transitional config allowed another change")
		}
		if !SameServers(Voters(tr), union(old, nw)) {
			t.Fatalf("transitional voters %v", names(Voters(tr)))
		}
		st := Finish(tr)
		if err := AllowChange(st, nw); err != ErrNotModified {
			t.Fatalf("AllowChange after Finish = %v, want %v", err, ErrNotModified)
		}
	})
}
