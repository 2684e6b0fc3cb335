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
	var meDefault uint64
	if _, ok := match[PeerKey(me)]; !ok {
		for _, p := range Voters(c) {
			meDefault = max(meDefault, match[PeerKey(p)])
		}
	}
	switch c.GetState() {
	case rafterpb.ConfigState_CONFIG_STATE_STABLE, rafterpb.ConfigState_CONFIG_STATE_STAGING:
		return groupMax(me, c.GetOldServers(), match, meDefault)
	case rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL:
		return min(groupMax(me, c.GetOldServers(), match, meDefault),
			groupMax(me, c.GetNewServers(), match, meDefault))
	}
	return 0
}

// groupMax sorts the members' indexes from highest to lowest and returns
// the one at the position of the last vote a majority needs.
func groupMax(me *rafterpb.Peer, servers []*rafterpb.Peer, match map[string]uint64, meDefault uint64) uint64 {
	servers = union(servers, nil)
	if len(servers) == 0 {
		return 0
	}
	vals := make([]uint64, 0, len(servers))
	for _, s := range servers {
		v, ok := match[PeerKey(s)]
		if !ok && SamePeer(s, me) {
			v = meDefault
		}
		vals = append(vals, v)
	}
	slices.Sort(vals)
	slices.Reverse(vals)
	return vals[len(vals)/2] // majority = len/2+1 peers; 0-based position len/2
}
