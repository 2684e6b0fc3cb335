package consensus

import (
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/events"
	"github.com/rafter-go/rafter/internal/hoptrace"
	"github.com/rafter-go/rafter/rafterpb"
)

// sendPeer sends a Raft message to the consensus actor of m.To. Sends are
// fire-and-forget: Raft tolerates loss, and the core retries on its own
// schedule.
func (a *consensusActor) sendPeer(ctx protoactor.Context, m *rafterpb.RaftMessage) {
	a.opts.Metrics.Sent(m)
	if tr := hoptrace.Active(); tr != nil {
		a.traceMessage(tr, hoptrace.AppendSent, m)
	}
	a.send(ctx, m.GetTo(), a.consensusPID(m.GetTo()), m, nil)
}

// send delivers msg to pid, which lives with peer to (or answers on its
// side of the link), through the interceptor if one is set: every message
// that crosses from this peer to another one goes through here (Raft
// messages, forwarded client requests and the answers to them). sender, if
// set, is the sender the receiver sees (the client of a forwarded request).
// Duplicate applies to Raft messages only: Raft tolerates them, while a
// client request delivered twice would be a client's retry, not a network
// fault (gRPC streams do not duplicate), so it is delivered once.
func (a *consensusActor) send(ctx protoactor.Context, to *rafterpb.Peer, pid *protoactor.PID, msg proto.Message, sender *protoactor.PID) {
	v := Verdict{Action: Deliver}
	if a.opts.Interceptor != nil {
		v = a.opts.Interceptor(a.opts.Self, to, msg)
	}
	a.eventMessage(events.KindSend, msg, v.Action)
	n := 1
	switch v.Action {
	case Deliver:
	case Drop:
		return
	case Duplicate:
		if _, raft := msg.(*rafterpb.RaftMessage); raft {
			n = 2
		}
	case Delay:
		// Sent later through the root context: the actor's Context is not
		// safe to use from the timer's goroutine.
		root := a.opts.System.Root()
		time.AfterFunc(v.Delay, func() {
			if sender == nil {
				root.Send(pid, msg)
			} else {
				root.RequestWithCustomSender(pid, msg, sender)
			}
		})
		return
	default:
		a.logger.Warn("consensus: interceptor returned an unknown action; message dropped", "action", v.Action)
		return
	}
	for range n {
		if sender == nil {
			ctx.Send(pid, msg)
		} else {
			ctx.RequestWithCustomSender(pid, msg, sender)
		}
	}
}

// peerName is a peer as a map key.
type peerName struct{ name, node string }

// consensusPID returns the PID of p's consensus actor, made once per peer: a
// PID caches its process after the first send, so reusing it saves a
// registry lookup, a string concatenation and an allocation per message.
// protoactor re-resolves a cached local process that has died (a peer
// re-spawned under its name), so the cache never goes stale.
func (a *consensusActor) consensusPID(p *rafterpb.Peer) *protoactor.PID {
	k := peerName{p.GetName(), p.GetNode()}
	pid, ok := a.peerPIDs[k]
	if !ok {
		pid = a.opts.System.PIDOf(k.name+"/consensus", k.node)
		a.peerPIDs[k] = pid
	}
	return pid
}
