package supervisor

import (
	"errors"
	"testing"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Stop stops the children one by one in reverse start order, returns when
// they and the supervisor are gone, and tells OnStop nil.
func TestStopInReverseOrder(t *testing.T) {
	sys, r, stopped := newSystem(t), &recorder{}, &stopReason{}
	spec := Spec{Strategy: OneForAll, MaxRestarts: 5, Period: 10 * time.Second, OnStop: stopped.onStop,
		Children: []ChildSpec{workerSpec(r, "log", Permanent), workerSpec(r, "consensus", Permanent), workerSpec(r, "extra", Transient)}}
	sup, err := Start(testCtx(t), sys.Root, "peer", spec)
	require.NoError(t, err)
	kids := childrenOf(t, sys, sup)
	assert.Equal(t, "peer/log", kids["log"].PID.Id)
	assert.Equal(t, "peer/consensus", kids["consensus"].PID.Id)

	require.NoError(t, Stop(testCtx(t), sys.Root, sup))
	assert.Equal(t, []string{"start log", "start consensus", "start extra", "stop extra", "stop consensus", "stop log"}, r.snapshot())
	calls, reason := stopped.get()
	assert.Equal(t, 1, calls)
	assert.NoError(t, reason)
	assert.True(t, gone(t, sys, sup))
	assert.ErrorIs(t, Stop(testCtx(t), sys.Root, sup), ErrNoSupervisor)

	// The names are free again at once.
	sup, err = Start(testCtx(t), sys.Root, "peer", spec)
	require.NoError(t, err)
	require.NoError(t, Stop(testCtx(t), sys.Root, sup))
}

// Stopping the supervisor with protoactor's own Stop (or its parent
// stopping) also stops the children in reverse order.
func TestProtoactorStopIsOrdered(t *testing.T) {
	sys, r := newSystem(t), &recorder{}
	sup, err := Start(testCtx(t), sys.Root, "sup", Spec{MaxRestarts: 1, Period: time.Second,
		Children: []ChildSpec{workerSpec(r, "a", Permanent), workerSpec(r, "b", Permanent), workerSpec(r, "c", Permanent)}})
	require.NoError(t, err)
	require.NoError(t, sys.Root.StopFuture(sup).Wait())
	assert.Equal(t, []string{"start a", "start b", "start c", "stop c", "stop b", "stop a"}, r.snapshot())
}

// A child that panics while stopping does not wedge its supervisor.
func TestPanicWhileStopping(t *testing.T) {
	sys, r := newSystem(t), &recorder{}
	sup, err := Start(testCtx(t), sys.Root, "sup", Spec{MaxRestarts: 1, Period: time.Second,
		Children: []ChildSpec{workerSpec(r, "a", Permanent), workerSpec(r, "b", Permanent, panicsAtStop)}})
	require.NoError(t, err)
	require.NoError(t, Stop(testCtx(t), sys.Root, sup))
	assert.Equal(t, []string{"start a", "start b", "stop b", "stop a"}, r.snapshot())
}

// A child that fails to start stops the start-up: the children started
// before it are stopped in reverse order, later ones never start, and Start
// returns a *StartError once everything is gone.
func TestStartFailure(t *testing.T) {
	errNoDisk := errors.New("no disk")
	tests := []struct {
		name  string
		b     func(r *recorder) ChildSpec
		cause func(t *testing.T, err error)
		// events of b itself
		bEvents []string
	}{
		{"Started panics", func(r *recorder) ChildSpec { return workerSpec(r, "b", Permanent, panicsAtStart) },
			func(t *testing.T, err error) {
				var pe *PanicError
				require.ErrorAs(t, err, &pe)
				assert.Contains(t, pe.Error(), "start-up panic in b")
			}, []string{"start b", "stop b"}},
		{"StartErrorer", func(r *recorder) ChildSpec { return workerSpec(r, "b", Permanent, failsStart(errNoDisk)) },
			func(t *testing.T, err error) { assert.ErrorIs(t, err, errNoDisk) }, []string{"start b", "stop b"}},
		{"producer panics", func(*recorder) ChildSpec {
			return ChildSpec{Name: "b", Props: protoactor.PropsFromProducer(func() protoactor.Actor { panic("no producer") })}
		}, func(t *testing.T, err error) {
			var pe *PanicError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "no producer", pe.Value)
		}, nil},
		{"nested supervisor fails", func(r *recorder) ChildSpec {
			return ChildSpec{Name: "b", Props: Props(Spec{MaxRestarts: 1, Period: time.Second,
				Children: []ChildSpec{workerSpec(r, "b1", Permanent), workerSpec(r, "b2", Permanent, failsStart(errNoDisk))}})}
		}, func(t *testing.T, err error) {
			var inner *StartError
			require.ErrorAs(t, err.(*StartError).Cause, &inner)
			assert.Equal(t, "sup/b", inner.Supervisor)
			assert.Equal(t, "b2", inner.Child)
			assert.ErrorIs(t, err, errNoDisk)
		}, []string{"start b1", "start b2", "stop b2", "stop b1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys, r, stopped := newSystem(t), &recorder{}, &stopReason{}
			spec := Spec{Strategy: OneForAll, MaxRestarts: 5, Period: time.Hour, OnStop: stopped.onStop,
				Children: []ChildSpec{workerSpec(r, "a", Permanent), tt.b(r), workerSpec(r, "c", Permanent)}}

			sup, err := Start(testCtx(t), sys.Root, "sup", spec)

			require.Error(t, err)
			assert.Nil(t, sup)
			assert.ErrorIs(t, err, ErrStartFailed)
			var se *StartError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, "b", se.Child)
			assert.Equal(t, "sup", se.Supervisor)
			tt.cause(t, err)
			want := append(append([]string{"start a"}, tt.bEvents...), "stop a")
			assert.Equal(t, want, r.snapshot())
			_, reason := stopped.get()
			assert.ErrorIs(t, reason, ErrStartFailed, "OnStop is told")
			// Everything is gone: the name can be used again.
			_, err = sys.Root.SpawnNamed(protoactor.PropsFromFunc(func(protoactor.Context) {}), "sup")
			assert.NoError(t, err)
		})
	}
}

