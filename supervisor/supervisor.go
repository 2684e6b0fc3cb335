package supervisor

import (
	"log/slog"
	"sync"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
)

// phase is where a supervisor is in its life.
type phase int

const (
	running     phase = iota
	failedStart       // start-up failed; children stopped; waiting to be stopped
	givingUp          // restart intensity reached; stopping children, then itself
	stopping          // protoactor is stopping (or restarting) this actor
)

// child is the supervisor's record of one ChildSpec.
type child struct {
	spec ChildSpec
	inc  *incarnation // the running incarnation; nil while down
	n    uint64       // number of starts (ChildInfo.Incarnation)
	// stopping: the supervisor has sent Stop to inc and waits for it to end.
	stopping bool
	removed  bool // no longer in the supervisor's list
}

// operation is an asynchronous sequence: stop queue[0], wait for its
// Terminated, stop queue[1], ..., then run then. Restarts are built from it so
// that the supervisor keeps handling messages (and stale ones stay
// recognisable) while children stop one after the other in reverse order.
type operation struct {
	queue []*child
	then  func()
}

// supervisor is the actor behind a PID returned by Start, or spawned from
// Props. All its fields are touched only on its own goroutine (Receive and
// HandleFailure both run inside its mailbox).
type supervisor struct {
	spec     Spec
	ctx      protoactor.Context // the actor's context, kept from Started on
	self     string             // its id, for errors and logs
	phase    phase
	children []*child // in start order
	restarts []time.Time

	op       *operation
	deferred []func() // work that arrived while op was running, in order

	startErr   error // why the start-up failed (StartErrorer)
	stopReason error // what OnStop is told
	reported   bool  // OnStop has been called
	done       chan struct{}
	doneOnce   sync.Once
}

var (
	_ protoactor.Actor              = (*supervisor)(nil)
	_ protoactor.SupervisorStrategy = (*supervisor)(nil)
	_ StartErrorer                  = (*supervisor)(nil)
)

func newSupervisor(spec Spec) *supervisor {
	return &supervisor{spec: spec, done: make(chan struct{})}
}

// Receive handles lifecycle messages, children's Terminated and the
// run-time API's requests.
func (s *supervisor) Receive(ctx protoactor.Context) {
	switch m := ctx.Message().(type) {
	case *protoactor.Started:
		s.ctx, s.self = ctx, ctx.Self().Id
		s.startAll()
	case *protoactor.Stopping, *protoactor.Restarting:
		// protoactor would stop all children at once and not wait; OTP
		// stops them one by one in reverse start order.
		s.shutdown()
	case *protoactor.Stopped:
		s.finish()
	case *protoactor.Terminated:
		s.onTerminated(m.Who)
	case *startChildRequest:
		s.onStartChild(ctx.Sender(), m.spec)
	case *terminateChildRequest:
		s.onTerminateChild(ctx.Sender(), m.name)
	case *whichChildrenRequest:
		ctx.Respond(&reply{children: s.which()})
	case *stopRequest:
		ctx.Respond(&reply{done: s.done})
		ctx.Stop(ctx.Self())
	}
}

// StartError tells the incarnation middleware (of Start or of a parent
// supervisor) whether this supervisor's start-up failed.
func (s *supervisor) StartError() error { return s.startErr }

// startAll starts the children in order, each one only after the previous
// one's start-up has succeeded. OTP: supervisor:init/1 → start_children.
func (s *supervisor) startAll() {
	if err := s.spec.Validate(); err != nil {
		s.failStart(err)
		return
	}
	for _, cs := range s.spec.Children {
		s.children = append(s.children, &child{spec: cs})
	}
	for _, c := range s.children {
		if err := s.startChild(c); err != nil {
			s.failStart(err)
			return
		}
	}
}

// failStart stops the children started so far, in reverse order, and waits
// for them, so the caller of Start can reuse the names at once.
func (s *supervisor) failStart(err error) {
	s.phase, s.startErr, s.stopReason = failedStart, err, err
	s.ctx.Logger().Warn("supervisor: start-up failed", slog.String("supervisor", s.self), slog.Any("error", err))
	s.stopAllAndWait()
}

// startChild spawns c under its name and waits for the outcome of its
// Started handler. On failure a spawned child is left stopping (its
// Terminated is still to come).
func (s *supervisor) startChild(c *child) error {
	inc := newIncarnation(c.spec.Name)
	pid, err := spawnNamed(s.ctx, inc.props(c.spec.Props, c.spec.Mailbox), c.spec.Name)
	if err != nil {
		return &StartError{Supervisor: s.self, Child: c.spec.Name, Cause: err}
	}
	inc.pid = pid
	c.inc, c.stopping = inc, false
	c.n++
	if err := <-inc.started; err != nil {
		c.stopping = true
		s.ctx.Stop(pid)
		return &StartError{Supervisor: s.self, Child: c.spec.Name, Cause: err}
	}
	return nil
}

// stopAllAndWait stops the running children one by one in reverse start
// order, blocking on each. Only for paths after which nothing is restarted
// (a failed start-up, the supervisor's own stop): the children's Terminated
// messages arrive later and are ignored, since their records are cleared.
func (s *supervisor) stopAllAndWait() {
	for i := len(s.children) - 1; i >= 0; i-- {
		c := s.children[i]
		if c.inc == nil {
			continue
		}
		if !c.stopping {
			c.stopping = true
			s.ctx.Stop(c.inc.pid)
		}
		<-c.inc.exited
		c.inc, c.stopping = nil, false
	}
}

// shutdown handles Stopping (and Restarting, when a plain protoactor parent
// restarts this supervisor in place).
func (s *supervisor) shutdown() {
	s.phase = stopping
	s.stopAllAndWait()
	s.op = nil
	s.drain() // requests still waiting are answered ErrStopping
	if _, restarting := s.ctx.Message().(*protoactor.Restarting); restarting {
		s.finish()
	}
}

// report calls OnStop once.
func (s *supervisor) report() {
	if s.reported {
		return
	}
	s.reported = true
	if s.spec.OnStop != nil {
		s.spec.OnStop(s.stopReason)
	}
}

func (s *supervisor) finish() {
	s.report()
	s.doneOnce.Do(func() { close(s.done) })
}

// byPID finds the child whose running incarnation is who. Children's ids do
// not change across incarnations; a child record has at most one live
// incarnation, and every Failure/Terminated of an incarnation is handled
// before the next one is spawned (see onTerminated), so the match is exact.
func (s *supervisor) byPID(who *protoactor.PID) *child {
	if who == nil {
		return nil
	}
	for _, c := range s.children {
		if c.inc != nil && c.inc.pid.Id == who.Id {
			return c
		}
	}
	return nil
}

func (s *supervisor) byName(name string) *child {
	for _, c := range s.children {
		if c.spec.Name == name {
			return c
		}
	}
	return nil
}

func (s *supervisor) remove(c *child) {
	c.removed = true
	kept := s.children[:0]
	for _, x := range s.children {
		if x != c {
			kept = append(kept, x)
		}
	}
	s.children = kept
}

func (s *supervisor) which() []ChildInfo {
	out := make([]ChildInfo, 0, len(s.children))
	for _, c := range s.children {
		info := ChildInfo{Name: c.spec.Name, Restart: c.spec.Restart, Incarnation: c.n}
		if c.inc != nil {
			info.PID = c.inc.pid
		}
		out = append(out, info)
	}
	return out
}
