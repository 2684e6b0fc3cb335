package core

import (
	"fmt"

	"github.com/rafter-go/rafter/rafterpb"
)

// Step feeds one message from another peer to the core. A malformed message
// returns an error wrapping ErrInvalidMessage (or ErrUnsupported), one that
// contradicts what the core knows (two leaders in a term, an overwrite of a
// committed entry) an error wrapping ErrContradiction; either changes
// nothing. A message from a peer that the configuration does not list may be
// dropped with an error wrapping ErrUnknownPeer, also changing nothing (see
// checkSender). Raft's term rules are applied here (Raft §5.1), then the
// role's step function runs.
func (c *Core) Step(m *rafterpb.RaftMessage) error {
	defer c.settleTransferWait(false)
	if err := c.validate(m); err != nil {
		return err
	}
	if err := c.checkCluster(m); err != nil {
		return err
	}
	if err := c.checkSender(m); err != nil {
		return err
	}
	if err := c.checkContradiction(m); err != nil {
		return err
	}
	if showsCluster(m) {
		c.sawCluster()
	}
	switch {
	case m.GetTerm() > c.term:
		if !c.stepNewerTerm(m) {
			return nil
		}
	case m.GetTerm() < c.term:
		c.stepStale(m)
		return nil
	}
	switch c.role {
	case Follower:
		return c.stepFollower(m)
	case PreCandidate, Candidate:
		return c.stepCandidate(m)
	case Leader:
		return c.stepLeader(m)
	}
	panic(fmt.Sprintf("core: unknown role %d", c.role))
}

// stepNewerTerm applies the rule "a newer term makes us a follower", with the
// exceptions of PreVote and the leader lease. It reports whether the message
// should then be handled by the role.
func (c *Core) stepNewerTerm(m *rafterpb.RaftMessage) bool {
	if rv := m.GetRequestVote(); rv != nil {
		if c.inLease(rv) {
			return false
		}
		if rv.GetPreVote() {
			return true // a pre-vote never changes a term
		}
	}
	if v := m.GetVote(); v != nil {
		if v.GetPreVote() && v.GetGranted() {
			return true // echoes the future term we asked about
		}
		if !v.GetGranted() && c.pendingInit != nil && c.role == Candidate {
			// rafter: candidate(#vote{term=VoteTerm, success=false}, ...)
			// with init_config, the clause EQC found: two blank peers were
			// given conflicting initial configurations.
			c.failInit()
		}
	}
	var lead *rafterpb.Peer
	if m.GetAppendEntries() != nil || m.GetInstallSnapshot() != nil {
		lead = m.GetFrom()
	}
	c.becomeFollower(m.GetTerm(), lead)
	return true
}

// stepStale answers a message from an older term so that its sender learns
// the newer term (a stale leader steps down, a pre-candidate gives up).
func (c *Core) stepStale(m *rafterpb.RaftMessage) {
	reply := c.newMessage(m.GetFrom())
	switch {
	case m.GetAppendEntries() != nil:
		ae := m.GetAppendEntries()
		reply.Body = &rafterpb.RaftMessage_AppendEntriesReply{AppendEntriesReply: &rafterpb.AppendEntriesReply{
			Index: ae.GetPrevLogIndex(), SendClock: ae.GetSendClock(),
		}}
	case m.GetRequestVote() != nil:
		reply.Body = &rafterpb.RaftMessage_Vote{Vote: &rafterpb.Vote{PreVote: m.GetRequestVote().GetPreVote()}}
	case m.GetInstallSnapshot() != nil:
		in := m.GetInstallSnapshot()
		reply.Body = &rafterpb.RaftMessage_InstallSnapshotReply{InstallSnapshotReply: &rafterpb.InstallSnapshotReply{
			LastIncludedIndex: in.GetLastIncludedIndex(), LastIncludedTerm: in.GetLastIncludedTerm(), Offset: in.GetOffset(),
		}}
	default:
		return // a late answer: nothing to say
	}
	c.send(reply, false)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidMessage, fmt.Sprintf(format, args...))
}

// validate rejects malformed messages before anything changes.
func (c *Core) validate(m *rafterpb.RaftMessage) error {
	switch {
	case m == nil:
		return invalid("nil message")
	case m.GetFrom().GetName() == "":
		return invalid("no sender")
	case c.isMe(m.GetFrom()):
		return invalid("message from self")
	case m.GetTo() != nil && !c.isMe(m.GetTo()):
		return invalid("addressed to %s@%s", m.GetTo().GetName(), m.GetTo().GetNode())
	case m.GetTerm() == 0:
		return invalid("term 0")
	case m.GetTerm() > MaxTerm:
		return invalid("term %d above %d", m.GetTerm(), uint64(MaxTerm))
	}
	switch b := m.GetBody().(type) {
	case *rafterpb.RaftMessage_RequestVote:
		if b.RequestVote.GetLastLogTerm() > m.GetTerm() {
			return invalid("request_vote last_log_term %d > term %d", b.RequestVote.GetLastLogTerm(), m.GetTerm())
		}
	case *rafterpb.RaftMessage_Vote, *rafterpb.RaftMessage_AppendEntriesReply, *rafterpb.RaftMessage_TimeoutNow:
	case *rafterpb.RaftMessage_AppendEntries:
		return validateAppend(m.GetTerm(), b.AppendEntries)
	case *rafterpb.RaftMessage_InstallSnapshot:
		in := b.InstallSnapshot
		if in.GetLastIncludedIndex() == 0 || in.GetLastIncludedTerm() == 0 || in.GetLastIncludedTerm() > m.GetTerm() ||
			in.GetOffset() >= in.GetTotalSize() || uint64(len(in.GetData())) > in.GetTotalSize()-in.GetOffset() {
			return invalid("install_snapshot of (%d, %d) in term %d: %d bytes at offset %d of %d",
				in.GetLastIncludedIndex(), in.GetLastIncludedTerm(), m.GetTerm(),
				len(in.GetData()), in.GetOffset(), in.GetTotalSize())
		}
	case *rafterpb.RaftMessage_InstallSnapshotReply:
	case nil:
		return invalid("no body")
	default:
		return fmt.Errorf("%w: %T", ErrUnsupported, b)
	}
	return nil
}

func validateAppend(term uint64, ae *rafterpb.AppendEntries) error {
	if ae.GetPrevLogTerm() > term || (ae.GetPrevLogIndex() == 0) != (ae.GetPrevLogTerm() == 0) {
		return invalid("append_entries prev (%d, %d) in term %d", ae.GetPrevLogIndex(), ae.GetPrevLogTerm(), term)
	}
	prevTerm := ae.GetPrevLogTerm()
	for i, e := range ae.GetEntries() {
		switch {
		case e.GetIndex() != ae.GetPrevLogIndex()+uint64(i)+1:
			return invalid("append_entries entry %d has index %d after prev %d", i, e.GetIndex(), ae.GetPrevLogIndex())
		case e.GetTerm() < prevTerm || e.GetTerm() > term:
			return invalid("append_entries entry %d has term %d (previous %d, message %d)", i, e.GetTerm(), prevTerm, term)
		case e.GetType() == rafterpb.EntryType_ENTRY_TYPE_CONFIG && e.GetConfig() == nil:
			return invalid("append_entries config entry %d without config", e.GetIndex())
		case e.GetType() == rafterpb.EntryType_ENTRY_TYPE_CONFIG:
			if err := validateConfigEntry(e); err != nil {
				return err
			}
		}
		prevTerm = e.GetTerm()
	}
	return nil
}
