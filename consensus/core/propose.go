package core

import (
	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/rafterpb"
)

// Propose appends a command to the leader's log. Its Committed entry (with
// ID) answers the request; a non-leader answers with a Result error.
func (c *Core) Propose(id RequestID, cmd []byte) {
	if !c.leaderTakes(id) {
		return
	}
	idx := c.appendEntry(&rafterpb.Entry{Type: rafterpb.EntryType_ENTRY_TYPE_OP, Cmd: cmd})
	if id != 0 {
		c.leading.proposals[idx] = id
	}
}

// leaderTakes reports whether this peer takes a request that changes the
// log or its leadership now: it leads and is not handing its leadership
// over. Otherwise it answers id (refuse, or ErrTransferInProgress) and
// returns false.
func (c *Core) leaderTakes(id RequestID) bool {
	switch {
	case c.role != Leader:
		c.refuse(id)
	case c.leading.transfer != nil:
		c.fail(id, ErrTransferInProgress)
	default:
		return true
	}
	return false
}

// refuse answers a client request on a non-leader. rafter: the
// {redirect, Leader} replies and no_leader_error/2.
func (c *Core) refuse(id RequestID) {
	r := Result{ID: id}
	switch {
	case c.removed():
		r.Err = ErrNotMember
	case c.leader != nil && !c.isMe(c.leader):
		r.Err, r.Leader = ErrNotLeader, c.leader
	case c.role == PreCandidate || c.role == Candidate:
		r.Err = ErrElectionInProgress
	case config.IsMember(c.id, c.members):
		r.Err = ErrNoLeader
	default:
		r.Err = ErrNotMember
	}
	c.results = append(c.results, r)
}
