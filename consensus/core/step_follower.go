package core

import (
	"fmt"

	"github.com/rafter-go/rafter/rafterpb"
)

// stepFollower handles a message of the current term as a follower.
func (c *Core) stepFollower(m *rafterpb.RaftMessage) error {
	switch {
	case m.GetRequestVote() != nil:
		c.handleRequestVote(m)
	case m.GetTimeoutNow() != nil:
		c.handleTimeoutNow(m)
	case m.GetAppendEntries() != nil, m.GetInstallSnapshot() != nil:
		if !c.removed() {
			c.leader = m.GetFrom()
		}
		c.electionElapsed = 0
		if c.pendingInit != nil {
			// rafter: candidate(#append_entries{}, ...) with init_config:
			// another peer was elected with its own initial configuration.
			c.failInit()
		}
		if m.GetInstallSnapshot() != nil {
			c.stepInstall(m)
		} else if c.snaps.installing == 0 {
			// While the log server installs a snapshot the log must not
			// change: the leader sends again.
			c.handleAppendEntries(m)
		}
	}
	// Votes and AppendEntries replies are late answers: ignore them.
	return nil
}

// handleAppendEntries is Raft §5.3's receiver rule. rafter:
// follower(#append_entries{}, ...) with consistency_check/2 and
// rafter_log:check_and_append/3.
func (c *Core) handleAppendEntries(m *rafterpb.RaftMessage) {
	ae := m.GetAppendEntries()
	reply := c.newMessage(m.GetFrom())
	rpy := &rafterpb.AppendEntriesReply{SendClock: ae.GetSendClock()}
	reply.Body = &rafterpb.RaftMessage_AppendEntriesReply{AppendEntriesReply: rpy}
	prev := ae.GetPrevLogIndex()
	if !c.log.matchTerm(prev, ae.GetPrevLogTerm()) {
		// Fast back-off hint: the largest index that may still match,
		// skipping our entries of terms newer than the leader's prev term.
		rpy.Index = prev
		rpy.RejectHintIndex = c.log.findConflictByTerm(prev, ae.GetPrevLogTerm())
		rpy.RejectHintTerm = c.log.term(rpy.RejectHintIndex)
		c.send(reply, false)
		return
	}
	c.appendFromLeader(ae.GetEntries())
	lastNew := prev + uint64(len(ae.GetEntries()))
	// Only what this message proved to match may be committed.
	if to := min(ae.GetCommitIndex(), lastNew); to > c.commit {
		c.commitTo(to)
	}
	rpy.Success = true
	rpy.Index = lastNew
	c.send(reply, true)
}

// appendFromLeader skips entries we already hold, truncates at the first
// conflict and appends the rest.
func (c *Core) appendFromLeader(es []*rafterpb.Entry) {
	for i, e := range es {
		if e.GetIndex() <= c.log.offset {
			continue // compacted: committed, so the leader's are the same
		}
		if e.GetIndex() <= c.log.lastIndex() {
			if c.log.term(e.GetIndex()) == e.GetTerm() {
				continue
			}
			if e.GetIndex() <= c.commit {
				// checkContradiction refused the message before any change.
				panic(fmt.Sprintf("core: %s: overwrite of committed index %d passed the checks (commit %d)",
					c.idKey, e.GetIndex(), c.commit))
			}
			c.log.truncate(e.GetIndex())
		}
		c.log.append(es[i:]...)
		break
	}
	c.refreshConfig()
}
