package consensus

import (
	"context"
	"errors"
	"fmt"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/actor"
	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/internal/hoptrace"
	"github.com/rafter-go/rafter/rafterpb"
)

// This file holds every client request from arrival to answer: what is
// pending, answering applied commands and released reads, forwarding to the
// leader, and failing what is pending when the actor stops. The core decides
// (which entry answers which request, when a read may be answered, who
// leads); this file only keeps the senders and writes the replies.

// pendingRequest is a client request handed to the core and not yet answered.
// sender is where the answer goes: the client itself, also when a follower
// forwarded the request here (the leader answers the client directly).
// forwarder is the peer that forwarded it here (nil if it came straight from
// the client): the answer crosses the link from this peer to that one, so
// the interceptor judges it as such a message.
type pendingRequest struct {
	sender    *protoactor.PID
	forwarder *rafterpb.Peer
	req       proto.Message
	arrived   time.Time // zero when metrics are off (metrics.go)
}

// onClientRequest starts a client request: proposals, reads and
// configuration changes go to the core; the rest is answered at once.
func (a *consensusActor) onClientRequest(ctx protoactor.Context, m proto.Message) {
	switch r := m.(type) {
	case *rafterpb.OpRequest:
		if n := len(r.GetCmd()); n > a.opts.maxCommandBytes() {
			// Refused before the core sees it: an entry too large for the
			// log server would fail the write and restart the peer.
			a.refuse(ctx, r, rafterpb.ErrorCode_ERROR_CODE_TOO_LARGE,
				fmt.Sprintf("consensus: command of %d bytes, limit %d", n, a.opts.maxCommandBytes()))
			return
		}
		a.opts.Metrics.Proposed()
		if isSessionRequest(r) {
			a.proposeSession(ctx, r)
			return
		}
		tr := hoptrace.Active()
		sampled := tr != nil && tr.Sample()
		var received int64
		var last uint64
		if sampled {
			received, last = tr.Now(), a.core.Status().LastIndex
		}
		a.core.Propose(a.track(ctx, r), r.GetCmd())
		if sampled {
			a.traceProposal(tr, received, last)
		}
	case *rafterpb.ReadOpRequest:
		if r.GetStale() {
			a.opts.Metrics.StaleRead()
			a.staleRead(ctx, r)
			return
		}
		a.opts.Metrics.Read()
		a.core.Read(a.track(ctx, r))
	case *rafterpb.SetConfigRequest:
		a.setConfig(ctx, r) // learners.go
	case *rafterpb.TransferLeadershipRequest:
		a.core.TransferLeadership(a.track(ctx, r), r.GetTo())
	case *rafterpb.SnapshotRequest:
		if _, ok := a.sm.(Snapshotter); !ok {
			a.reply(ctx, ctx.Sender(), &rafterpb.SnapshotReply{Error: &rafterpb.Error{
				Code: rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, Message: ErrNoSnapshotter.Error(),
			}})
			return
		}
		a.core.ForceSnapshot(a.track(ctx, r))
	case *rafterpb.BootstrapRequest:
		// Never forwarded: every initial member is asked itself.
		a.core.Bootstrap(a.track(ctx, r), r.GetPeers(), r.GetClusterId())
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

// track registers a request and returns the core's id for it.
func (a *consensusActor) track(ctx protoactor.Context, req proto.Message) core.RequestID {
	a.nextID++
	a.pending[a.nextID] = pendingRequest{sender: ctx.Sender(), forwarder: forwarderOf(req), req: req, arrived: a.opts.Metrics.Now()}
	return a.nextID
}

// take removes and returns pending request id; ok is false if none (it was
// answered already, or belongs to a previous incarnation).
func (a *consensusActor) take(id core.RequestID) (p pendingRequest, ok bool) {
	p, ok = a.pending[id]
	if ok {
		delete(a.pending, id)
	}
	return p, ok
}

// answerApplied answers the Op that proposed entry e, now applied with
// result and applyErr. A SetConfig ends with a core Result instead, once its
// final configuration is committed.
func (a *consensusActor) answerApplied(ctx protoactor.Context, id core.RequestID, e *rafterpb.Entry, result []byte, applyErr error) {
	p, ok := a.pending[id]
	if !ok || !isOp(p.req) {
		return
	}
	delete(a.pending, id)
	reply := &rafterpb.OpReply{Result: result, Index: e.GetIndex()}
	if applyErr != nil {
		reply.ApplyError = applyErr.Error()
	}
	a.answer(ctx, p, reply)
}

// answerReads answers the reads the core released: their index is applied
// (core/api.go), so the state machine is read now.
func (a *consensusActor) answerReads(ctx protoactor.Context, reads []core.ReadState) {
	for _, rs := range reads {
		p, ok := a.take(rs.ID)
		if !ok {
			continue
		}
		req, isRead := p.req.(*rafterpb.ReadOpRequest)
		if !isRead {
			a.logger.Error("consensus: read released for a request that is not a read", "id", rs.ID)
			continue
		}
		a.answer(ctx, p, a.readReply(req))
	}
}

// staleRead answers a stale read at once from this peer's own state
// machine, whatever its role: no core, no quorum round, no forwarding (like
// etcd's serializable reads). The answer reflects the entries this peer has
// applied, which are committed, so it may be stale but never uncommitted. A
// blank peer (no configuration yet) is in no cluster, and a removed one no
// longer is: both answer ERROR_CODE_NOT_MEMBER rather than a state that no
// cluster vouches for.
// rafter-divergence: rafter has no stale reads.
func (a *consensusActor) staleRead(ctx protoactor.Context, r *rafterpb.ReadOpRequest) {
	if !a.core.Status().Member {
		a.reply(ctx, ctx.Sender(), &rafterpb.ReadOpReply{Error: &rafterpb.Error{
			Code:    rafterpb.ErrorCode_ERROR_CODE_NOT_MEMBER,
			Message: "consensus: stale read on a peer with no configuration, or one its configuration left out",
		}})
		return
	}
	a.reply(ctx, ctx.Sender(), a.readReply(r))
}

// readReply runs a query against the state machine.
func (a *consensusActor) readReply(r *rafterpb.ReadOpRequest) *rafterpb.ReadOpReply {
	result, err := a.sm.Read(r.GetQuery())
	reply := &rafterpb.ReadOpReply{Result: result}
	if err != nil {
		reply.ReadError = err.Error()
	}
	return reply
}

// deliverResult ends a request with the core's verdict. A follower that
// knows the leader forwards the request there (rafter's first TODO);
// otherwise the client gets the error's wire code.
func (a *consensusActor) deliverResult(ctx protoactor.Context, r core.Result) {
	p, ok := a.take(r.ID)
	if !ok {
		return
	}
	if errors.Is(r.Err, core.ErrNotLeader) && r.Leader != nil && !config.SamePeer(r.Leader, a.opts.Self) {
		a.forward(ctx, p, r.Leader)
		return
	}
	if r.Err != nil {
		a.answer(ctx, p, errorReply(p.req, &rafterpb.Error{Code: core.Code(r.Err), Message: r.Err.Error(), Leader: r.Leader}))
		return
	}
	switch p.req.(type) {
	case *rafterpb.SetConfigRequest:
		a.answer(ctx, p, &rafterpb.SetConfigReply{Index: r.Index})
	case *rafterpb.OpRequest:
		a.answer(ctx, p, &rafterpb.OpReply{Index: r.Index})
	case *rafterpb.TransferLeadershipRequest:
		a.answer(ctx, p, &rafterpb.TransferLeadershipReply{})
	case *rafterpb.SnapshotRequest:
		a.answer(ctx, p, &rafterpb.SnapshotReply{Index: r.Index})
	case *rafterpb.BootstrapRequest:
		a.answer(ctx, p, &rafterpb.BootstrapReply{Index: r.Index})
	default:
		a.logger.Error("consensus: core ended a request without a result", "id", r.ID, "request", p.req)
		a.answer(ctx, p, errorReply(p.req, &rafterpb.Error{
			Code: rafterpb.ErrorCode_ERROR_CODE_INTERNAL, Message: "consensus: request ended without a result",
		}))
	}
}

// forward sends the request to the leader's consensus actor with the client as
// sender, so the leader answers the client directly. The hop count stops stale
// leader hints from making a request circle. The forwarded request crosses
// the link to the leader: the interceptor sees it (send.go).
func (a *consensusActor) forward(ctx protoactor.Context, p pendingRequest, leader *rafterpb.Peer) {
	if p.sender == nil {
		// Nobody would hear the leader's answer.
		a.logger.Debug("consensus: not forwarding a request without a sender", "request", p.req)
		return
	}
	fwd := proto.Clone(p.req)
	hops := markForwarded(fwd, a.opts.Self)
	if int(hops) > a.opts.maxForwardHops() {
		a.answer(ctx, p, errorReply(p.req, &rafterpb.Error{
			Code:    rafterpb.ErrorCode_ERROR_CODE_REDIRECT,
			Message: fmt.Sprintf("consensus: not the leader; forwarded %d times already", hops-1),
			Leader:  leader,
		}))
		return
	}
	a.logger.Debug("consensus: forwarding to the leader", "leader", config.PeerKey(leader), "hops", hops)
	a.opts.Metrics.Forwarded(requestKind(p.req))
	a.send(ctx, leader, a.consensusPID(leader), fwd, p.sender)
}

// markForwarded counts one more hop on a forwarded request and names this
// peer as its forwarder; it returns the hop count.
func markForwarded(req proto.Message, self *rafterpb.Peer) uint32 {
	switch f := req.(type) {
	case *rafterpb.OpRequest:
		f.Hops++
		f.Forwarder = self
		return f.Hops
	case *rafterpb.ReadOpRequest:
		f.Hops++
		f.Forwarder = self
		return f.Hops
	case *rafterpb.SetConfigRequest:
		f.Hops++
		f.Forwarder = self
		return f.Hops
	case *rafterpb.TransferLeadershipRequest:
		f.Hops++
		f.Forwarder = self
		return f.Hops
	}
	return 0
}

// forwarderOf is the forwarder a forwardable request names (nil if none).
func forwarderOf(req proto.Message) *rafterpb.Peer {
	if f, ok := req.(interface{ GetForwarder() *rafterpb.Peer }); ok {
		return f.GetForwarder()
	}
	return nil
}

func isOp(req proto.Message) bool {
	_, ok := req.(*rafterpb.OpRequest)
	return ok
}

// failPending answers every waiting request when the actor stops or
// restarts: proposals and configuration changes may still commit (unknown
// outcome), reads simply did not happen, and a bootstrap's write may or may
// not have reached the disk (unknown outcome too: a retry tells).
func (a *consensusActor) failPending(ctx protoactor.Context) {
	for id, p := range a.pending {
		code := rafterpb.ErrorCode_ERROR_CODE_LEADERSHIP_LOST
		switch p.req.(type) {
		case *rafterpb.ReadOpRequest:
			code = rafterpb.ErrorCode_ERROR_CODE_STOPPED
		case *rafterpb.BootstrapRequest:
			code = rafterpb.ErrorCode_ERROR_CODE_INTERNAL
		}
		a.answer(ctx, p, errorReply(p.req, &rafterpb.Error{
			Code: code, Message: "consensus: peer stopped or restarting while the request was pending",
		}))
		delete(a.pending, id)
	}
}

// getEntry reads one entry (or the last) from the log server, which serves
// GetEntry rather than the core: the log server holds every entry still on
// disk, while the core's memory is only a working set of the log (with
// compaction, only the entries after its snapshot). The call blocks the
// actor briefly; the log server never calls back synchronously.
func (a *consensusActor) getEntry(r *rafterpb.GetEntryRequest) *rafterpb.GetEntryReply {
	ctx, cancel := context.WithTimeout(context.Background(), a.opts.logCallTimeout())
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
	if reply.GetCompacted() {
		msg := fmt.Sprintf("consensus: entry %d compacted", r.GetIndex())
		if r.GetLast() {
			msg = "consensus: the log holds no entry after its snapshot"
		}
		return &rafterpb.GetEntryReply{Error: &rafterpb.Error{Code: rafterpb.ErrorCode_ERROR_CODE_COMPACTED, Message: msg}}
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
		AppliedIndex: st.Applied,
		LastIndex:    st.LastIndex,
		LastTerm:     st.LastTerm,
		Config:       st.Config,
		VotedFor:     st.VotedFor,

		RefusedMessages:      a.refused,
		FollowersLostEntries: st.FollowerLostEntries,
		SnapshotIndex:        st.SnapshotIndex,
		SnapshotTerm:         st.SnapshotTerm,
		FirstIndex:           st.FirstIndex,
		SnapshotsSent:        st.SnapshotsSent,
		RepeatedSnapshots:    st.RepeatedSnapshots,
		LogBytes:             a.disk.logBytes,
		SnapshotBytes:        a.disk.snapshotBytes,
	}
}

// answer replies to a pending request. The reply to a forwarded request
// crosses the link back to the forwarder's side, so the interceptor sees it.
func (a *consensusActor) answer(ctx protoactor.Context, p pendingRequest, msg proto.Message) {
	if a.opts.Metrics != nil {
		a.observeAnswer(p, msg)
	}
	if p.sender == nil {
		a.logger.Debug("consensus: no sender to answer", "reply", msg)
		return
	}
	if p.forwarder == nil {
		ctx.Send(p.sender, msg)
		return
	}
	a.send(ctx, p.forwarder, p.sender, msg, nil)
}

// refuse answers req, not tracked, with a definite error before the core
// sees it.
func (a *consensusActor) refuse(ctx protoactor.Context, req proto.Message, code rafterpb.ErrorCode, msg string) {
	p := pendingRequest{sender: ctx.Sender(), forwarder: forwarderOf(req), req: req}
	a.answer(ctx, p, errorReply(req, &rafterpb.Error{Code: code, Message: msg}))
}

// reply answers a request that was not tracked (answered at once).
func (a *consensusActor) reply(ctx protoactor.Context, to *protoactor.PID, msg proto.Message) {
	if to == nil {
		a.logger.Debug("consensus: no sender to answer", "reply", msg)
		return
	}
	ctx.Send(to, msg)
}

// errorReply builds the reply message that matches req and carries e.
func errorReply(req proto.Message, e *rafterpb.Error) proto.Message {
	switch req.(type) {
	case *rafterpb.OpRequest:
		return &rafterpb.OpReply{Error: e}
	case *rafterpb.ReadOpRequest:
		return &rafterpb.ReadOpReply{Error: e}
	case *rafterpb.SetConfigRequest:
		return &rafterpb.SetConfigReply{Error: e}
	case *rafterpb.TransferLeadershipRequest:
		return &rafterpb.TransferLeadershipReply{Error: e}
	case *rafterpb.BootstrapRequest:
		return &rafterpb.BootstrapReply{Error: e}
	case *rafterpb.GetLeaderRequest:
		return &rafterpb.GetLeaderReply{Error: e}
	case *rafterpb.GetEntryRequest:
		return &rafterpb.GetEntryReply{Error: e}
	case *rafterpb.StatusRequest:
		return &rafterpb.StatusReply{Error: e}
	case *rafterpb.SnapshotRequest:
		return &rafterpb.SnapshotReply{Error: e}
	}
	return e
}

// roleOf maps the core's role to the wire role.
func roleOf(r core.Role) rafterpb.Role {
	switch r {
	case core.PreCandidate:
		return rafterpb.Role_ROLE_PRE_CANDIDATE
	case core.Candidate:
		return rafterpb.Role_ROLE_CANDIDATE
	case core.Leader:
		return rafterpb.Role_ROLE_LEADER
	}
	return rafterpb.Role_ROLE_FOLLOWER
}
