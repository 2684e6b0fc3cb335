package config

import "github.com/rafter-go/rafter/rafterpb"

// Voters returns every peer that votes in c: old_servers, and in
// transitional also new_servers (a staging config's new servers do not vote
// yet). No duplicates; old servers first, each list in its own order.
// rafter: voters/1.
func Voters(c *rafterpb.Config) []*rafterpb.Peer {
	switch c.GetState() {
	case rafterpb.ConfigState_CONFIG_STATE_STABLE, rafterpb.ConfigState_CONFIG_STATE_STAGING:
		return union(c.GetOldServers(), nil)
	case rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL:
		return union(c.GetOldServers(), c.GetNewServers())
	}
	return nil
}

// Followers returns every peer a leader me replicates to: all voters, the
// learners and, in staging, the new servers that catch up before they
// vote; never me, nobody twice. rafter: followers/2 (which has no
// learners).
func Followers(me *rafterpb.Peer, c *rafterpb.Config) []*rafterpb.Peer {
	switch c.GetState() {
	case rafterpb.ConfigState_CONFIG_STATE_STABLE:
		return without(union(c.GetOldServers(), c.GetLearners()), me)
	case rafterpb.ConfigState_CONFIG_STATE_STAGING, rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL:
		return without(union(union(c.GetOldServers(), c.GetNewServers()), c.GetLearners()), me)
	}
	return nil
}

// HasVote reports whether p votes in c (it is one of Voters(c)).
// rafter: has_vote/2.
func HasVote(p *rafterpb.Peer, c *rafterpb.Config) bool {
	switch c.GetState() {
	case rafterpb.ConfigState_CONFIG_STATE_STABLE, rafterpb.ConfigState_CONFIG_STATE_STAGING:
		return Contains(c.GetOldServers(), p)
	case rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL:
		return Contains(c.GetOldServers(), p) || Contains(c.GetNewServers(), p)
	}
	return false
}
