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

func (c *Core) fail(id RequestID, err error) {
	c.results = append(c.results, Result{ID: id, Err: err})
}
