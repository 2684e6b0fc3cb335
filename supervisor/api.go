package supervisor

import (
	"context"
	"fmt"
	"runtime/debug"

	protoactor "github.com/asynkron/protoactor-go/actor"
)

// Requests of the run-time API. They are plain Go values: a supervisor is
// driven from its own process (the API takes a local RootContext).
type (
	startChildRequest     struct{ spec ChildSpec }
	terminateChildRequest struct{ name string }
	whichChildrenRequest  struct{}
	stopRequest           struct{}
	reply                 struct {
		pid      *protoactor.PID
		children []ChildInfo
		done     <-chan struct{}
		err      error
	}
)

// Props returns the Props of a supervisor with this spec, for use as the
// Props of a ChildSpec (a supervisor under a supervisor; OTP: a child of
// type supervisor). Its start-up is that child's start-up: it succeeds when
// all its children have started. An invalid spec makes the start fail with
// ErrInvalidSpec. To run a supervisor on its own, use Start.
func Props(spec Spec) *protoactor.Props {
	return protoactor.PropsFromProducer(func() protoactor.Actor { return newSupervisor(spec) })
}

// Start spawns a supervisor named name under parent and starts its children
// in order, each after the previous one's start-up succeeded. It returns
// when all have started. If one fails to start (see StartError) the ones
// already started are stopped in reverse order, the supervisor is stopped,
// and Start returns the *StartError once the supervisor and its children
// are gone (so the names can be reused at once).
//
// parent is the actor system's root context (a top-level supervisor: when it
// gives up it stops itself; OnStop is how its owner hears why) or the
// context of a plain actor (the supervisor becomes its child: when it gives
// up it crashes with the *IntensityError, and the actor's
// protoactor SupervisorStrategy decides; protoactor's default restarts it).
// Under another supervisor use ChildSpec{Props: Props(spec)} or StartChild
// instead: a supervisor only supervises the children it started itself.
//
// If ctx ends first, Start stops the supervisor and returns ctx's error,
// wrapped. Start blocks while a child's Started handler runs; a Started
// handler must not call back into its own supervisor.
func Start(ctx context.Context, parent protoactor.SpawnerContext, name string, spec Spec) (*protoactor.PID, error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	inc := newIncarnation(name)
	inc.swallowStartPanic = parent.Self() == nil
	pid, err := spawnNamed(parent, inc.props(Props(spec), nil), name)
	if err != nil {
		return nil, fmt.Errorf("supervisor: start %q: %w", name, err)
	}
	root := parent.ActorSystem().Root
	select {
	case err := <-inc.started:
		if err == nil {
			return pid, nil
		}
		root.Stop(pid)
		select {
		case <-inc.exited:
		case <-ctx.Done():
		}
		return nil, err
	case <-ctx.Done():
		root.Stop(pid)
		return nil, fmt.Errorf("supervisor: start %q: %w", name, ctx.Err())
	}
}

