package core

// Membership: rafter's set_config with joint consensus (Raft §6, thesis
// §4.3), the initial configuration of blank peers, and how the leader's
// follower set follows the latest configuration. The arithmetic itself
// (quorums, voters, transitions) is package config's.

import (
	"errors"
	"fmt"

	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/rafterpb"
)

// SetConfig asks for a new server list. On a blank peer it is rafter's
// initial configuration: the peer stands for election and logs the list once
// elected. On the leader it starts joint consensus, after a staging phase
// when the list adds servers (they catch up as learners first, see
// advanceStaging). The Result comes when the final stable configuration
// commits; ErrCatchUpTimeout when the new servers did not catch up in
// time and the old configuration is back.
//
// The initial configuration is meant for the peers of a cluster that does
// not exist yet: a blank peer that has seen a cluster (sawCluster) refuses
// it, with ErrNotLeader naming the leader if it knows one, else with
// ErrInvalidInitialConfig.
func (c *Core) SetConfig(id RequestID, peers []*rafterpb.Peer) {
	if err := config.Validate(peers); err != nil {
		c.fail(id, fmt.Errorf("%w: %w", ErrInvalidArgument, err))
		return
	}
	if conf, _ := c.log.lastConfig(); conf == nil {
		c.setInitialConfig(id, peers)
		return
	}
	if !c.leaderTakes(id) {
		return
	}
	if err := c.allowChange(peers); err != nil {
		c.fail(id, err)
		return
	}
	if config.NeedsStaging(c.members, peers) {
		c.stage(id, peers) // new servers catch up first (learner.go)
		return
	}
	c.appendEntry(&rafterpb.Entry{
		Type:   rafterpb.EntryType_ENTRY_TYPE_CONFIG,
		Config: config.Reconfig(c.members, peers),
	})
	c.leading.configReq = &configRequest{id: id}
}