func TestInvalidSpec(t *testing.T) {
	sys := newSystem(t)
	props := protoactor.PropsFromFunc(func(protoactor.Context) {})
	for name, spec := range map[string]Spec{
		"period":     {MaxRestarts: 1},
		"negative":   {MaxRestarts: -1, Period: time.Second},
		"strategy":   {Strategy: 7, Period: time.Second},
		"no props":   {Period: time.Second, Children: []ChildSpec{{Name: "a"}}},
		"empty name": {Period: time.Second, Children: []ChildSpec{{Props: props}}},
		"slash":      {Period: time.Second, Children: []ChildSpec{{Name: "a/b", Props: props}}},
		"duplicate":  {Period: time.Second, Children: []ChildSpec{{Name: "a", Props: props}, {Name: "a", Props: props}}},
		"restart":    {Period: time.Second, Children: []ChildSpec{{Name: "a", Props: props, Restart: 9}}},
	} {
		_, err := Start(testCtx(t), sys.Root, "sup", spec)
		assert.ErrorIs(t, err, ErrInvalidSpec, name)
	}
}

func TestRuntimeAPI(t *testing.T) {
	sys, r := newSystem(t), &recorder{}
	ctx := testCtx(t)
	sup, err := Start(ctx, sys.Root, "sup", Spec{Strategy: RestForOne, MaxRestarts: 5, Period: time.Hour,
		Children: []ChildSpec{workerSpec(r, "a", Permanent)}})
	require.NoError(t, err)
	defer func() { assert.NoError(t, Stop(testCtx(t), sys.Root, sup)) }()

	// StartChild appends and starts.
	pid, err := StartChild(ctx, sys.Root, sup, workerSpec(r, "b", Permanent))
	require.NoError(t, err)
	assert.Equal(t, "sup/b", pid.Id)
	_, err = StartChild(ctx, sys.Root, sup, workerSpec(r, "c", Transient))
	require.NoError(t, err)
	list, err := WhichChildren(ctx, sys.Root, sup)
	require.NoError(t, err)
	require.Len(t, list, 3)
	for i, want := range []ChildInfo{{Name: "a", Restart: Permanent}, {Name: "b", Restart: Permanent}, {Name: "c", Restart: Transient}} {
		assert.Equal(t, want.Name, list[i].Name)
		assert.Equal(t, want.Restart, list[i].Restart)
		assert.Equal(t, uint64(1), list[i].Incarnation)
		assert.Equal(t, "sup/"+want.Name, list[i].PID.Id)
	}

	// Refusals.
	_, err = StartChild(ctx, sys.Root, sup, workerSpec(r, "b", Permanent))
	assert.ErrorIs(t, err, ErrChildExists)
	_, err = StartChild(ctx, sys.Root, sup, ChildSpec{Name: "x"})
	assert.ErrorIs(t, err, ErrInvalidSpec)
	_, err = StartChild(ctx, sys.Root, sup, workerSpec(r, "d", Permanent, panicsAtStart))
	assert.ErrorIs(t, err, ErrStartFailed)
	assert.NotContains(t, childrenOf(t, sys, sup), "d", "a child that failed to start is not kept")
	assert.ErrorIs(t, TerminateChild(ctx, sys.Root, sup, "nope"), ErrNoChild)

	// TerminateChild stops and removes, without restarting anyone.
	mark := r.len()
	require.NoError(t, TerminateChild(ctx, sys.Root, sup, "b"))
	assert.Equal(t, []string{"stop b"}, r.snapshot()[mark:])
	kids := childrenOf(t, sys, sup)
	assert.NotContains(t, kids, "b")
	assert.Len(t, kids, 2)

	// rest_for_one now treats c as the child after a.
	mark = r.len()
	sys.Root.Send(protoactor.NewPID(sys.Address(), "sup/a"), &boom{})
	want := []string{"stop c", "stop a", "start a", "start c"}
	assert.Equal(t, want, r.since(t, mark, len(want)))

	// The name b can be used again.
	_, err = StartChild(ctx, sys.Root, sup, workerSpec(r, "b", Temporary))
	require.NoError(t, err)

	// A supervisor that is gone answers ErrNoSupervisor, not a hang.
	dead := protoactor.NewPID(sys.Address(), "nobody")
	_, err = WhichChildren(ctx, sys.Root, dead)
	assert.ErrorIs(t, err, ErrNoSupervisor)
	assert.ErrorIs(t, TerminateChild(ctx, sys.Root, dead, "a"), ErrNoSupervisor)
}