// spawnNamed spawns and turns a panic during the spawn (the producer runs
// there) into an error.
func spawnNamed(parent protoactor.SpawnerContext, props *protoactor.Props, name string) (pid *protoactor.PID, err error) {
	defer func() {
		if r := recover(); r != nil {
			pid, err = nil, &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	pid, err = parent.SpawnNamed(props, name)
	if err != nil {
		return nil, fmt.Errorf("supervisor: spawn %q: %w", name, err)
	}
	return pid, nil
}

// StartChild adds a child to the running supervisor sup, after its existing
// children, and starts it. It returns the child's PID, or ErrChildExists,
// ErrInvalidSpec, a *StartError (the child is gone and not added; this does
// not count as a restart), ErrStopping, ErrNoSupervisor, or ctx's error.
// OTP: supervisor:start_child/2.
func StartChild(ctx context.Context, root *protoactor.RootContext, sup *protoactor.PID, spec ChildSpec) (*protoactor.PID, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	r, err := call(ctx, root, sup, &startChildRequest{spec: spec})
	if err != nil {
		return nil, err
	}
	return r.pid, r.err
}

// TerminateChild stops the child called name (waiting for it) and removes
// it from sup, so that it is not restarted and its name can be used again by
// StartChild. rafter-divergence: OTP's terminate_child keeps the spec until
// delete_child; here the two are one call. Errors: ErrNoChild, ErrStopping,
// ErrNoSupervisor, or ctx's error.
func TerminateChild(ctx context.Context, root *protoactor.RootContext, sup *protoactor.PID, name string) error {
	r, err := call(ctx, root, sup, &terminateChildRequest{name: name})
	if err != nil {
		return err
	}
	return r.err
}

// WhichChildren lists sup's children in start order. OTP:
// supervisor:which_children/1.
func WhichChildren(ctx context.Context, root *protoactor.RootContext, sup *protoactor.PID) ([]ChildInfo, error) {
	r, err := call(ctx, root, sup, &whichChildrenRequest{})
	if err != nil {
		return nil, err
	}
	return r.children, nil
}

// Stop stops sup: its children one by one in reverse start order, each
// awaited, then sup itself. It returns when sup has stopped, or ctx's error
// (the stop goes on). OnStop is told nil. Stopping a supervisor that is
// itself a child of a supervisor looks like a normal exit to its parent; use
// TerminateChild on the parent instead. OTP: supervisor:stop/1.
func Stop(ctx context.Context, root *protoactor.RootContext, sup *protoactor.PID) error {
	r, err := call(ctx, root, sup, &stopRequest{})
	if err != nil {
		return err
	}
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("supervisor: stop %s: %w", sup.Id, ctx.Err())
	}
}

// call sends req to sup and waits for its reply or ctx's end. It goes
// through a short-lived caller actor that also watches sup, because
// protoactor drops the user messages queued at an actor that stops: a
// request that races with the supervisor's stop would otherwise wait for
// its deadline (or forever) instead of failing with ErrNoSupervisor.
func call(ctx context.Context, root *protoactor.RootContext, sup *protoactor.PID, req any) (*reply, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("supervisor: %w", err)
	}
	out := make(chan callResult, 1)
	pid := root.Spawn(protoactor.PropsFromProducer(func() protoactor.Actor {
		return &caller{sup: sup, req: req, out: out}
	}))
	select {
	case res := <-out:
		return res.reply, res.err
	case <-ctx.Done():
		root.Stop(pid)
		return nil, fmt.Errorf("supervisor: %w", ctx.Err())
	}
}

type callResult struct {
	reply *reply
	err   error
}

// recheck is what a caller sends itself when sup has terminated: it is
// queued behind any reply sup sent before terminating (a Terminated is a
// system message and overtakes user messages already queued).
type recheck struct{}

// caller is the actor behind call.
type caller struct {
	sup  *protoactor.PID
	req  any
	out  chan<- callResult
	done bool
}

func (c *caller) Receive(ctx protoactor.Context) {
	switch m := ctx.Message().(type) {
	case *protoactor.Started:
		ctx.Watch(c.sup)
		ctx.Request(c.sup, c.req)
	case *reply:
		c.finish(ctx, callResult{reply: m})
	case *protoactor.DeadLetterResponse:
		c.finish(ctx, callResult{err: fmt.Errorf("%w: %s", ErrNoSupervisor, c.sup.Id)})
	case *protoactor.Terminated:
		ctx.Send(ctx.Self(), &recheck{})
	case *recheck:
		c.finish(ctx, callResult{err: fmt.Errorf("%w: %s", ErrNoSupervisor, c.sup.Id)})
	}
}

func (c *caller) finish(ctx protoactor.Context, res callResult) {
	if c.done {
		return
	}
	c.done = true
	c.out <- res
	ctx.Unwatch(c.sup)
	ctx.Stop(ctx.Self())
}

// onStartChild handles StartChild inside the supervisor.
func (s *supervisor) onStartChild(to *protoactor.PID, spec ChildSpec) {
	s.whenIdle(func() {
		switch {
		case s.phase != running:
			s.answer(to, &reply{err: ErrStopping})
			return
		case s.byName(spec.Name) != nil:
			s.answer(to, &reply{err: fmt.Errorf("%w: %q", ErrChildExists, spec.Name)})
			return
		}
		c := &child{spec: spec}
		s.children = append(s.children, c)
		if err := s.startChild(c); err != nil {
			// Wait for the failed child to be gone before answering, so
			// the caller can retry under the same name.
			s.runOp([]*child{c}, func() {
				s.remove(c)
				s.answer(to, &reply{err: err})
			})
			return
		}
		s.answer(to, &reply{pid: c.inc.pid})
	})
}

// onTerminateChild handles TerminateChild inside the supervisor.
func (s *supervisor) onTerminateChild(to *protoactor.PID, name string) {
	s.whenIdle(func() {
		if s.phase != running {
			s.answer(to, &reply{err: ErrStopping})
			return
		}
		c := s.byName(name)
		if c == nil {
			s.answer(to, &reply{err: fmt.Errorf("%w: %q", ErrNoChild, name)})
			return
		}
		s.runOp([]*child{c}, func() {
			s.remove(c)
			s.answer(to, &reply{})
		})
	})
}

func (s *supervisor) answer(to *protoactor.PID, r *reply) {
	if to != nil {
		s.ctx.Send(to, r)
	}
}
