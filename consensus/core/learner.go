package core

// Learners: members that receive the log and vote in nothing (read
// replicas, and servers catching up before a change makes them voters).
// Arithmetic is package config's (Followers lists them, no quorum function
// counts them); this file holds the leader's side of AddLearner /
// RemoveLearner and of the staging phase of SetConfig (Raft thesis
// §4.2.1, rafter's staging state). What a learner itself does differently
// is small and lives where the rule is: promotable (never campaigns),
// refuse (forwards like a follower), removed (a learner is not removed).

import (
	"errors"
	"fmt"

	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/rafterpb"
)

// AddLearner asks the leader to add p as a learner: one stable
// configuration entry with p in its learners list; the Result comes once
// it commits. Errors (all definite): ErrInvalidArgument for a bad peer or
// a voter, ErrNotModified if p is a learner already, ErrConfigInProgress
// while another change runs; a non-leader refuses as for Propose.
func (c *Core) AddLearner(id RequestID, p *rafterpb.Peer) {
	c.changeLearner(id, p, config.AddLearner)
}

// RemoveLearner asks the leader to remove learner p, as AddLearner adds
// one; ErrInvalidArgument if p is not a learner (a voter leaves through
// SetConfig).
func (c *Core) RemoveLearner(id RequestID, p *rafterpb.Peer) {
	c.changeLearner(id, p, config.RemoveLearner)
}

func (c *Core) changeLearner(id RequestID, p *rafterpb.Peer,
	change func(*rafterpb.Config, *rafterpb.Peer) (*rafterpb.Config, error)) {
	if err := config.Validate([]*rafterpb.Peer{p}); err != nil {
		c.fail(id, fmt.Errorf("%w: %w", ErrInvalidArgument, err))
		return
	}
	if !c.leaderTakes(id) {
		return
	}
	if _, idx := c.log.lastConfig(); c.leading.configReq != nil || idx > c.commit {
		c.fail(id, ErrConfigInProgress)
		return
	}
	next, err := change(c.members, p)
	switch {
	case errors.Is(err, config.ErrAlreadyLearner):
		c.fail(id, fmt.Errorf("%w: %w", ErrNotModified, err))
		return
	case errors.Is(err, config.ErrConfigInProgress):
		c.fail(id, ErrConfigInProgress)
		return
	case err != nil:
		c.fail(id, fmt.Errorf("%w: %w", ErrInvalidArgument, err))
		return
	}
	idx := c.appendEntry(&rafterpb.Entry{Type: rafterpb.EntryType_ENTRY_TYPE_CONFIG, Config: next})
	c.leading.configReq = &configRequest{id: id, index: idx}
}

// stage starts a SetConfig that adds servers: the staging configuration
// (old servers vote alone, the new ones catch up). advanceStaging takes it
// on from there.
func (c *Core) stage(id RequestID, peers []*rafterpb.Peer) {
	c.appendEntry(&rafterpb.Entry{Type: rafterpb.EntryType_ENTRY_TYPE_CONFIG, Config: config.Stage(c.members, peers)})
	c.leading.configReq = &configRequest{id: id}
	c.leading.stagingTicks = 0
}

// advanceStaging ends the staging phase on the leader once its staging
// entry is committed: with the joint configuration (config.Reconfig) when
// every server catching up is within CatchUpEntries of the leader's last
// index, or with the old configuration again (config.Abort) once
// CatchUpTicks have passed. The SetConfig request then fails with
// ErrCatchUpTimeout when that entry commits (only then is the outcome
// definite: a next leader whose log holds the staging entry but not the
// one that gives it up continues the change).
//
// A leader elected while its log ends in a staging configuration continues
// it, its timeout counted from its election (stagingTicks is part of the
// leading state): the change was accepted, and the old voters decide
// either way. The client of the first leader got ErrLeadershipLost
// (unknown outcome), which holds: the change may still happen.
//
// It runs on every tick, append success and commit of a leader.
func (c *Core) advanceStaging() {
	conf, idx := c.log.lastConfig()
	if c.role != Leader || conf.GetState() != rafterpb.ConfigState_CONFIG_STATE_STAGING || idx > c.commit {
		return
	}
	if c.caughtUp(conf) {
		c.appendEntry(&rafterpb.Entry{Type: rafterpb.EntryType_ENTRY_TYPE_CONFIG,
			Config: config.Reconfig(conf, conf.GetNewServers())})
		return
	}
	if c.opts.CatchUpTicks == 0 || c.leading.stagingTicks < c.opts.CatchUpTicks {
		return
	}
	i := c.appendEntry(&rafterpb.Entry{Type: rafterpb.EntryType_ENTRY_TYPE_CONFIG, Config: config.Abort(conf)})
	if r := c.leading.configReq; r != nil && r.index == 0 {
		r.index = i
		r.err = fmt.Errorf("%w: %s did not catch up within %d ticks", ErrCatchUpTimeout,
			peerKeys(c.lagging(conf)), c.opts.CatchUpTicks)
	}
}

// caughtUp reports whether every server conf is catching up holds the
// leader's log to within CatchUpEntries of its last index (the simpler
// rule that stands in for the thesis's catch-up rounds): the joint
// configuration then needs them for its quorum without stalling commits
// for long. A server counts only once this leader knows where its log
// matches (replicate state, reached by a successful answer): with a log
// shorter than CatchUpEntries, a server that never answered (down, or not
// started yet) would otherwise count as caught up and could stall the
// joint configuration's quorum.
func (c *Core) caughtUp(conf *rafterpb.Config) bool {
	return len(c.lagging(conf)) == 0
}

// lagging returns the servers conf is catching up that are not within
// CatchUpEntries of the leader's last index.
func (c *Core) lagging(conf *rafterpb.Config) []*rafterpb.Peer {
	var out []*rafterpb.Peer
	last := c.log.lastIndex()
	for _, p := range config.CatchingUp(conf) {
		pr := c.leading.progress[config.PeerKey(p)]
		if pr == nil || pr.state != replicate || pr.match+c.opts.CatchUpEntries < last {
			out = append(out, p)
		}
	}
	return out
}

// tickStaging counts the leader's ticks in a staging configuration.
func (c *Core) tickStaging() {
	if conf, _ := c.log.lastConfig(); conf.GetState() == rafterpb.ConfigState_CONFIG_STATE_STAGING {
		c.leading.stagingTicks++
		c.advanceStaging()
	}
}

func peerKeys(ps []*rafterpb.Peer) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = config.PeerKey(p)
	}
	return out
}
