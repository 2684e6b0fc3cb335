package core

import "github.com/rafter-go/rafter/rafterpb"

// HasReady reports whether Ready would return something to do.
func (c *Core) HasReady() bool {
	if c.metaDirty || c.log.unstable <= c.log.lastIndex() || len(c.msgs) > 0 ||
		len(c.msgsAfter) > 0 || c.commit > c.applied || len(c.results) > 0 {
		return true
	}
	return c.role == Leader && (c.needReadRound() || c.canFlush() || c.canReleaseReads())
}

// Ready returns the effects accumulated since the last Ready, for the shell
// to execute in the order documented on the Ready type. Building it accepts
// them: the core treats the entries as handed to the log server and the
// committed entries as applied, so Step may be called again before Advance.
func (c *Core) Ready() Ready {
	if c.role == Leader {
		if c.needReadRound() {
			c.broadcastHeartbeat()
		}
		c.flushAppends()
	}
	var rd Ready
	if c.metaDirty {
		rd.Meta = &rafterpb.Meta{Term: c.term, VotedFor: c.votedFor}
		c.metaDirty = false
	}
	rd.Entries = c.log.takeUnstable()
	if rd.Meta != nil {
		// Everything of a term (or vote) not yet durable waits for it
		// (Raft §5.1 with Figure 2's "persist before responding").
		rd.MessagesAfterPersist = append(c.msgs, c.msgsAfter...)
	} else {
		rd.Messages, rd.MessagesAfterPersist = c.msgs, c.msgsAfter
	}
	c.msgs, c.msgsAfter = nil, nil
	rd.Committed = c.takeCommitted()
	if c.role == Leader {
		rd.Reads = c.releaseReads()
	}
	rd.Results, c.results = c.results, nil
	return rd
}

func (c *Core) takeCommitted() []Committed {
	if c.commit <= c.applied {
		return nil
	}
	out := make([]Committed, 0, c.commit-c.applied)
	for i := c.applied + 1; i <= c.commit; i++ {
		cm := Committed{Entry: c.log.entry(i)}
		if c.role == Leader {
			if id, ok := c.lead.proposals[i]; ok {
				cm.ID = id
				delete(c.lead.proposals, i)
			}
		}
		out = append(out, cm)
	}
	c.applied = c.commit
	return out
}

// Advance tells the core the shell has executed rd. Ready already accepted
// its contents, so Advance only checks the call is well paired.
func (c *Core) Advance(rd Ready) {
	_ = rd
}
