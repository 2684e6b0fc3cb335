package core

import (
	"fmt"

	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/rafterpb"
)

// maybeCommit advances the leader's commit index to the largest index stored
// on a quorum of the configuration, but only if that entry is of the current
// term (Raft §5.4.2, Figure 8). rafter: maybe_commit/1 and safe_to_commit/2.
// The leader's own entry counts only once it is durable (Persisted).
func (c *Core) maybeCommit() {
	n := c.quorumMax(c.log.persisted, matchOf)
	if n > c.commit && c.log.term(n) == c.term {
		c.commitTo(n)
	}
}

// commitTo advances the commit index (never back). On a leader it also drives
// reads and the configuration change.
func (c *Core) commitTo(n uint64) {
	if n <= c.commit {
		return
	}
	if n > c.log.lastIndex() {
		panic(fmt.Sprintf("core: commit %d past last index %d", n, c.log.lastIndex()))
	}
	c.commit = n
	if c.role != Leader {
		return
	}
	if !c.lead.termCommitted && c.log.term(n) == c.term {
		c.lead.termCommitted = true
		c.assignReadIndexes()
	}
	c.advanceConfig()
}

// advanceConfig runs rafter's joint consensus once the latest configuration
// entry is committed: a transitional configuration is followed by the stable
// configuration of the new servers (rafter: stabilize_config/2); a committed
// stable configuration ends the SetConfig request; a leader that is not in
// it steps down.
func (c *Core) advanceConfig() {
	conf, idx := c.log.lastConfig()
	if conf == nil || idx > c.commit {
		return
	}
	switch conf.GetState() {
	case rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL:
		stable := config.Finish(conf)
		i := c.appendEntry(&rafterpb.Entry{Type: rafterpb.EntryType_ENTRY_TYPE_CONFIG, Config: stable})
		if r := c.lead.configReq; r != nil && r.index == 0 {
			r.index = i
		}
	case rafterpb.ConfigState_CONFIG_STATE_STABLE:
		if r := c.lead.configReq; r != nil && r.index != 0 && r.index <= c.commit {
			c.results = append(c.results, Result{ID: r.id, Index: r.index})
			c.lead.configReq = nil
		}
		// rafter-divergence: rafter steps down as soon as the transitional
		// entry commits; we keep leading until the final stable entry
		// commits (as the Raft thesis §4.2.2 does), so that the request's
		// result can be delivered and the new servers get the entry.
		if !config.HasVote(c.id, conf) {
			c.becomeFollower(c.term, nil)
		}
	}
}

func matchOf(pr *progress) uint64 { return pr.match }
