package actor

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// connectedPair returns two Systems with an echo actor each and open
// connections both ways.
func connectedPair(t *testing.T) (*System, *System) {
	t.Helper()
	a := newNode(t, Options{})
	b := newNode(t, Options{})
	echoUntilOK(t, a, a.PIDOf("echo", b.Address()), 5*time.Second)
	echoUntilOK(t, b, b.PIDOf("echo", a.Address()), 5*time.Second)
	return a, b
}

// TestShutdownConcurrent shuts two connected Systems down at the same
// moment, many times, with traffic in flight. protoactor's
// Remote.Shutdown(true) panics here with "send on closed channel"
// (docs/protoactor-traps.md §10) or dereferences its nil connection map; a panic on
// any goroutine kills the test binary.
func TestShutdownConcurrent(t *testing.T) {
	const iterations = 50
	for i := range iterations {
		a, b := connectedPair(t)
		traffic, stopTraffic := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for _, p := range []struct{ from, to *System }{{a, b}, {b, a}} {
			wg.Go(func() {
				to := p.from.PIDOf("echo", p.to.Address())
				for traffic.Err() == nil {
					p.from.Cast(to, wrapperspb.String("noise"))
					runtime.Gosched()
				}
			})
		}
		start := make(chan struct{})
		errs := make(chan error, 2)
		for _, s := range []*System{a, b} {
			wg.Go(func() {
				<-start
				errs <- s.Shutdown()
			})
		}
		close(start)
		for range 2 {
			require.NoError(t, <-errs, "iteration %d", i)
		}
		stopTraffic()
		wg.Wait()
	}
}

// TestShutdownReleasesGoroutines: after two connected Systems shut down,
// the goroutine count returns to where it was before they started.
func TestShutdownReleasesGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	a, b := connectedPair(t)
	require.Greater(t, runtime.NumGoroutine(), before)
	require.NoError(t, a.Shutdown())
	require.NoError(t, b.Shutdown())
	require.NoError(t, a.Shutdown(), "second Shutdown")
	// A little slack for runtime and gRPC goroutines that exit on their own.
	waitGoroutines(t, before+2, 10*time.Second)
}
