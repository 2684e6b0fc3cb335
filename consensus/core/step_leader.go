package core

import (
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
	case m.GetInstallSnapshotReply() != nil:
		return c.handleInstallReply(m)
	}
	// An AppendEntries of our own term was refused by checkContradiction.
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
	pr.send.heard = true
	pr.clock = max(pr.clock, r.GetSendClock())
	if r.GetSuccess() {
		c.handleAppendSuccess(pr, r.GetIndex(), r.GetSendClock())
	} else {
		c.handleAppendReject(pr, r)
	}
	return nil
}

func (c *Core) handleAppendSuccess(pr *progress, index, clock uint64) {
	if index > pr.match {
		pr.match = index
		pr.matchClock = max(pr.matchClock, clock)
		pr.progressed = true
		pr.next = max(pr.next, index+1)
		pr.inflight.freeTo(index)
		defer c.advanceStaging()
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
	if rejected <= pr.match && r.GetSendClock() > pr.matchClock {
		c.followerLostEntries(pr, r)
		return
	}
	if rejected <= pr.match || (pr.state == probe && rejected != pr.next-1) {
		return // stale: an answer to an older message
	}
	// Fast back-off: jump to the largest index of our log whose term is at
	// most the follower's hinted term, skipping a whole term per round trip.
	hint := c.log.findConflictByTerm(min(r.GetRejectHintIndex(), rejected-1), r.GetRejectHintTerm())
	pr.becomeProbe()
	pr.next = max(hint+1, pr.match+1)
}

// followerLostEntries handles a rejection at or below match that answers an
// AppendEntries sent in a later send_clock round than the success that
// established match. The follower processes one leader's messages in order,
// so it held the entries up to match when it received that message: it has
// lost them since (a torn write cut at recovery, an emptied disk). Dropping
// the rejection as stale, as etcd-io/raft does, would leave that follower
// stuck for the whole term. The leader forgets match and probes from the
// follower's hint, as for a follower it never heard from. Lowering match
// cannot lower the commit index (commitTo never goes back); it only delays
// commits that counted this follower. Status.FollowerLostEntries counts it
// so that the shell can log it: Raft assumes durable logs, and a follower
// that lost acknowledged entries may have made an entry look committed.
//
// With a network that reorders messages (the simulator) a real stale
// rejection may land here; the probe then finds the same match again.
func (c *Core) followerLostEntries(pr *progress, r *rafterpb.AppendEntriesReply) {
	c.lostEntries++
	hint := c.log.findConflictByTerm(min(r.GetRejectHintIndex(), r.GetIndex()-1), r.GetRejectHintTerm())
	pr.match, pr.matchClock = 0, r.GetSendClock()
	pr.becomeProbe()
	pr.next = hint + 1
}
