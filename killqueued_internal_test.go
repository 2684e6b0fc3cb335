package rafter

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/internal/echo"
)

// blockingSM is the echo state machine whose first Apply of "block" waits
// for release: the consensus actor is busy while requests queue behind it.
type blockingSM struct {
	StateMachine
	used             *atomic.Bool
	entered, release chan struct{}
	panics           bool // panic once released, instead of applying
}

func (m blockingSM) Apply(index uint64, cmd []byte) ([]byte, error) {
	if string(cmd) == "block" && m.used.CompareAndSwap(false, true) {
		close(m.entered)
		<-m.release
		if m.panics {
			panic("blockingSM: injected panic")
		}
	}
	return m.StateMachine.Apply(index, cmd)
}

// Issue 12: requests queued in the mailbox of a consensus actor that dies
// (killed, or panicking) are answered at once with a definite ErrStopped
// (the core never saw them) instead of leaving their callers to their
// deadline (ErrTimeout, an unknown outcome). Before the fix every caller
// waited the full 10 s. Deterministic: the actor is held inside Apply while
// the requests queue and the kill (a system message, handled first) arrives
// or the panic happens.
func TestKillAnswersQueuedRequestsAtOnce(t *testing.T) {
	t.Run("kill", func(t *testing.T) { testQueuedAnswered(t, false) })
	t.Run("panic", func(t *testing.T) { testQueuedAnswered(t, true) })
}

func testQueuedAnswered(t *testing.T, panics bool) {
	used := &atomic.Bool{}
	entered, release := make(chan struct{}), make(chan struct{})
	s, p := startOne(t, func(o *Options) {
		o.StateMachine = func() StateMachine {
			return blockingSM{StateMachine: echo.New(), used: used, entered: entered, release: release, panics: panics}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() { _, _ = s.Op(ctx, p, []byte("block")) }()
	select {
	case <-entered:
	case <-ctx.Done():
		t.Fatal("the actor never applied the blocking command")
	}

	const callers = 20
	const deadline = 10 * time.Second
	var sent sync.WaitGroup
	type answer struct {
		err  error
		took time.Duration
	}
	answers := make(chan answer, callers)
	var killed atomic.Int64
	sent.Add(callers)
	for i := range callers {
		go func() {
			cctx, ccancel := context.WithTimeout(context.Background(), deadline)
			defer ccancel()
			sent.Done()
			_, err := s.Op(cctx, p, []byte(fmt.Sprintf("queued-%d", i)))
			answers <- answer{err, time.Since(time.Unix(0, killed.Load()))}
		}()
	}
	sent.Wait()
	killed.Store(time.Now().UnixNano())
	if !panics {
		require.NoError(t, s.Kill(p, ActorConsensus))
	}
	close(release)

	var worst time.Duration
	stopped := 0
	for range callers {
		a := <-answers
		worst = max(worst, a.took)
		assert.NotErrorIs(t, a.err, ErrTimeout, "a queued caller waited for its deadline")
		if a.err != nil {
			assert.ErrorIs(t, a.err, ErrStopped, "a queued request never reached the core: definite")
			assert.True(t, Definite(a.err))
		}
		if errors.Is(a.err, ErrStopped) {
			stopped++
		}
	}
	t.Logf("%d callers queued at the kill: %d answered ErrStopped, the slowest after %v (deadline %v)",
		callers, stopped, worst, deadline)
	assert.Less(t, worst, deadline/2, "callers were answered at once")
	assert.Positive(t, stopped, "some requests were queued at the kill")
}
