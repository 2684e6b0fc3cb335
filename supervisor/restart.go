package supervisor

import (
	"log/slog"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
)

// HandleFailure is called by protoactor, inside this supervisor's mailbox,
// when a child panicked (protoactor's Failure). protoactor's own strategies
// would restart the child in place (same mailbox) with a per-child counter;
// here the crash is handed to the restart type, the strategy and the
// supervisor-wide intensity instead. rafter-divergence: OTP gives the
// restarted child a new pid; here it keeps its id but gets a fresh process
// and mailbox (stop + respawn).
func (s *supervisor) HandleFailure(_ *protoactor.ActorSystem, _ protoactor.Supervisor, who *protoactor.PID,
	_ *protoactor.RestartStatistics, reason any, _ any) {
	c := s.byPID(who)
	if c == nil || c.stopping || s.phase != running {
		// Not ours, or already being stopped (e.g. its Started panicked),
		// or the supervisor is on its way out.
		return
	}
	cause := causeOf(reason, c.inc.lastStack())
	s.ctx.Logger().Warn("supervisor: child crashed", slog.String("supervisor", s.self),
		slog.String("child", c.spec.Name), slog.Uint64("incarnation", c.n), slog.Any("reason", reason))
	n := c.n
	s.whenIdle(func() {
		if s.current(c, n) {
			s.childDown(c, true, cause)
		}
	})
}

// onTerminated handles a child's Terminated. Each incarnation sends exactly
// one, after its Failure if any (both come from the child's goroutine through
// the same system queue), and a child is respawned only after its previous
// incarnation's Terminated has been handled here: so a Terminated or
// Failure always belongs to the child's current incarnation.
func (s *supervisor) onTerminated(who *protoactor.PID) {
	c := s.byPID(who)
	if c == nil {
		return
	}
	ordered := c.stopping
	c.inc, c.stopping = nil, false
	if ordered {
		if s.op != nil {
			s.stepOp()
		}
		return
	}
	if s.phase != running {
		return
	}
	// The child stopped on its own (it stopped itself, was poisoned, or
	// was stopped by someone else): a normal exit, OTP reason normal.
	n := c.n
	s.whenIdle(func() {
		if s.current(c, n) {
			s.childDown(c, false, ErrChildExited)
		}
	})
}

// current says whether an event recorded for incarnation n of c still
// applies: c was neither removed nor restarted since, and the supervisor is
// still running.
func (s *supervisor) current(c *child, n uint64) bool {
	return s.phase == running && !c.removed && c.n == n
}

// childDown applies the restart type, the intensity and the strategy to a
// child that crashed (abnormal) or exited. OTP: supervisor:restart_child/3,
// do_restart/3.
func (s *supervisor) childDown(c *child, abnormal bool, cause error) {
	restart := c.spec.Restart == Permanent || (c.spec.Restart == Transient && abnormal)
	directive := protoactor.StopDirective
	if restart {
		directive = protoactor.RestartDirective
	}
	if c.inc != nil {
		s.ctx.ActorSystem().EventStream.Publish(&protoactor.SupervisorEvent{Child: c.inc.pid, Reason: cause, Directive: directive})
	}
	if !restart {
		// A crashed child is still there, suspended: stop it. Temporary
		// children leave the list; Transient ones stay, down.
		s.runOp([]*child{c}, func() {
			if c.spec.Restart == Temporary {
				s.remove(c)
			}
		})
		return
	}
	if !s.allowRestart() {
		s.giveUp(&IntensityError{Supervisor: s.self, Child: c.spec.Name,
			MaxRestarts: s.spec.MaxRestarts, Period: s.spec.Period, Cause: cause})
		return
	}
	if s.spec.OnRestart != nil {
		s.spec.OnRestart(c.spec.Name, cause)
	}
	set := s.restartSet(c)
	s.runOp(reversed(set), func() { s.startSet(set) })
}

