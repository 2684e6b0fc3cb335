package consensus

import (
	"fmt"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"

	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/consensus/session"
	"github.com/rafter-go/rafter/rafterpb"
)

// This file runs exactly-once client sessions (Raft thesis §6.3) in the
// actor: proposing SESSION entries and session commands, and applying them
// through the session table (consensus/session), which decides alone what
// each one does, the same on every replica.

// proposeSession hands a session request to the core: a registration
// becomes a SESSION entry, a command an OP entry that names its session.
// The leader stamps its clock on the entry (logged time: the table never
// reads a clock). A request that is neither is refused (definite).
func (a *consensusActor) proposeSession(ctx protoactor.Context, r *rafterpb.OpRequest) {
	stamp := uint64(time.Now().UnixMilli())
	e := &rafterpb.Entry{Type: rafterpb.EntryType_ENTRY_TYPE_OP, Cmd: r.GetCmd(), ClientId: r.GetClientId(),
		Sequence: r.GetSequence(), SessionFloor: r.GetSessionFloor(), Stamp: stamp}
	if r.GetRegisterSession() {
		if r.GetClientId() != 0 || r.GetSequence() != 0 || len(r.GetCmd()) > 0 {
			a.refuse(ctx, r, rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT,
				"consensus: a session registration carries no command, session or sequence")
			return
		}
		e = &rafterpb.Entry{Type: rafterpb.EntryType_ENTRY_TYPE_SESSION, Stamp: stamp}
	}
	// The core refuses an OP naming a session without a sequence.
	a.core.ProposeSession(a.track(ctx, r), e)
}

// isSessionRequest: the request registers a session or names one.
func isSessionRequest(r *rafterpb.OpRequest) bool {
	return r.GetRegisterSession() || r.GetClientId() != 0 || r.GetSequence() != 0
}

// applySession applies committed entry c through the session table: a new
// command reaches the state machine and its result is remembered; a
// retried one is answered with the remembered result and not applied
// again; one of an unknown or expired session is refused.
func (a *consensusActor) applySession(ctx protoactor.Context, c core.Committed) {
	e := c.Entry
	v := a.sessions.Apply(e)
	a.opts.Metrics.SessionEntry(v.Kind)
	reply := &rafterpb.OpReply{Index: e.GetIndex()}
	switch v.Kind {
	case session.Run:
		result, err := a.sm.Apply(e.GetIndex(), e.GetCmd())
		r := session.Result{Value: result}
		if err != nil {
			r.Err = err.Error()
		}
		a.sessions.Record(e, r)
		reply.Result, reply.ApplyError = r.Value, r.Err
	case session.Duplicate:
		reply.Result, reply.ApplyError = v.Result.Value, v.Result.Err
	case session.Refused:
		reply = &rafterpb.OpReply{Error: &rafterpb.Error{
			Code: rafterpb.ErrorCode_ERROR_CODE_SESSION_EXPIRED, Message: fmt.Sprintf("consensus: %v", v.Err),
		}}
	}
	if c.ID == 0 {
		return
	}
	if p, ok := a.take(c.ID); ok {
		a.answer(ctx, p, reply)
	}
}
