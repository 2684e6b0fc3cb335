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

// restarts records OnRestart calls.
type restarts struct {
	mu    sync.Mutex
	child []string
	cause []error
}

func (r *restarts) on(child string, cause error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.child = append(r.child, child)
	r.cause = append(r.cause, cause)
}

func (r *restarts) get() ([]string, []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.child...), append([]error(nil), r.cause...)
}

// OnRestart names the child that went down and why, once per restart,
// before the restart; a restart the intensity refuses is not announced
// (OnStop tells that one).
func TestOnRestartNamesTheChildAndCause(t *testing.T) {
	sys, r, rs := newSystem(t), &recorder{}, &restarts{}
	sup, err := Start(testCtx(t), sys.Root, "sup", Spec{
		Strategy: OneForAll, MaxRestarts: 2, Period: time.Minute, OnRestart: rs.on,
		Children: []ChildSpec{workerSpec(r, "a", Permanent), workerSpec(r, "b", Permanent)},
	})
	require.NoError(t, err)
	sys.Root.Send(protoactor.NewPID(sys.Address(), "sup/b"), &boom{})
	waitIncarnation(t, sys, sup, "b", 2)
	sys.Root.Stop(protoactor.NewPID(sys.Address(), "sup/a"))
	waitIncarnation(t, sys, sup, "a", 3)

	child, cause := rs.get()
	require.Equal(t, []string{"b", "a"}, child)
	var pe *PanicError
	assert.ErrorAs(t, cause[0], &pe, "b panicked")
	assert.True(t, errors.Is(cause[1], ErrChildExited), "a was stopped: %v", cause[1])

	sys.Root.Send(protoactor.NewPID(sys.Address(), "sup/b"), &boom{}) // a third restart: over the intensity
	eventually(t, func() bool { return gone(t, sys, sup) }, "supervisor stopped")
	child, _ = rs.get()
	assert.Len(t, child, 2, "a refused restart was announced")
}
