package config

import (
	"fmt"

	"github.com/rafter-go/rafter/rafterpb"
)

// allow reports whether c accepts a configuration change now: nil for blank
// and stable, ErrConfigInProgress for staging and transitional (one change
// at a time, Raft §6).
func allow(c *rafterpb.Config) error {
	switch c.GetState() {
	case rafterpb.ConfigState_CONFIG_STATE_STAGING, rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL:
		return ErrConfigInProgress
	}
	return nil
}

// AllowChange is rafter's allow_config/2 plus validation: it returns an error
// wrapping one of Validate's errors for a malformed list, ErrConfigInProgress
// while a change runs, ErrNotModified when a stable config already has
// exactly these servers (in any order), and nil otherwise. A blank config
// accepts any valid list: that is the initial configuration.
//
// rafter-divergence: rafter answers not_modified in a transitional config
// whose old servers equal the request; the change in progress is the real
// reason, so this answers ErrConfigInProgress.
func AllowChange(c *rafterpb.Config, peers []*rafterpb.Peer) error {
	if err := Validate(peers); err != nil {
		return err
	}
	if err := allow(c); err != nil {
		return err
	}
	if c.GetState() == rafterpb.ConfigState_CONFIG_STATE_STABLE && SameServers(c.GetOldServers(), peers) {
		return ErrNotModified
	}
	return nil
}

// Reconfig returns the configuration that a change to peers starts: blank
// goes straight to stable with peers (rafter's initial configuration), stable
// (or staging, whose new servers have caught up) goes to transitional with
// the current old servers and peers as new servers. The cluster ID is kept
// (a blank config's, if the caller set one), and so are the learners,
// except those peers promotes to voters. c is not modified.
// Reconfig panics on a transitional config: callers check AllowChange first.
// rafter: reconfig/2.
func Reconfig(c *rafterpb.Config, peers []*rafterpb.Peer) *rafterpb.Config {
	switch c.GetState() {
	case rafterpb.ConfigState_CONFIG_STATE_BLANK:
		return &rafterpb.Config{State: rafterpb.ConfigState_CONFIG_STATE_STABLE, OldServers: clonePeers(peers),
			ClusterId: c.GetClusterId()}
	case rafterpb.ConfigState_CONFIG_STATE_STABLE, rafterpb.ConfigState_CONFIG_STATE_STAGING:
		return &rafterpb.Config{
			State:      rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL,
			OldServers: clonePeers(c.GetOldServers()),
			NewServers: clonePeers(peers),
			Learners:   learnersNotIn(c.GetLearners(), peers),
			ClusterId:  c.GetClusterId(),
		}
	}
	panic(fmt.Sprintf("config: Reconfig of a %v configuration", c.GetState()))
}

// Finish returns the stable configuration that ends a transitional one once
// its entry has committed: the new servers alone, with the learners. Any
// other configuration is returned unchanged. rafter: rafter_consensus_fsm, on commit of a
// transitional entry.
func Finish(c *rafterpb.Config) *rafterpb.Config {
	if c.GetState() != rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL {
		return c
	}
	return &rafterpb.Config{State: rafterpb.ConfigState_CONFIG_STATE_STABLE, OldServers: clonePeers(c.GetNewServers()),
		Learners: learnersNotIn(c.GetLearners(), c.GetNewServers()), ClusterId: c.GetClusterId()}
}

// learnersNotIn returns the learners that voters does not list (nil for
// none, so that a configuration without learners encodes as before).
func learnersNotIn(learners, voters []*rafterpb.Peer) []*rafterpb.Peer {
	var out []*rafterpb.Peer
	for _, p := range learners {
		if !Contains(voters, p) {
			out = append(out, &rafterpb.Peer{Name: p.GetName(), Node: p.GetNode()})
		}
	}
	return out
}

func clonePeers(peers []*rafterpb.Peer) []*rafterpb.Peer {
	out := make([]*rafterpb.Peer, len(peers))
	for i, p := range peers {
		out[i] = &rafterpb.Peer{Name: p.GetName(), Node: p.GetNode()}
	}
	return out
}
