package supervisor

import (
	"log/slog"
	"runtime/debug"
	"sync"

	protoactor "github.com/asynkron/protoactor-go/actor"

	"github.com/rafter-go/rafter/actor"
)

// incarnation is one run of one child, from spawn to stop. Its receiver
// middleware, wrapped around the child's Props for this spawn only, is how
// the supervisor learns what protoactor does not tell a parent:
//   - whether the start-up succeeded (protoactor delivers Started
//     asynchronously and never reports back), on the started channel;
//   - that the child has fully stopped and released its name (protoactor's
//     Terminated reaches the parent's mailbox, which a supervisor that is
//     itself stopping cannot wait on), by closing exited;
//   - the stack of a panic (protoactor passes only the value).
//
// The middleware also swallows panics in the child's Stopping and Stopped
// handlers: in protoactor such a panic suspends the child half-stopped, with
// no Terminated ever sent (issue #214), which would wedge the supervisor.
// OTP likewise lets a process exit when its terminate/2 crashes.
type incarnation struct {
	name string
	pid  *protoactor.PID // set by the spawner; read only by the supervisor
	// swallowStartPanic: the child has no parent actor (a top-level
	// supervisor from Start with the root context), so re-panicking would
	// let protoactor's root strategy restart it behind Start's back.
	swallowStartPanic bool

	started chan error    // buffered 1: the outcome of the first Started
	exited  chan struct{} // closed after the child's Stopped handler
	once    sync.Once

	mu    sync.Mutex
	stack []byte // of the last panic seen in Receive
}

func newIncarnation(name string) *incarnation {
	return &incarnation{name: name, started: make(chan error, 1), exited: make(chan struct{})}
}

// props returns a copy of p that reports to inc. The copy gets
// actor.SafeMailbox: a child is re-spawned under the same name while others
// keep sending to it, and protoactor's spawner makes the name reachable
// before the mailbox can take messages (see actor.SafeMailbox). mailbox is
// the child's own mailbox producer (nil: protoactor's unbounded default).
func (inc *incarnation) props(p *protoactor.Props, mailbox protoactor.MailboxProducer) *protoactor.Props {
	return p.Clone(
		protoactor.WithReceiverMiddleware(inc.middleware),
		protoactor.WithMailbox(actor.SafeMailbox(mailbox)),
	)
}

func (inc *incarnation) middleware(next protoactor.ReceiverFunc) protoactor.ReceiverFunc {
	return func(c protoactor.ReceiverContext, env *protoactor.MessageEnvelope) {
		switch env.Message.(type) {
		case *protoactor.Started:
			inc.receiveStarted(next, c, env)
		case *protoactor.Stopping:
			inc.receiveQuietly(next, c, env)
		case *protoactor.Stopped:
			defer inc.once.Do(func() { close(inc.exited) })
			inc.receiveQuietly(next, c, env)
		default:
			inc.receiveRecording(next, c, env)
		}
	}
}

// receiveStarted runs the child's Started handler and reports the outcome.
// The report never blocks: a child restarted in place by a non-supervisor
// parent gets Started again, and nobody reads the second report.
func (inc *incarnation) receiveStarted(next protoactor.ReceiverFunc, c protoactor.ReceiverContext, env *protoactor.MessageEnvelope) {
	returned := false
	defer func() {
		if returned {
			return
		}
		r := recover()
		inc.report(&PanicError{Value: r, Stack: debug.Stack()})
		if r != nil && !inc.swallowStartPanic {
			// Let protoactor suspend the child and tell the parent; the
			// supervisor has already marked it as stopping and ignores that
			// Failure.
			panic(r)
		}
	}()
	next(c, env)
	returned = true
	var err error
	if se, ok := c.Actor().(StartErrorer); ok {
		err = se.StartError()
	}
	inc.report(err)
}

func (inc *incarnation) report(err error) {
	select {
	case inc.started <- err:
	default:
	}
}

func (inc *incarnation) receiveQuietly(next protoactor.ReceiverFunc, c protoactor.ReceiverContext, env *protoactor.MessageEnvelope) {
	defer func() {
		if r := recover(); r != nil {
			c.Logger().Error("supervisor: child panicked while stopping; stopping anyway",
				slog.String("child", c.Self().Id), slog.Any("reason", r), slog.String("stack", string(debug.Stack())))
		}
	}()
	next(c, env)
}

// receiveRecording keeps the stack of a panic, then lets it go on to
// protoactor (which suspends the child and sends Failure to the supervisor).
func (inc *incarnation) receiveRecording(next protoactor.ReceiverFunc, c protoactor.ReceiverContext, env *protoactor.MessageEnvelope) {
	defer func() {
		if r := recover(); r != nil {
			inc.mu.Lock()
			inc.stack = debug.Stack()
			inc.mu.Unlock()
			panic(r)
		}
	}()
	next(c, env)
}

func (inc *incarnation) lastStack() []byte {
	inc.mu.Lock()
	defer inc.mu.Unlock()
	return inc.stack
}
