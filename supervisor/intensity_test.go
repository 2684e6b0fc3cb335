package supervisor

import (
	"errors"
	"sync"
	"testing"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock drives Spec.now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// The (MaxRestarts+1)-th restart within Period stops the children in
// reverse order and the supervisor, and OnStop is told why.
func TestIntensityGivesUp(t *testing.T) {
	sys, r, stopped := newSystem(t), &recorder{}, &stopReason{}
	clock := &fakeClock{t: time.Unix(1000, 0)}
	sup, err := Start(testCtx(t), sys.Root, "sup", Spec{
		Strategy: OneForOne, MaxRestarts: 2, Period: 10 * time.Second, OnStop: stopped.onStop, now: clock.now,
		Children: []ChildSpec{workerSpec(r, "a", Permanent), workerSpec(r, "b", Permanent), workerSpec(r, "c", Permanent)},
	})
	require.NoError(t, err)
	b := protoactor.NewPID(sys.Address(), "sup/b")

	// Two restarts at t=0, one at t=11s: the first two have left the
	// window, so each of these stays within the limit.
	for i, step := range []time.Duration{0, 0, 11 * time.Second} {
		clock.advance(step)
		sys.Root.Send(b, &boom{})
		waitIncarnation(t, sys, sup, "b", uint64(i+2))
	}
	// t=11s again: three restarts within 10 s. The first is fine (2 in the
	// window), the second is one too many.
	sys.Root.Send(b, &boom{})
	waitIncarnation(t, sys, sup, "b", 5)
	mark := r.len()
	sys.Root.Send(b, &boom{})

	// All in reverse start order; the crashed b is still there (suspended)
	// until the supervisor stops it.
	want := []string{"stop c", "stop b", "stop a"}
	assert.Equal(t, want, r.since(t, mark, len(want)))
	eventually(t, func() bool { return gone(t, sys, sup) }, "supervisor stopped")
	calls, reason := stopped.get()
	assert.Equal(t, 1, calls, "OnStop called once")
	var ie *IntensityError
	require.ErrorAs(t, reason, &ie)
	assert.ErrorIs(t, reason, ErrRestartIntensity)
	assert.Equal(t, "b", ie.Child)
	assert.Equal(t, "sup", ie.Supervisor)
	assert.Equal(t, 2, ie.MaxRestarts)
	var pe *PanicError
	require.ErrorAs(t, reason, &pe, "the cause is b's panic")
	assert.Contains(t, pe.Error(), "boom in b")
	assert.NotEmpty(t, pe.Stack)
	assert.Equal(t, want, r.snapshot()[mark:], "nothing restarted afterwards")
}

// MaxRestarts 0: the first restart already gives up (OTP intensity 0).
func TestIntensityZero(t *testing.T) {
	sys, r, stopped := newSystem(t), &recorder{}, &stopReason{}
	sup, err := Start(testCtx(t), sys.Root, "sup", Spec{
		Strategy: OneForAll, MaxRestarts: 0, Period: time.Hour, OnStop: stopped.onStop,
		Children: []ChildSpec{workerSpec(r, "a", Permanent)},
	})
	require.NoError(t, err)
	sys.Root.Send(protoactor.NewPID(sys.Address(), "sup/a"), &exitNow{})
	eventually(t, func() bool { return gone(t, sys, sup) }, "supervisor stopped")
	_, reason := stopped.get()
	assert.ErrorIs(t, reason, ErrRestartIntensity)
	assert.ErrorIs(t, reason, ErrChildExited, "a normal exit of a permanent child counts")
}

// A supervisor under a supervisor: when the inner one gives up, the outer
// one is told (a Failure whose reason is the *IntensityError, published as
// a SupervisorEvent) and restarts it like a crashed child.
func TestIntensityEscalatesToParentSupervisor(t *testing.T) {
	sys, r, innerStopped := newSystem(t), &recorder{}, &stopReason{}
	events := make(chan *protoactor.SupervisorEvent, 16)
	sub := sys.EventStream.Subscribe(func(evt any) {
		if e, ok := evt.(*protoactor.SupervisorEvent); ok {
			select {
			case events <- e:
			default:
			}
		}
	})
	defer sys.EventStream.Unsubscribe(sub)

	inner := Spec{Strategy: OneForOne, MaxRestarts: 0, Period: time.Hour, OnStop: innerStopped.onStop,
		Children: []ChildSpec{workerSpec(r, "w", Permanent)}}
	outer, err := Start(testCtx(t), sys.Root, "outer", Spec{
		Strategy: RestForOne, MaxRestarts: 5, Period: time.Hour,
		Children: []ChildSpec{{Name: "inner", Props: Props(inner)}, workerSpec(r, "after", Permanent)},
	})
	require.NoError(t, err)
	defer func() { assert.NoError(t, Stop(testCtx(t), sys.Root, outer)) }()
	require.Equal(t, []string{"start w", "start after"}, r.snapshot())
	mark := r.len()

	sys.Root.Send(protoactor.NewPID(sys.Address(), "outer/inner/w"), &boom{})

	want := []string{"stop w", "stop after", "start w", "start after"}
	assert.Equal(t, want, r.since(t, mark, len(want)))
	info := waitIncarnation(t, sys, outer, "inner", 2)
	assert.Equal(t, "outer/inner", info.PID.Id)
	_, reason := innerStopped.get()
	assert.ErrorIs(t, reason, ErrRestartIntensity, "inner's OnStop")

	deadline := time.After(5 * time.Second)
	for told := false; !told; {
		select {
		case e := <-events:
			err, _ := e.Reason.(error)
			told = e.Child.Id == "outer/inner" && errors.Is(err, ErrRestartIntensity) && e.Directive == protoactor.RestartDirective
		case <-deadline:
			t.Fatal("outer published no SupervisorEvent for inner's IntensityError")
		}
	}
	// The restarted inner supervisor works: its child is incarnation 1 of a
	// fresh supervisor.
	waitIncarnation(t, sys, info.PID, "w", 1)
}

// A supervisor whose parent is a plain actor: giving up crashes it with the
// *IntensityError, which the actor's protoactor strategy receives.
func TestIntensityEscalatesToPlainActor(t *testing.T) {
	sys, r := newSystem(t), &recorder{}
	reasons := make(chan any, 4)
	started := make(chan error, 1)
	parentProps := protoactor.PropsFromFunc(func(ctx protoactor.Context) {
		if _, ok := ctx.Message().(*protoactor.Started); ok {
			_, err := Start(testCtx(t), ctx, "sup", Spec{MaxRestarts: 0, Period: time.Hour,
				Children: []ChildSpec{workerSpec(r, "a", Permanent)}})
			started <- err
		}
	}, protoactor.WithSupervisor(protoactor.NewOneForOneStrategy(1, time.Hour, func(reason any) protoactor.Directive {
		reasons <- reason
		return protoactor.StopDirective
	})))
	parent, err := sys.Root.SpawnNamed(parentProps, "parent")
	require.NoError(t, err)
	require.NoError(t, <-started)
	defer sys.Root.Stop(parent)

	sys.Root.Send(protoactor.NewPID(sys.Address(), "parent/sup/a"), &boom{})
	select {
	case reason := <-reasons:
		err, _ := reason.(error)
		assert.ErrorIs(t, err, ErrRestartIntensity)
	case <-time.After(5 * time.Second):
		t.Fatal("the parent actor was not told")
	}
	eventually(t, func() bool { return gone(t, sys, protoactor.NewPID(sys.Address(), "parent/sup")) }, "supervisor stopped")
}
