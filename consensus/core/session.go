package core

import (
	"fmt"

	"github.com/rafter-go/rafter/rafterpb"
)

// ProposeSession appends e, a session entry the shell built, to the
// leader's log: an ENTRY_TYPE_SESSION entry (registering a client session)
// or an ENTRY_TYPE_OP entry that names a session (client_id, sequence).
// The core treats both as opaque commands: what they mean is decided at
// apply, by the session table (consensus/session), the same way on every
// replica. Its Committed entry (with ID) answers the request, as for
// Propose; any other entry type is refused with ErrInvalidArgument.
func (c *Core) ProposeSession(id RequestID, e *rafterpb.Entry) {
	switch {
	case e.GetType() == rafterpb.EntryType_ENTRY_TYPE_SESSION && e.GetClientId() == 0 && len(e.GetCmd()) == 0:
	case e.GetType() == rafterpb.EntryType_ENTRY_TYPE_OP && e.GetClientId() != 0 && e.GetSequence() != 0:
	default:
		c.fail(id, fmt.Errorf("%w: not a session entry (type %v, session %d, sequence %d)",
			ErrInvalidArgument, e.GetType(), e.GetClientId(), e.GetSequence()))
		return
	}
	if !c.leaderTakes(id) {
		return
	}
	idx := c.appendEntry(e)
	if id != 0 {
		c.leading.proposals[idx] = id
	}
}
