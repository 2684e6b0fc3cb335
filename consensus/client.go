package consensus

import (
	"context"
	"errors"
	"fmt"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/actor"
	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/rafterpb"
)

// pendingRequest is a client request handed to the core and not yet answered.
// sender is where the answer goes: the client itself, also when a follower
// forwarded the request here (the leader answers the client directly).
type pendingRequest struct {
	sender *protoactor.PID
	req    proto.Message
}

// onClientRequest starts a client request: proposals, reads and
// configuration changes go to the core; the rest is answered at once.
func (a *consensusActor) onClientRequest(ctx protoactor.Context, m any) {
	switch r := m.(type) {
	case *rafterpb.OpRequest:
		a.core.Propose(a.track(ctx, r), r.GetCmd())
	case *rafterpb.ReadOpRequest:
		if r.GetStale() {
			a.staleRead(ctx, r)
			return
		}
		a.core.Read(a.track(ctx, r))
	case *rafterpb.SetConfigRequest:
		a.core.SetConfig(a.track(ctx, r), r.GetPeers())
	case *rafterpb.GetLeaderRequest:
		a.reply(ctx, ctx.Sender(), &rafterpb.GetLeaderReply{Leader: a.core.Status().Leader})
	case *rafterpb.StatusRequest:
		a.reply(ctx, ctx.Sender(), a.status())
	case *rafterpb.GetEntryRequest:
		// Hand the log server what the core holds first, so the entry a
		// client just saw committed (or the leader's last) is there to read.
		a.drain(ctx)
		a.reply(ctx, ctx.Sender(), a.getEntry(r))
	}
}

// staleRead answers a stale read at once from this peer's own state
// machine, whatever its role: no core, no quorum round, no forwarding (like
// etcd's serializable reads). The answer reflects the entries this peer has
// applied, which are committed, so it may be stale but never uncommitted. A
// blank peer (no configuration yet) is in no cluster and answers
// ERROR_CODE_NOT_MEMBER rather than an empty state.
// rafter-divergence: rafter has no stale reads.
func (a *consensusActor) staleRead(ctx protoactor.Context, r *rafterpb.ReadOpRequest) {
	if a.core.Status().Config.GetState() == rafterpb.ConfigState_CONFIG_STATE_BLANK {
		a.reply(ctx, ctx.Sender(), &rafterpb.ReadOpReply{Error: &rafterpb.Error{
			Code: rafterpb.ErrorCode_ERROR_CODE_NOT_MEMBER, Message: "consensus: stale read on a peer with no configuration",
		}})
		return
	}
	result, err := a.sm.Read(r.GetQuery())
	reply := &rafterpb.ReadOpReply{Result: result}
	if err != nil {
		reply.ReadError = err.Error()
	}
	a.reply(ctx, ctx.Sender(), reply)
}

// track registers a request and returns the core's id for it.
func (a *consensusActor) track(ctx protoactor.Context, req proto.Message) core.RequestID {
	a.nextID++
	a.pending[a.nextID] = pendingRequest{sender: ctx.Sender(), req: req}
	return a.nextID
}

// deliverResult ends a request with the core's verdict. A follower that
// knows the leader forwards the request there (rafter's first TODO);
// otherwise the client gets an error code.
func (a *consensusActor) deliverResult(ctx protoactor.Context, r core.Result) {
	p, ok := a.pending[r.ID]
	if !ok {
		return
	}
	delete(a.pending, r.ID)
	if errors.Is(r.Err, core.ErrNotLeader) && r.Leader != nil && !config.SamePeer(r.Leader, a.opts.Self) {
		a.forward(ctx, p, r.Leader)
		return
	}
	if r.Err != nil {
		a.reply(ctx, p.sender, errorReply(p.req, toError(r.Err, r.Leader)))
		return
	}
	switch p.req.(type) {
	case *rafterpb.SetConfigRequest:
		a.reply(ctx, p.sender, &rafterpb.SetConfigReply{Index: r.Index})
	case *rafterpb.OpRequest:
		a.reply(ctx, p.sender, &rafterpb.OpReply{Index: r.Index})
	default:
		a.logger.Error("consensus: core ended a request without a result", "id", r.ID, "request", p.req)
		a.reply(ctx, p.sender, errorReply(p.req, &rafterpb.Error{
			Code: rafterpb.ErrorCode_ERROR_CODE_INTERNAL, Message: "consensus: request ended without a result",
		}))
	}
}

