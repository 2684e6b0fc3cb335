package config

import (
	"fmt"

	"github.com/rafter-go/rafter/rafterpb"
)

// Learners and staging. A learner is a member without a vote: it receives
// every entry (or a snapshot) from the leader and counts in no quorum, no
// election and no commit. There are two kinds:
//
//   - read replicas, listed in Config.learners, in any state: AddLearner and
//     RemoveLearner change that list with one stable entry each (no joint
//     consensus: the voters do not change);
//   - servers catching up before they vote: a staging configuration's
//     new_servers that are not old_servers (CatchingUp). SetConfig with new
//     servers first logs Stage (staging), and moves on to the joint
//     configuration (Reconfig) only once they have caught up, or gives the
//     change up with Abort. Raft thesis §4.2.1; rafter's staging state.
//
// A learner that SetConfig promotes stays in Config.learners while the
// configuration is staging (so that Abort leaves it a learner) and leaves
// that list with the joint configuration. Followers lists every learner
// once.

// Learners returns c's read replicas: its learners list without
// duplicates, and without any voter of c (a staging configuration promoting
// a learner lists it in new_servers too; it is still a learner there).
// Blank: nil.
func Learners(c *rafterpb.Config) []*rafterpb.Peer {
	if c.GetState() == rafterpb.ConfigState_CONFIG_STATE_BLANK {
		return nil
	}
	out := make([]*rafterpb.Peer, 0, len(c.GetLearners()))
	for _, p := range c.GetLearners() {
		if !Contains(out, p) && !HasVote(p, c) {
			out = append(out, p)
		}
	}
	return out
}