// restartSet is who goes down with c. OTP: one_for_one → [c]; one_for_all →
// all children; rest_for_one → c and the children started after it.
func (s *supervisor) restartSet(c *child) []*child {
	switch s.spec.Strategy {
	case OneForAll:
		return append([]*child(nil), s.children...)
	case RestForOne:
		for i, x := range s.children {
			if x == c {
				return append([]*child(nil), s.children[i:]...)
			}
		}
	}
	return []*child{c}
}

// startSet starts, in start order, the members of set once all of them
// have stopped. A Temporary sibling is dropped instead (OTP). A start that
// fails counts as a crash of that child (OTP: try_again): it uses up
// intensity and applies the strategy again, which also covers the members of
// set not started yet.
func (s *supervisor) startSet(set []*child) {
	for _, x := range set {
		if x.removed || x.inc != nil {
			continue
		}
		if x.spec.Restart == Temporary {
			s.remove(x)
			continue
		}
		if err := s.startChild(x); err != nil {
			s.ctx.Logger().Warn("supervisor: restart failed", slog.String("supervisor", s.self),
				slog.String("child", x.spec.Name), slog.Any("error", err))
			s.childDown(x, true, err)
			return
		}
	}
}

// allowRestart records a restart now and says whether it is within the
// intensity: at most MaxRestarts within the last Period. OTP: add_restart/1.
func (s *supervisor) allowRestart() bool {
	now := time.Now()
	if s.spec.now != nil {
		now = s.spec.now()
	}
	cutoff := now.Add(-s.spec.Period)
	kept := s.restarts[:0]
	for _, t := range s.restarts {
		if t.After(cutoff) {
			kept = append(kept, t)
		}
	}
	s.restarts = append(kept, now)
	return len(s.restarts) <= s.spec.MaxRestarts
}

// giveUp stops all children in reverse start order, tells OnStop, and then
// ends the supervisor: a supervisor with a parent actor crashes with err so
// that the parent's strategy sees why (a parent supervisor treats it as a
// crashed child); a top-level one stops itself. OTP: the supervisor exits
// with reason shutdown. rafter-divergence: a parent supervisor here restarts
// even a Transient child supervisor that gave up, since the reason is an
// error, not shutdown.
func (s *supervisor) giveUp(err *IntensityError) {
	s.phase, s.stopReason = givingUp, err
	s.ctx.Logger().Error("supervisor: giving up", slog.String("supervisor", s.self), slog.Any("error", err))
	s.runOp(reversed(s.children), func() {
		s.drain()
		s.report()
		if s.ctx.Parent() != nil {
			// Escalate: protoactor turns this panic into a Failure, with
			// err as the reason, sent to the parent.
			panic(err)
		}
		s.ctx.Stop(s.ctx.Self())
	})
}

// runOp starts an operation; there is at most one at a time.
func (s *supervisor) runOp(queue []*child, then func()) {
	s.op = &operation{queue: queue, then: then}
	s.stepOp()
}

// stepOp advances the operation: skip children already down, stop the next
// one (and return to wait for its Terminated), or, when none is left, run
// the continuation and then the work deferred meanwhile.
func (s *supervisor) stepOp() {
	op := s.op
	for len(op.queue) > 0 {
		h := op.queue[0]
		if h.inc == nil {
			op.queue = op.queue[1:]
			continue
		}
		if !h.stopping {
			h.stopping = true
			s.ctx.Stop(h.inc.pid)
		}
		return
	}
	s.op = nil
	op.then()
	s.drain()
}

// whenIdle runs f now, or after the current operation.
func (s *supervisor) whenIdle(f func()) {
	if s.op != nil {
		s.deferred = append(s.deferred, f)
		return
	}
	f()
}

// drain runs deferred work until it is all done or some of it starts an
// operation.
func (s *supervisor) drain() {
	for s.op == nil && len(s.deferred) > 0 {
		f := s.deferred[0]
		s.deferred = s.deferred[1:]
		f()
	}
}

func reversed(cs []*child) []*child {
	out := make([]*child, len(cs))
	for i, c := range cs {
		out[len(cs)-1-i] = c
	}
	return out
}
