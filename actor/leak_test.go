package actor

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// deadPeerWindow is how long TestSendsToDeadNodeDoNotLeak keeps sending.
// With protoactor's default of 5 connect attempts, 4 grpc.ClientConns leak
// per 10 s cycle (+16 goroutines, docs/protoactor-traps.md §11), and they leak
// during the cycle, so 12 s shows several; maxRetryCount = 1 stays flat.
const deadPeerWindow = 12 * time.Second

// TestSendsToDeadNodeDoNotLeak sends a message every 100 ms toward an
// address nobody listens on, as a leader does to a crashed follower, and
// checks the goroutine count does not grow.
func TestSendsToDeadNodeDoNotLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("takes deadPeerWindow; run without -short (CI does)")
	}
	a := newNode(t, Options{})
	to := a.PIDOf("fsm", deadAddr(t))

	// Warm up: the first send starts a connect cycle (writer, watcher, one
	// ClientConn); measure from once its goroutines exist.
	idle := runtime.NumGoroutine()
	a.Cast(to, wrapperspb.String("hello"))
	require.Eventually(t, func() bool { return runtime.NumGoroutine() > idle },
		5*time.Second, 10*time.Millisecond, "no connect cycle started")
	base := runtime.NumGoroutine()
	peak := base
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for end := time.Now().Add(deadPeerWindow); time.Now().Before(end); {
		<-tick.C
		a.Cast(to, wrapperspb.String("append"))
		peak = max(peak, runtime.NumGoroutine())
	}
	t.Logf("goroutines: base %d, peak %d, end %d over %v", base, peak, runtime.NumGoroutine(), deadPeerWindow)
	// One connect cycle in progress costs a few goroutines; a leak costs ~4
	// per failed attempt and never comes back.
	assert.LessOrEqual(t, peak, base+6, "goroutines grew while sending to a dead node")
}
