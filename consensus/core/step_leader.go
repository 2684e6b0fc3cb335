package core

import (
	"fmt"

	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/rafterpb"
)

// stepLeader handles a message of the current term as the leader.
func (c *Core) stepLeader(m *rafterpb.RaftMessage) error {
	switch {
	case m.GetRequestVote() != nil:
		c.handleRequestVote(m) // refused: we voted for ourselves
	case m.GetAppendEntriesReply() != nil:
		return c.handleAppendReply(m)
	case m.GetAppendEntries() != nil:
		panic(fmt.Sprintf("core: %s: two leaders in term %d (%s)", c.idKey, c.term, config.PeerKey(m.GetFrom())))
	}
	return nil
}

// handleAppendReply updates the follower's progress. rafter:
// leader(#append_entries_rpy{}, ...), whose ±1 next_index becomes probe /
// replicate with fast back-off.
func (c *Core) handleAppendReply(m *rafterpb.RaftMessage) error {
	r := m.GetAppendEntriesReply()
	pr := c.leading.progress[config.PeerKey(m.GetFrom())]
	if pr == nil {
		return nil // not a follower of the latest configuration
	}
	if r.GetSuccess() && r.GetIndex() > c.log.lastIndex() {
		return invalid("append_entries_reply index %d past leader's last index %d", r.GetIndex(), c.log.lastIndex())
	}
	pr.recentActive = true
	pr.clock = max(pr.clock, r.GetSendClock())
	if r.GetSuccess() {
		c.handleAppendSuccess(pr, r.GetIndex())
	} else {
		c.handleAppendReject(pr, r)
	}
	return nil
}

func (c *Core) handleAppendSuccess(pr *progress, index uint64) {
	if index > pr.match {
		pr.match = index
		pr.progressed = true
		pr.next = max(pr.next, index+1)
		pr.inflight.freeTo(index)
		defer c.maybeCommit()
		defer c.maybeTimeoutNow(pr)
	}
	if pr.leaving {
		if _, confIdx := c.log.lastConfig(); pr.match >= confIdx {
			c.refreshProgress() // it has learnt it was removed
			return
		}
	}
	if pr.state == probe {
		// Any success of this term proves a match up to index.
		pr.becomeReplicate()
	}
}

func (c *Core) handleAppendReject(pr *progress, r *rafterpb.AppendEntriesReply) {
	rejected := r.GetIndex()
	if rejected <= pr.match || (pr.state == probe && rejected != pr.next-1) {
		return // stale: an answer to an older message
	}
	// Fast back-off: jump to the largest index of our log whose term is at
	// most the follower's hinted term, skipping a whole term per round trip.
	hint := c.log.findConflictByTerm(min(r.GetRejectHintIndex(), rejected-1), r.GetRejectHintTerm())
	pr.becomeProbe()
	pr.next = max(hint+1, pr.match+1)
}
