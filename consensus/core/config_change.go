package core

import (
	"errors"
	"fmt"

	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/rafterpb"
)

// SetConfig asks for a new server list. On a blank peer it is rafter's
// initial configuration: the peer stands for election and logs the list once
// elected. On the leader it starts joint consensus. The Result comes when the
// final stable configuration commits.
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
	if c.role != Leader {
		c.refuse(id)
		return
	}
	if err := c.allowChange(peers); err != nil {
		c.fail(id, err)
		return
	}
	c.appendEntry(&rafterpb.Entry{
		Type:   rafterpb.EntryType_ENTRY_TYPE_CONFIG,
		Config: config.Reconfig(c.conf, peers),
	})
	c.lead.configReq = &configRequest{id: id}
}

// allowChange: one change at a time (rafter: rafter_config:allow_config/2),
// which here also means the latest configuration entry is committed.
func (c *Core) allowChange(peers []*rafterpb.Peer) error {
	_, idx := c.log.lastConfig()
	if c.lead.configReq != nil || idx > c.commit {
		return ErrConfigInProgress
	}
	switch err := config.AllowChange(c.conf, peers); {
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
		c.pendingInit = &initConfig{id: id, conf: config.Reconfig(blankConfig, peers)}
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
// a leader sends AppendEntries, and a leader has a configuration; a
// candidate with a non-empty log has one too (the first entry of every log
// is a configuration). A RequestVote with an empty log comes from a blank
// peer campaigning with its own initial configuration: rafter's rules for
// conflicting initial configurations cover that one.
func showsCluster(m *rafterpb.RaftMessage) bool {
	if m.GetAppendEntries() != nil {
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
