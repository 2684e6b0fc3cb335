package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"
)

// newSystem is a real protoactor system with its logs discarded.
func newSystem(t *testing.T) *protoactor.ActorSystem {
	t.Helper()
	return protoactor.NewActorSystem(protoactor.WithLoggerFactory(func(*protoactor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// recorder keeps the lifecycle events of test workers, in the order they
// happened: "start a", "stop a".
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(e string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

func (r *recorder) len() int { return len(r.snapshot()) }

// since waits until at least n events follow mark and returns them all.
func (r *recorder) since(t *testing.T, mark, n int) []string {
	t.Helper()
	eventually(t, func() bool { return r.len() >= mark+n }, "%d events after %d, have %v", n, mark, r.snapshot())
	return r.snapshot()[mark:]
}

// Messages the test worker understands.
type (
	boom    struct{}
	exitNow struct{}
	ping    struct{}
	pong    struct{ instance int64 }
)

var instances atomic.Int64

// worker is a test child. It records Started and Stopped; panics on boom;
// stops itself on exitNow; answers ping with its instance number (new for
// every incarnation, since the producer runs on every start).
type worker struct {
	name       string
	r          *recorder
	instance   int64
	panicStart bool
	startErr   error
	panicStop  bool
}

func (w *worker) Receive(ctx protoactor.Context) {
	switch ctx.Message().(type) {
	case *protoactor.Started:
		w.r.add("start " + w.name)
		if w.panicStart {
			panic("start-up panic in " + w.name)
		}
	case *protoactor.Stopping:
		if w.panicStop {
			panic("stopping panic in " + w.name)
		}
	case *protoactor.Stopped:
		w.r.add("stop " + w.name)
	case *boom:
		panic(fmt.Errorf("boom in %s", w.name))
	case *exitNow:
		ctx.Stop(ctx.Self())
	case *ping:
		ctx.Respond(&pong{instance: w.instance})
	}
}

func (w *worker) StartError() error { return w.startErr }

// workerOpts changes a worker built by child.
type workerOpts func(*worker)

func panicsAtStart(w *worker) { w.panicStart = true }
func panicsAtStop(w *worker)  { w.panicStop = true }
func failsStart(err error) workerOpts {
	return func(w *worker) { w.startErr = err }
}

func workerSpec(r *recorder, name string, restart Restart, opts ...workerOpts) ChildSpec {
	return ChildSpec{Name: name, Restart: restart, Props: protoactor.PropsFromProducer(func() protoactor.Actor {
		w := &worker{name: name, r: r, instance: instances.Add(1)}
		for _, o := range opts {
			o(w)
		}
		return w
	})}
}

// eventually polls cond until it holds or 5 s have passed.
func eventually(t *testing.T, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for wait := time.Millisecond; !cond(); wait = min(2*wait, 20*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within 5s: "+format, args...)
		}
		time.Sleep(wait) // polling interval, not synchronisation
	}
}

// childrenOf returns WhichChildren keyed by name.
func childrenOf(t *testing.T, sys *protoactor.ActorSystem, sup *protoactor.PID) map[string]ChildInfo {
	t.Helper()
	list, err := WhichChildren(testCtx(t), sys.Root, sup)
	require.NoError(t, err)
	out := make(map[string]ChildInfo, len(list))
	for _, c := range list {
		out[c.Name] = c
	}
	return out
}

// waitIncarnation waits until child name of sup is running incarnation n.
func waitIncarnation(t *testing.T, sys *protoactor.ActorSystem, sup *protoactor.PID, name string, n uint64) ChildInfo {
	t.Helper()
	var info ChildInfo
	eventually(t, func() bool {
		info = childrenOf(t, sys, sup)[name]
		return info.Incarnation == n && info.PID != nil
	}, "child %q incarnation %d, have %+v", name, n, info)
	return info
}

// askPing asks pid (any PID object for the child's id) for its instance.
func askPing(t *testing.T, sys *protoactor.ActorSystem, pid *protoactor.PID) int64 {
	t.Helper()
	res, err := sys.Root.RequestFuture(pid, &ping{}, 2*time.Second).Result()
	require.NoError(t, err)
	p, ok := res.(*pong)
	require.True(t, ok, "reply %T", res)
	return p.instance
}

// stopReason records OnStop calls.
type stopReason struct {
	mu      sync.Mutex
	calls   int
	reasons []error
}

func (s *stopReason) onStop(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.reasons = append(s.reasons, err)
}

func (s *stopReason) get() (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls == 0 {
		return 0, nil
	}
	return s.calls, s.reasons[0]
}

// gone says whether no supervisor answers at pid any more.
func gone(t *testing.T, sys *protoactor.ActorSystem, pid *protoactor.PID) bool {
	_, err := WhichChildren(testCtx(t), sys.Root, pid)
	return errors.Is(err, ErrNoSupervisor)
}
