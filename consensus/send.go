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
	pid := a.opts.System.PIDOf(to.GetName()+"/consensus", to.GetNode())
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
