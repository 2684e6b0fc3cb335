package core

import (
	"fmt"
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
	if !c.leading.termCommitted && c.log.term(n) == c.term {
		c.leading.termCommitted = true
		c.assignReadIndexes()
	}
	c.advanceConfig()
}

func matchOf(pr *progress) uint64 { return pr.match }
