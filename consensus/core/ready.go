package core

import (
	"fmt"

	"github.com/rafter-go/rafter/rafterpb"
)

// HasReady reports whether Ready would return something to do. It asks the
// same questions Ready acts on (readsReleasable, needReadRound, canFlush),
// so the two cannot disagree.
func (c *Core) HasReady() bool {
	if c.metaDirty || c.log.unstable <= c.log.lastIndex() || len(c.msgs) > 0 ||
		len(c.msgsAfter) > 0 || c.commit > c.applying || len(c.results) > 0 ||
		c.snaps.compact > 0 || len(c.snaps.installs) > 0 || c.wantSnapshot() {
		return true
	}
	return c.role == Leader && (c.needReadRound() || c.canFlush() || c.readsReleasable() > 0)
}

// Ready returns the effects accumulated since the last Ready, for the shell
// to execute in the order documented on the Ready type. Building it hands
// them out: the entries count as given to the log server and the committed
// entries as applying, so Step may be called again before Advance.
func (c *Core) Ready() Ready {
	if c.role == Leader {
		if c.needReadRound() {
			c.broadcastHeartbeat()
		}
		c.flushAppends()
	}
	rd := Ready{Commit: c.commit, Snapshot: c.takeSnapshot()}
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
	rd.Compact, c.snaps.compact = c.snaps.compact, 0
	rd.Install = c.takeInstalls()
	return rd
}

func (c *Core) takeCommitted() []Committed {
	if c.commit <= c.applying {
		return nil
	}
	out := make([]Committed, 0, c.commit-c.applying)
	for i := c.applying + 1; i <= c.commit; i++ {
		cm := Committed{Entry: c.log.entry(i)}
		if c.role == Leader {
			if id, ok := c.leading.proposals[i]; ok {
				cm.ID = id
				delete(c.leading.proposals, i)
			}
		}
		out = append(out, cm)
	}
	c.applying = c.commit
	return out
}

// Advance tells the core that the shell has executed rd: in particular that
// its state machine has applied rd.Committed. Reads waiting for those
// entries are released by the next Ready. Every Ready must be advanced, in
// the order they were built.
func (c *Core) Advance(rd Ready) {
	n := len(rd.Committed)
	if n == 0 {
		return
	}
	first, last := rd.Committed[0].Entry.GetIndex(), rd.Committed[n-1].Entry.GetIndex()
	if first != c.applied+1 || last > c.applying {
		panic(fmt.Sprintf("core: Advance of entries %d..%d with %d applied and %d handed out",
			first, last, c.applied, c.applying))
	}
	c.applied = last
}
