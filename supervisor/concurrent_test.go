package supervisor

import (
	"fmt"
	"strings"
	"testing"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Crashes that arrive while a restart is under way (and are made stale by
// it) must not cause extra or overlapping incarnations: after every burst
// all children run again, each child's events alternate start/stop, and
// WhichChildren's incarnation equals the number of starts seen once things
// settle.
func TestCrashBursts(t *testing.T) {
	for _, strategy := range []Strategy{OneForOne, OneForAll, RestForOne} {
		t.Run(strategy.String(), func(t *testing.T) {
			sys, r := newSystem(t), &recorder{}
			names := []string{"a", "b", "c", "d"}
			var children []ChildSpec
			for _, n := range names {
				children = append(children, workerSpec(r, n, Permanent))
			}
			sup, err := Start(testCtx(t), sys.Root, "sup", Spec{Strategy: strategy, MaxRestarts: 1000, Period: time.Hour, Children: children})
			require.NoError(t, err)

			for round := 0; round < 5; round++ {
				for _, n := range names {
					sys.Root.Send(protoactor.NewPID(sys.Address(), "sup/"+n), &boom{})
				}
				eventually(t, func() bool { return settled(t, sys, sup, r, names) }, "round %d settles: %v", round, r.snapshot())
			}
			// Stop waits for every child, so the record is complete: crashes
			// still queued are dropped with their mailboxes.
			require.NoError(t, Stop(testCtx(t), sys.Root, sup))
			checkAlternation(t, r.snapshot(), names)
		})
	}
}

// settled: every child runs, and its incarnation equals its starts so far.
func settled(t *testing.T, sys *protoactor.ActorSystem, sup *protoactor.PID, r *recorder, names []string) bool {
	kids := childrenOf(t, sys, sup)
	starts := map[string]uint64{}
	for _, e := range r.snapshot() {
		if n, ok := strings.CutPrefix(e, "start "); ok {
			starts[n]++
		}
	}
	for _, n := range names {
		if kids[n].PID == nil || kids[n].Incarnation != starts[n] {
			return false
		}
	}
	return true
}

func checkAlternation(t *testing.T, events []string, names []string) {
	t.Helper()
	running := map[string]bool{}
	for i, e := range events {
		verb, n, _ := strings.Cut(e, " ")
		switch verb {
		case "start":
			require.False(t, running[n], "event %d: %s started twice: %v", i, n, events)
			running[n] = true
		case "stop":
			require.True(t, running[n], "event %d: %s stopped while down: %v", i, n, events)
			running[n] = false
		default:
			t.Fatalf("unknown event %q", e)
		}
	}
	for _, n := range names {
		assert.False(t, running[n], fmt.Sprintf("%s stopped at the end", n))
	}
}
