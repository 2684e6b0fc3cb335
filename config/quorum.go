package config

import (
	"slices"

	"github.com/rafter-go/rafter/rafterpb"
)

// Quorum reports whether votes form a quorum of c: a strict majority of the
// voters (in transitional, a majority of old_servers AND of new_servers;
// Raft §6, joint consensus). Only members' votes count. votes maps PeerKey
// to the answer. me's own vote is implicit — yes — unless votes holds an
// entry for me, and, like every vote, it counts only where me is a member.
// A blank configuration never has a quorum; an empty server list neither.
//
// rafter: quorum/3 (the local vote is added when the local server is a
// member; a leader not in the new list needs a majority of the others).
func Quorum(me *rafterpb.Peer, c *rafterpb.Config, votes map[string]bool) bool {
	switch c.GetState() {
	case rafterpb.ConfigState_CONFIG_STATE_STABLE, rafterpb.ConfigState_CONFIG_STATE_STAGING:
		return groupQuorum(me, c.GetOldServers(), votes)
	case rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL:
		return groupQuorum(me, c.GetOldServers(), votes) &&
			groupQuorum(me, c.GetNewServers(), votes)
	}
	return false
}

func groupQuorum(me *rafterpb.Peer, servers []*rafterpb.Peer, votes map[string]bool) bool {
	servers = union(servers, nil)
	yes := 0
	for _, s := range servers {
		v, ok := votes[PeerKey(s)]
		if !ok && SamePeer(s, me) {
			v = true // rafter: "Responses doesn't contain a local vote"
		}
		if v {
			yes++
		}
	}
	return len(servers) > 0 && 2*yes > len(servers)
}

// QuorumMax returns the largest index that a quorum of c has stored: the
// commit rule (Raft §5.3, §5.4.2 is the caller's business). match maps
// PeerKey to the highest index known to be stored on that peer; a member
// missing from match counts as 0. In transitional it is the minimum of the
// two groups' values (both majorities must hold the entry). Blank: 0.
//
// The leader should put its own durable last index in match[PeerKey(me)]:
// its entry counts only once persisted (Raft thesis §10.2.1). If match has
// no entry for me, me counts as holding every index any member holds, which
// is rafter's quorum_max/3 ("this peer will always have the maximum value").
//
// rafter-divergence: rafter takes that maximum over the other members of
// each group, so a group whose only member is me gives 0 and a one-server
// cluster (or a transitional config whose old list is just the leader)
// never commits; here the maximum is over all members of c, which is what
// Quorum with an implicit local vote implies.
func QuorumMax(me *rafterpb.Peer, c *rafterpb.Config, match map[string]uint64) uint64 {
	return QuorumMaxFunc(me, c, func(p *rafterpb.Peer) (uint64, bool) {
		v, ok := match[PeerKey(p)]
		return v, ok
	}, nil)
}

// QuorumMaxFunc is QuorumMax for a caller that keeps the indexes elsewhere
// than in a map keyed by PeerKey (the consensus core keeps them in its
// per-follower progress, and calls this on every AppendEntries reply).
// match(p) returns p's index and whether it is known: an unknown member
// counts as 0, an unknown me as the largest index of the voters, exactly as
// a key missing from QuorumMax's map. match must not keep p.
//
// scratch is working space, overwritten: when its capacity is at least the
// number of servers in c's larger list, QuorumMaxFunc does not allocate.
func QuorumMaxFunc(me *rafterpb.Peer, c *rafterpb.Config, match func(p *rafterpb.Peer) (uint64, bool), scratch []uint64) uint64 {
	old, nw := c.GetOldServers(), c.GetNewServers()
	switch c.GetState() {
	case rafterpb.ConfigState_CONFIG_STATE_STABLE, rafterpb.ConfigState_CONFIG_STATE_STAGING:
		nw = nil // a staging config's new servers do not vote yet
	case rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL:
	default:
		return 0
	}
	var meDefault uint64 // the maximum over Voters(c); a duplicate changes nothing
	for _, list := range [...][]*rafterpb.Peer{old, nw} {
		for _, p := range list {
			if v, ok := match(p); ok {
				meDefault = max(meDefault, v)
			}
		}
	}
	n := groupMax(me, old, match, meDefault, scratch)
	if nw != nil {
		n = min(n, groupMax(me, nw, match, meDefault, scratch))
	}
	return n
}

// groupMax sorts the members' indexes and returns the one at the position
// of the last vote a majority needs: the (len/2+1)-th highest. A peer
// listed twice counts once, as in union.
func groupMax(me *rafterpb.Peer, servers []*rafterpb.Peer, match func(*rafterpb.Peer) (uint64, bool),
	meDefault uint64, scratch []uint64) uint64 {
	vals := scratch[:0]
	for i, s := range servers {
		if Contains(servers[:i], s) {
			continue
		}
		v, ok := match(s)
		if !ok && SamePeer(s, me) {
			v = meDefault
		}
		vals = append(vals, v)
	}
	if len(vals) == 0 {
		return 0
	}
	slices.Sort(vals)
	return vals[len(vals)-1-len(vals)/2] // ascending: the len/2-th from the top, 0-based
}
