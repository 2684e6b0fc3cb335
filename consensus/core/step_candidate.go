package core

import "github.com/rafter-go/rafter/rafterpb"

// stepCandidate handles a message of the current term as a candidate or a
// pre-candidate.
func (c *Core) stepCandidate(m *rafterpb.RaftMessage) error {
	switch {
	case m.GetRequestVote() != nil:
		c.handleRequestVote(m)
	case m.GetVote() != nil:
		c.handleVote(m)
	case m.GetAppendEntries() != nil, m.GetInstallSnapshot() != nil:
		// A leader of our term exists (Raft §5.2). rafter:
		// candidate(#append_entries{}, ...).
		c.becomeFollower(c.term, m.GetFrom())
		return c.stepFollower(m)
	}
	return nil
}