// forward sends the request to the leader's consensus actor with the client as
// sender, so the leader answers the client directly. The hop count stops stale
// leader hints from making a request circle.
func (a *consensusActor) forward(ctx protoactor.Context, p pendingRequest, leader *rafterpb.Peer) {
	limit := a.opts.MaxForwardHops
	if limit == 0 {
		limit = DefaultMaxForwardHops
	}
	fwd := proto.Clone(p.req)
	var hops uint32
	switch f := fwd.(type) {
	case *rafterpb.OpRequest:
		f.Hops++
		hops = f.Hops
	case *rafterpb.ReadOpRequest:
		f.Hops++
		hops = f.Hops
	case *rafterpb.SetConfigRequest:
		f.Hops++
		hops = f.Hops
	}
	if p.sender == nil {
		// Nobody would hear the leader's answer.
		a.logger.Debug("consensus: not forwarding a request without a sender", "request", p.req)
		return
	}
	if int(hops) > limit {
		a.reply(ctx, p.sender, errorReply(p.req, &rafterpb.Error{
			Code:    rafterpb.ErrorCode_ERROR_CODE_REDIRECT,
			Message: fmt.Sprintf("consensus: not the leader; forwarded %d times already", hops-1),
			Leader:  leader,
		}))
		return
	}
	to := a.opts.System.PIDOf(leader.GetName()+"/consensus", leader.GetNode())
	a.logger.Debug("consensus: forwarding to the leader", "leader", config.PeerKey(leader), "hops", hops)
	ctx.RequestWithCustomSender(to, fwd, p.sender)
}

// failPending answers every waiting request when the actor stops or
// restarts: proposals and configuration changes may still commit (unknown
// outcome), reads simply did not happen.
func (a *consensusActor) failPending(ctx protoactor.Context) {
	for id, p := range a.pending {
		code := rafterpb.ErrorCode_ERROR_CODE_LEADERSHIP_LOST
		if _, isRead := p.req.(*rafterpb.ReadOpRequest); isRead {
			code = rafterpb.ErrorCode_ERROR_CODE_STOPPED
		}
		a.reply(ctx, p.sender, errorReply(p.req, &rafterpb.Error{
			Code: code, Message: "consensus: peer stopped or restarting while the request was pending",
		}))
		delete(a.pending, id)
	}
	a.reads = nil
}

// getEntry reads one entry (or the last) from the log server. The call
// blocks the actor briefly; the log server never calls back synchronously.
func (a *consensusActor) getEntry(r *rafterpb.GetEntryRequest) *rafterpb.GetEntryReply {
	ctx, cancel := context.WithTimeout(context.Background(), a.logCallTimeout())
	defer cancel()
	reply, err := actor.Call[*rafterpb.LogEntryReply](ctx, a.opts.System, a.opts.Log,
		&rafterpb.LogGetEntry{Index: r.GetIndex(), Last: r.GetLast()})
	if err != nil {
		code := rafterpb.ErrorCode_ERROR_CODE_INTERNAL
		if errors.Is(err, context.DeadlineExceeded) {
			code = rafterpb.ErrorCode_ERROR_CODE_TIMEOUT
		}
		return &rafterpb.GetEntryReply{Error: &rafterpb.Error{
			Code: code, Message: fmt.Sprintf("consensus: log server: %v", err),
		}}
	}
	if reply.GetError() != nil {
		return &rafterpb.GetEntryReply{Error: reply.GetError()}
	}
	return &rafterpb.GetEntryReply{Entry: reply.GetEntry()}
}

// status describes this peer for a StatusRequest.
func (a *consensusActor) status() *rafterpb.StatusReply {
	st := a.core.Status()
	return &rafterpb.StatusReply{
		Self:         a.opts.Self,
		Role:         roleOf(st.Role),
		Term:         st.Term,
		Leader:       st.Leader,
		CommitIndex:  st.CommitIndex,
		AppliedIndex: a.applied,
		LastIndex:    st.LastIndex,
		LastTerm:     st.LastTerm,
		Config:       st.Config,
		VotedFor:     st.VotedFor,
	}
}

// reply sends an answer; a request sent without a sender cannot be answered.
func (a *consensusActor) reply(ctx protoactor.Context, to *protoactor.PID, msg proto.Message) {
	if to == nil {
		a.logger.Debug("consensus: no sender to answer", "reply", msg)
		return
	}
	ctx.Send(to, msg)
}
