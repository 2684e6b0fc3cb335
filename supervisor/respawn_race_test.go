package supervisor

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"
)

// A child re-spawned under its name while others keep sending to that name:
// protoactor makes the name reachable before the new mailbox can take
// messages, and a send in that window panics in the sender (nil
// dispatcher). The supervisor's children use actor.SafeMailbox, so senders
// survive and the child keeps receiving after every restart.
func TestRespawnWhileOthersSendDoesNotCrashSenders(t *testing.T) {
	sys := newSystem(t)
	var received atomic.Int64
	child := protoactor.PropsFromFunc(func(c protoactor.Context) {
		if _, ok := c.Message().(int); ok {
			received.Add(1)
		}
	})
	sup, err := Start(testCtx(t), sys.Root, "respawn", Spec{
		Strategy: OneForOne, MaxRestarts: 100000, Period: time.Second,
		Children: []ChildSpec{{Name: "c", Props: child}},
	})
	require.NoError(t, err)
	defer func() { require.NoError(t, Stop(testCtx(t), sys.Root, sup)) }()

	target := sys.NewLocalPID("respawn/c")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				sys.Root.Send(target, i)
			}
		}()
	}
	// Stop the child 100 times (a normal exit: a Permanent child is
	// re-spawned under the same name each time).
	for i := 0; i < 100; i++ {
		sys.Root.Stop(sys.NewLocalPID("respawn/c"))
		before := received.Load()
		eventually(t, func() bool { return received.Load() > before }, "child receives after restart %d", i)
	}
	close(stop)
	wg.Wait()
}