// allowChange: one change at a time (rafter: rafter_config:allow_config/2),
// which here also means the latest configuration entry is committed.
func (c *Core) allowChange(peers []*rafterpb.Peer) error {
	_, idx := c.log.lastConfig()
	if c.leading.configReq != nil || idx > c.commit {
		return ErrConfigInProgress
	}
	switch err := config.AllowChange(c.members, peers); {
	case errors.Is(err, config.ErrNotModified):
		return ErrNotModified
	case errors.Is(err, config.ErrConfigInProgress):
		return ErrConfigInProgress
	case err != nil:
		return fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	return nil
}

// setInitialConfig is rafter's follower({set_config, ...}) clause for a
// blank configuration: a peer in the list becomes a candidate holding the
// configuration; it logs it once elected, so that the first entry of every
// log is a configuration of a valid term.
func (c *Core) setInitialConfig(id RequestID, peers []*rafterpb.Peer) {
	switch {
	case c.pendingInit != nil && config.SameServers(c.pendingInit.conf.GetOldServers(), peers):
		c.fail(id, ErrConfigInProgress)
	case c.pendingInit != nil, !config.Contains(peers, c.id):
		c.fail(id, ErrInvalidInitialConfig)
	case c.clusterSeen && c.leader != nil:
		// rafter-divergence: rafter takes any set_config on a blank peer
		// for an initial configuration, so a peer added to a running
		// cluster that has not received the configuration entry yet
		// would start a second cluster with it (internal/sim FINDINGS.md
		// 1). It knows the leader: a redirect lets the shell forward the
		// request there, where it is an ordinary change.
		c.results = append(c.results, Result{ID: id, Err: ErrNotLeader, Leader: c.leader})
	case c.clusterSeen:
		// rafter-divergence: as above, with no leader to forward to.
		c.fail(id, ErrInvalidInitialConfig)
	case c.role == Leader:
		panic("core: leader without a configuration")
	default:
		// A new cluster gets its identity here; every later configuration
		// keeps it (config.Reconfig, config.Finish).
		conf := config.Reconfig(blankConfig, peers)
		conf.ClusterId = c.rand.Uint64() | 1
		c.pendingInit = &initConfig{id: id, conf: conf}
		c.refreshConfig()
		c.becomeCandidate()
	}
}

// failInit ends a pending initial configuration that lost to another
// peer's: ErrInvalidInitialConfig, and the peer is blank again.
func (c *Core) failInit() {
	c.fail(c.pendingInit.id, ErrInvalidInitialConfig)
	c.pendingInit = nil
	c.refreshConfig()
}

// showsCluster reports whether m proves that a configured peer exists: only
// a leader sends AppendEntries (or InstallSnapshot), and a leader has a configuration; a
// candidate with a non-empty log has one too (the first entry of every log
// is a configuration). A RequestVote with an empty log comes from a blank
// peer campaigning with its own initial configuration: rafter's rules for
// conflicting initial configurations cover that one.
func showsCluster(m *rafterpb.RaftMessage) bool {
	if m.GetAppendEntries() != nil || m.GetInstallSnapshot() != nil {
		return true
	}
	return m.GetRequestVote().GetLastLogIndex() > 0
}

// sawCluster records that a cluster exists. A blank peer holding a pending
// initial configuration gives it up (rafter-divergence: rafter does so only
// on an AppendEntries or a newer-term refusal), so that it cannot win an
// election for a second cluster later.
func (c *Core) sawCluster() {
	c.clusterSeen = true
	if c.pendingInit != nil {
		c.failInit()
		if c.role != Follower {
			c.becomeFollower(c.term, nil)
		}
	}
}

func (c *Core) fail(id RequestID, err error) {
	c.results = append(c.results, Result{ID: id, Err: err})
}

// refreshConfig recomputes the latest configuration after the log or
// pendingInit changed. Raft §6: a server uses the latest configuration in its
// log, committed or not. rafter: rafter_log:get_config/1.
func (c *Core) refreshConfig() {
	switch conf, _ := c.log.lastConfig(); {
	case conf != nil:
		c.members = conf
	case c.pendingInit != nil:
		c.members = c.pendingInit.conf
	default:
		c.members = blankConfig
	}
	if c.removed() {
		// Removed means removed: a peer that its own latest configuration
		// leaves out forgets its leader, so that it answers ErrNotMember
		// instead of forwarding to a cluster it no longer belongs to.
		c.leader = nil
	}
	if c.role == Leader {
		c.refreshProgress()
	}
}

// clusterID is the identity of this peer's cluster: that of the latest
// configuration in its log (0 while it has none: a blank peer, or one whose
// initial configuration is not logged yet, which accepts any cluster's
// messages and takes the identity of the first configuration it logs).
func (c *Core) clusterID() uint64 {
	conf, _ := c.log.lastConfig()
	return conf.GetClusterId()
}

// checkCluster drops a message of another cluster: two clusters whose peers
// share names, wired to each other's addresses by mistake, must neither
// merge nor disturb each other. A message without an identity (a blank
// peer's) passes.
func (c *Core) checkCluster(m *rafterpb.RaftMessage) error {
	ours, theirs := c.clusterID(), m.GetClusterId()
	if ours == 0 || theirs == 0 || ours == theirs {
		return nil
	}
	return fmt.Errorf("%w: %s of cluster %016x, ours is %016x", ErrOtherCluster, config.PeerKey(m.GetFrom()), theirs, ours)
}

// removed reports whether this peer has a configuration that leaves it out
// (a blank peer is not removed: it may be joining; a learner is a member).
func (c *Core) removed() bool {
	return c.members.GetState() != rafterpb.ConfigState_CONFIG_STATE_BLANK && !config.IsMember(c.id, c.members)
}

// refreshProgress makes the progress set the followers of the latest
// configuration (in staging and transitional, the new servers too). A peer
// that the latest configuration removed stays as a leaving follower until it
// holds that configuration entry, so that it learns it has no vote and does
// not campaign (rafter-divergence: rafter simply stops sending to it).
func (c *Core) refreshProgress() {
	want := make(map[string]*rafterpb.Peer)
	for _, p := range config.Followers(c.id, c.members) {
		want[config.PeerKey(p)] = p
	}
	_, confIdx := c.log.lastConfig()
	for k, pr := range c.leading.progress {
		if want[k] == nil {
			if pr.match >= confIdx {
				delete(c.leading.progress, k)
				continue
			}
			pr.leaving = true
		} else {
			pr.leaving = false
		}
	}
	for k, p := range want {
		if c.leading.progress[k] == nil {
			c.leading.progress[k] = &progress{
				peer:     p,
				next:     c.log.lastIndex() + 1,
				inflight: newInflights(c.opts.MaxInflight),
				// A new follower counts as active until the first
				// CheckQuorum round has given it a chance to answer.
				recentActive: true,
			}
		}
	}
	c.setOrder()
}

// forgetSilentLeavers stops sending to removed peers that did not answer for
// a whole election timeout.
func (c *Core) forgetSilentLeavers() {
	changed := false
	for k, pr := range c.leading.progress {
		if pr.leaving && !pr.recentActive {
			delete(c.leading.progress, k)
			changed = true
		}
	}
	if changed {
		c.setOrder()
	}
}

// advanceConfig runs rafter's joint consensus once the latest configuration
// entry is committed: a transitional configuration is followed by the stable
// configuration of the new servers (rafter: stabilize_config/2); a committed
// staging configuration waits for its new servers (advanceStaging); a
// committed stable configuration ends the SetConfig request; a leader that
// is not in it steps down.
func (c *Core) advanceConfig() {
	conf, idx := c.log.lastConfig()
	if conf == nil || idx > c.commit {
		return
	}
	switch conf.GetState() {
	case rafterpb.ConfigState_CONFIG_STATE_STAGING:
		c.advanceStaging()
	case rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL:
		stable := config.Finish(conf)
		i := c.appendEntry(&rafterpb.Entry{Type: rafterpb.EntryType_ENTRY_TYPE_CONFIG, Config: stable})
		if r := c.leading.configReq; r != nil && r.index == 0 {
			r.index = i
		}
	case rafterpb.ConfigState_CONFIG_STATE_STABLE:
		if r := c.leading.configReq; r != nil && r.index != 0 && r.index <= c.commit {
			c.results = append(c.results, Result{ID: r.id, Index: r.index, Err: r.err})
			c.leading.configReq = nil
		}
		// rafter-divergence: rafter steps down as soon as the transitional
		// entry commits; we keep leading until the final stable entry
		// commits (as the Raft thesis §4.2.2 does), so that the request's
		// result can be delivered and the new servers get the entry.
		if !config.HasVote(c.id, conf) {
			// Hand over at once rather than leave the new servers to wait
			// out an election timeout (thesis §3.10): the most up-to-date
			// new voter, if it holds the whole log, campaigns now.
			if best := c.bestTransferee(); best != nil {
				if pr := c.leading.progress[config.PeerKey(best)]; pr.match == c.log.lastIndex() {
					c.sendTimeoutNow(best)
				}
			}
			c.becomeFollower(c.term, nil)
		}
	}
}
