package consensus

import (
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
)

// tick is the timer's message to its own actor. It never leaves the process.
// Gen is the incarnation that armed the timer: a tick the previous instance
// armed may fire after the restart and reach the new one under the same
// name (see incarnations), which drops it. rafter: gen_fsm:send_event_after/3 timeouts.
type tick struct{ gen uint64 }

// armTimer schedules the next tick. The timer is one-shot and re-armed after
// each tick is handled, so a busy actor is never flooded with queued ticks
// (time then stretches a little, which Raft tolerates: timeouts only need to
// be long enough, never exact).
func (a *consensusActor) armTimer() {
	root, self, msg := a.opts.System.Root(), a.self, &tick{gen: a.incarnation}
	// Sent through the root context: an actor's Context must not be used
	// from another goroutine.
	a.timer = time.AfterFunc(a.opts.TickInterval, func() { root.Send(self, msg) })
}

// stopTimer cancels the pending tick, if any. A tick already in the mailbox
// is dropped on arrival by its stale generation or by the stopped actor.
func (a *consensusActor) stopTimer() {
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
}

// onTick advances the core's clock by one tick and re-arms the timer.
func (a *consensusActor) onTick(_ protoactor.Context, t *tick) {
	if t.gen != a.incarnation || a.timer == nil {
		return
	}
	a.core.Tick()
	a.opts.Metrics.Inflight(a.core)
	a.eventTimer()
	a.armTimer()
}
