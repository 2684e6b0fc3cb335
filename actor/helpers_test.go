package actor

import (
	"context"
	"errors"
	"net"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// errBoom is the error value the echo actor replies with on "boom".
var errBoom = errors.New("echo: boom")

// silent is a message the echo actor never answers.
type silent struct{}

// echoProps answers every StringValue with itself (or with errBoom for
// "boom"), every BytesValue with its length, and never answers silent.
func echoProps() *protoactor.Props {
	return protoactor.PropsFromFunc(func(c protoactor.Context) {
		switch m := c.Message().(type) {
		case *wrapperspb.StringValue:
			if m.GetValue() == "boom" {
				c.Respond(errBoom)
				return
			}
			c.Respond(m)
		case *wrapperspb.BytesValue:
			c.Respond(wrapperspb.Int64(int64(len(m.GetValue()))))
		case silent:
		}
	})
}

// newLocal returns a local-only System that is shut down with the test.
func newLocal(t testing.TB) *System {
	t.Helper()
	s, err := NewSystem(Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Shutdown() })
	return s
}

// newNode returns a System listening on a free 127.0.0.1 port, with an
// "echo" actor, shut down with the test.
func newNode(t testing.TB, opts Options) *System {
	t.Helper()
	if opts.ListenAddr == "" {
		opts.ListenAddr = "127.0.0.1:0"
	}
	s, err := NewSystem(opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Shutdown() })
	_, err = s.SpawnNamed(echoProps(), "echo")
	require.NoError(t, err)
	return s
}

// deadAddr returns a 127.0.0.1 address nobody listens on.
func deadAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// echoUntilOK calls echo on to until it answers or d passes: after a
// connection is torn down the first messages may be lost (at-most-once).
func echoUntilOK(t testing.TB, from *System, to *protoactor.PID, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	var err error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		var r *wrapperspb.StringValue
		r, err = Call[*wrapperspb.StringValue](ctx, from, to, wrapperspb.String("ping"))
		cancel()
		if err == nil {
			require.Equal(t, "ping", r.GetValue())
			return
		}
	}
	t.Fatalf("echo on %v never answered within %v: %v", to, d, err)
}

// waitGoroutines polls until at most limit goroutines run, or fails after
// d with a dump of the survivors.
func waitGoroutines(t testing.TB, limit int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if runtime.NumGoroutine() <= limit {
			return
		}
		runtime.Gosched()
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
	var b strings.Builder
	_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
	t.Fatalf("%d goroutines after %v, want <= %d:\n%s", runtime.NumGoroutine(), d, limit, b.String())
}
