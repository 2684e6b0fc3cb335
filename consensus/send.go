package consensus

import (
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"

	"github.com/rafter-go/rafter/rafterpb"
)

// sendPeer sends a Raft message to the consensus actor of m.To, through the
// interceptor if one is set. Sends are fire-and-forget: Raft tolerates loss,
// and the core retries on its own schedule.
func (a *consensusActor) sendPeer(ctx protoactor.Context, m *rafterpb.RaftMessage) {
	to := m.GetTo()
	pid := a.peerPID(to)
	v := Verdict{Action: Deliver}
	if a.opts.Interceptor != nil {
		v = a.opts.Interceptor(a.opts.Self, to, m)
	}
	switch v.Action {
	case Deliver:
		ctx.Send(pid, m)
	case Drop:
	case Duplicate:
		ctx.Send(pid, m)
		ctx.Send(pid, m)
	case Delay:
		// Sent later through the root context: the actor's Context is not
		// safe to use from the timer's goroutine.
		root := a.opts.System.Root()
		time.AfterFunc(v.Delay, func() { root.Send(pid, m) })
	default:
		a.logger.Warn("consensus: interceptor returned an unknown action; message dropped", "action", v.Action)
	}
}

// peerName is a peer as a map key.
type peerName struct{ name, node string }

// peerPID returns the PID of p's consensus actor, made once per peer: a
// PID caches its process after the first send, so reusing it saves a
// registry lookup, a string concatenation and an allocation per message.
// protoactor re-resolves a cached local process that has died (a peer
// re-spawned under its name), so the cache never goes stale.
func (a *consensusActor) peerPID(p *rafterpb.Peer) *protoactor.PID {
	k := peerName{p.GetName(), p.GetNode()}
	pid, ok := a.peerPIDs[k]
	if !ok {
		pid = a.opts.System.PIDOf(k.name+"/consensus", k.node)
		a.peerPIDs[k] = pid
	}
	return pid
}
