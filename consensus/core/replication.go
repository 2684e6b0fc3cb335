package core

import "github.com/rafter-go/rafter/rafterpb"

// sendAppend sends pr one AppendEntries starting at pr.next, batched up to
// MaxMsgEntries / MaxMsgBytes. In replicate mode the leader assumes success
// and moves next past the batch (pipelining); in probe mode it waits.
func (c *Core) sendAppend(pr *progress) {
	prev := pr.next - 1
	if pr.state == snapshot || c.log.compacted(prev) {
		// The entries it needs are compacted: send the snapshot.
		if pr.state != snapshot {
			c.startSnapshot(pr)
		}
		c.sendSnapshotChunk(pr)
		return
	}
	ents := c.log.batch(pr.next, c.opts.MaxMsgEntries, c.opts.MaxMsgBytes)
	m := c.newMessage(pr.peer)
	m.Body = &rafterpb.RaftMessage_AppendEntries{AppendEntries: &rafterpb.AppendEntries{
		PrevLogIndex: prev,
		PrevLogTerm:  c.log.term(prev),
		Entries:      ents,
		CommitIndex:  c.commit,
		SendClock:    c.leading.sendClock,
	}}
	c.send(m, false)
	if pr.state == probe {
		pr.paused = true
		return
	}
	if n := len(ents); n > 0 {
		last := ents[n-1].GetIndex()
		pr.next = last + 1
		pr.inflight.add(last)
	}
}

// sendHeartbeat is an empty AppendEntries at the follower's match index, which
// the follower is known to hold: it carries the commit index and the
// send_clock without disturbing the pipeline.
//
// A follower whose match index is compacted gets a heartbeat at index 0,
// which every log holds.
func (c *Core) sendHeartbeat(pr *progress) {
	prev := pr.match
	if c.log.compacted(prev) {
		prev = 0
	}
	m := c.newMessage(pr.peer)
	m.Body = &rafterpb.RaftMessage_AppendEntries{AppendEntries: &rafterpb.AppendEntries{
		PrevLogIndex: prev,
		PrevLogTerm:  c.log.term(prev),
		CommitIndex:  c.commit,
		SendClock:    c.leading.sendClock,
	}}
	c.send(m, false)
}

// broadcastHeartbeat starts a new send_clock round (rafter:
// send_append_entries/1 increments send_clock). A follower in probe mode gets
// a fresh probe; one in replicate mode whose window made no progress since
// the last heartbeat is assumed to have lost messages and falls back to
// probe.
func (c *Core) broadcastHeartbeat() {
	c.leading.sendClock++
	for _, k := range c.leading.order {
		pr := c.leading.progress[k]
		if pr.state == replicate && pr.inflight.count > 0 && !pr.progressed {
			pr.becomeProbe()
			pr.next = pr.match + 1
		}
		pr.progressed = false
		if pr.state == snapshot {
			// No answer for an election timeout: chunks were lost.
			// Send again from the last offset answered.
			if c.stalled(pr) {
				c.snapshotStalled(pr)
			}
			pr.send.progressed, pr.send.heard = false, false
			c.sendHeartbeat(pr)
			continue
		}
		if pr.state == probe {
			pr.paused = false
			c.sendAppend(pr)
		} else {
			c.sendHeartbeat(pr)
		}
	}
}

// flushAppends sends every follower what it may receive now. It runs when a
// Ready is built, so proposals made since the last Ready share messages.
func (c *Core) flushAppends() {
	last := c.log.lastIndex()
	for _, k := range c.leading.order {
		pr := c.leading.progress[k]
		for pr.canSend(last) {
			c.sendAppend(pr)
		}
	}
}

func (c *Core) canFlush() bool {
	last := c.log.lastIndex()
	for _, pr := range c.leading.progress {
		if pr.canSend(last) {
			return true
		}
	}
	return false
}