// CatchingUp returns the servers a staging configuration adds: its new
// servers that are not old servers, the ones the leader waits for before
// the joint configuration. Any other state: nil.
func CatchingUp(c *rafterpb.Config) []*rafterpb.Peer {
	if c.GetState() != rafterpb.ConfigState_CONFIG_STATE_STAGING {
		return nil
	}
	var out []*rafterpb.Peer
	for _, p := range c.GetNewServers() {
		if !Contains(c.GetOldServers(), p) && !Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// AllLearners returns every member of c without a vote: Learners(c), then
// CatchingUp(c), nobody twice (a staging configuration that promotes a
// read replica lists it in both).
func AllLearners(c *rafterpb.Config) []*rafterpb.Peer {
	return union(Learners(c), CatchingUp(c))
}

// IsLearner reports whether p is a member of c without a vote: one of
// Learners(c) or CatchingUp(c).
func IsLearner(p *rafterpb.Peer, c *rafterpb.Config) bool {
	if c.GetState() == rafterpb.ConfigState_CONFIG_STATE_BLANK || HasVote(p, c) {
		return false
	}
	return Contains(c.GetLearners(), p) || Contains(CatchingUp(c), p)
}

// IsMember reports whether p belongs to c at all: a voter or a learner.
// A peer that is neither has been removed (or was never added).
func IsMember(p *rafterpb.Peer, c *rafterpb.Config) bool {
	return HasVote(p, c) || IsLearner(p, c)
}

// NeedsStaging reports whether a change of the stable configuration c to
// peers adds servers that do not vote yet (learners included): those
// must catch up first (Stage). A change that only removes servers goes
// straight to the joint configuration.
func NeedsStaging(c *rafterpb.Config, peers []*rafterpb.Peer) bool {
	if c.GetState() != rafterpb.ConfigState_CONFIG_STATE_STABLE {
		return false
	}
	for _, p := range peers {
		if !Contains(c.GetOldServers(), p) {
			return true
		}
	}
	return false
}

// Stage returns the staging configuration that starts a change of the
// stable configuration c to peers: old_servers still vote alone,
// new_servers is the requested list, the learners are kept. c is not
// modified. Stage panics on a configuration that is not stable: callers
// check AllowChange and NeedsStaging first.
func Stage(c *rafterpb.Config, peers []*rafterpb.Peer) *rafterpb.Config {
	if c.GetState() != rafterpb.ConfigState_CONFIG_STATE_STABLE {
		panic(fmt.Sprintf("config: Stage of a %v configuration", c.GetState()))
	}
	return &rafterpb.Config{
		State:      rafterpb.ConfigState_CONFIG_STATE_STAGING,
		OldServers: clonePeers(c.GetOldServers()),
		NewServers: clonePeers(peers),
		Learners:   clonePeers(c.GetLearners()),
		ClusterId:  c.GetClusterId(),
	}
}

// Abort returns the stable configuration that gives a staging change up:
// the old servers and the learners, as before Stage. Any other
// configuration is returned unchanged.
func Abort(c *rafterpb.Config) *rafterpb.Config {
	if c.GetState() != rafterpb.ConfigState_CONFIG_STATE_STAGING {
		return c
	}
	return &rafterpb.Config{
		State:      rafterpb.ConfigState_CONFIG_STATE_STABLE,
		OldServers: clonePeers(c.GetOldServers()),
		Learners:   clonePeers(c.GetLearners()),
		ClusterId:  c.GetClusterId(),
	}
}

// AddLearner returns the stable configuration c with learner p added. It
// fails with an error wrapping one of Validate's for a bad peer,
// ErrConfigInProgress unless c is stable, ErrIsVoter if p votes in c and
// ErrAlreadyLearner if p is a learner already. c is not modified.
func AddLearner(c *rafterpb.Config, p *rafterpb.Peer) (*rafterpb.Config, error) {
	if err := learnerChange(c, p); err != nil {
		return nil, err
	}
	switch {
	case HasVote(p, c):
		return nil, fmt.Errorf("%w: %s", ErrIsVoter, PeerKey(p))
	case Contains(c.GetLearners(), p):
		return nil, fmt.Errorf("%w: %s", ErrAlreadyLearner, PeerKey(p))
	}
	out := withLearners(c, append(clonePeers(c.GetLearners()), &rafterpb.Peer{Name: p.GetName(), Node: p.GetNode()}))
	return out, nil
}

// RemoveLearner returns the stable configuration c without learner p. It
// fails with an error wrapping one of Validate's for a bad peer,
// ErrConfigInProgress unless c is stable, and ErrNotLearner if p is not a
// learner of c (a voter leaves with a server list that omits it).
func RemoveLearner(c *rafterpb.Config, p *rafterpb.Peer) (*rafterpb.Config, error) {
	if err := learnerChange(c, p); err != nil {
		return nil, err
	}
	if !Contains(c.GetLearners(), p) {
		return nil, fmt.Errorf("%w: %s", ErrNotLearner, PeerKey(p))
	}
	return withLearners(c, without(c.GetLearners(), p)), nil
}

// learnerChange checks what AddLearner and RemoveLearner share: a valid
// peer and a stable configuration (one change at a time; a blank peer has
// no cluster to add a learner to).
func learnerChange(c *rafterpb.Config, p *rafterpb.Peer) error {
	if err := Validate([]*rafterpb.Peer{p}); err != nil {
		return err
	}
	if err := allow(c); err != nil {
		return err
	}
	if c.GetState() != rafterpb.ConfigState_CONFIG_STATE_STABLE {
		return fmt.Errorf("%w: a %v configuration has no cluster to change", ErrNoCluster, c.GetState())
	}
	return nil
}

func withLearners(c *rafterpb.Config, learners []*rafterpb.Peer) *rafterpb.Config {
	return &rafterpb.Config{
		State:      c.GetState(),
		OldServers: clonePeers(c.GetOldServers()),
		NewServers: clonePeers(c.GetNewServers()),
		Learners:   clonePeers(learners),
		ClusterId:  c.GetClusterId(),
	}
}

// CheckLearners checks the learners list of a configuration entry: valid
// peers without duplicates, none of them an old server, and in
// transitional none a new server either (staging may list a learner it
// promotes among its new servers). A configuration whose learners are also
// voters would count them twice in Followers and leave their role
// ambiguous. The error wraps one of Validate's, or ErrIsVoter.
func CheckLearners(c *rafterpb.Config) error {
	ls := c.GetLearners()
	if len(ls) == 0 {
		return nil
	}
	if err := Validate(ls); err != nil {
		return err
	}
	for _, p := range ls {
		if Contains(c.GetOldServers(), p) ||
			(c.GetState() == rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL && Contains(c.GetNewServers(), p)) {
			return fmt.Errorf("%w: learner %s", ErrIsVoter, PeerKey(p))
		}
	}
	return nil
}
