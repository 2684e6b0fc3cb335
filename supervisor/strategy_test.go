package supervisor

import (
	"testing"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startABC starts a supervisor "sup" over permanent workers a, b, c.
func startABC(t *testing.T, strategy Strategy) (*protoactor.ActorSystem, *recorder, *protoactor.PID) {
	t.Helper()
	sys, r := newSystem(t), &recorder{}
	sup, err := Start(testCtx(t), sys.Root, "sup", Spec{
		Strategy: strategy, MaxRestarts: 10, Period: time.Hour,
		Children: []ChildSpec{workerSpec(r, "a", Permanent), workerSpec(r, "b", Permanent), workerSpec(r, "c", Permanent)},
	})
	require.NoError(t, err)
	require.Equal(t, []string{"start a", "start b", "start c"}, r.snapshot(), "children start in order")
	t.Cleanup(func() { _ = Stop(testCtx(t), sys.Root, sup) })
	return sys, r, sup
}

// A crash of b, sent through a PID built from b's id before the crash.
func crashB(t *testing.T, sys *protoactor.ActorSystem) (*protoactor.PID, int64) {
	t.Helper()
	b := protoactor.NewPID(sys.Address(), "sup/b")
	before := askPing(t, sys, b)
	sys.Root.Send(b, &boom{})
	return b, before
}

func TestStrategies(t *testing.T) {
	tests := []struct {
		strategy Strategy
		// events after b's crash: stops in reverse order, starts in order
		want []string
		// incarnations of a, b, c afterwards
		inc map[string]uint64
	}{
		{OneForOne, []string{"stop b", "start b"}, map[string]uint64{"a": 1, "b": 2, "c": 1}},
		{OneForAll, []string{"stop c", "stop b", "stop a", "start a", "start b", "start c"}, map[string]uint64{"a": 2, "b": 2, "c": 2}},
		{RestForOne, []string{"stop c", "stop b", "start b", "start c"}, map[string]uint64{"a": 1, "b": 2, "c": 2}},
	}
	for _, tt := range tests {
		t.Run(tt.strategy.String(), func(t *testing.T) {
			sys, r, sup := startABC(t, tt.strategy)
			mark := r.len()
			b, before := crashB(t, sys)

			assert.Equal(t, tt.want, r.since(t, mark, len(tt.want)))
			info := waitIncarnation(t, sys, sup, "b", 2)
			assert.Equal(t, "sup/b", info.PID.Id, "same name after restart")
			kids := childrenOf(t, sys, sup)
			for name, n := range tt.inc {
				assert.Equal(t, n, kids[name].Incarnation, "incarnation of %s", name)
			}
			// The PID held from before the crash reaches the new incarnation.
			assert.NotEqual(t, before, askPing(t, sys, b), "a new instance answers")
			assert.Equal(t, tt.want, r.snapshot()[mark:], "nothing else happened")
		})
	}
}

func TestRestartTypes(t *testing.T) {
	tests := []struct {
		name    string
		restart Restart
		msg     any
		// whether x is restarted, and whether it stays listed
		restarted, listed bool
	}{
		{"permanent crash", Permanent, &boom{}, true, true},
		{"permanent normal exit", Permanent, &exitNow{}, true, true},
		{"transient crash", Transient, &boom{}, true, true},
		{"transient normal exit", Transient, &exitNow{}, false, true},
		{"temporary crash", Temporary, &boom{}, false, false},
		{"temporary normal exit", Temporary, &exitNow{}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys, r := newSystem(t), &recorder{}
			// one_for_all, so a restart of x would also show in y.
			sup, err := Start(testCtx(t), sys.Root, "sup", Spec{
				Strategy: OneForAll, MaxRestarts: 5, Period: time.Hour,
				Children: []ChildSpec{workerSpec(r, "x", tt.restart), workerSpec(r, "y", Permanent)},
			})
			require.NoError(t, err)
			defer func() { assert.NoError(t, Stop(testCtx(t), sys.Root, sup)) }()
			mark := r.len()

			sys.Root.Send(protoactor.NewPID(sys.Address(), "sup/x"), tt.msg)

			if tt.restarted {
				want := []string{"stop y", "stop x", "start x", "start y"}
				if _, exit := tt.msg.(*exitNow); exit {
					want = []string{"stop x", "stop y", "start x", "start y"} // x was down first
				}
				assert.Equal(t, want, r.since(t, mark, len(want)))
				waitIncarnation(t, sys, sup, "x", 2)
				return
			}
			assert.Equal(t, []string{"stop x"}, r.since(t, mark, 1))
			eventually(t, func() bool {
				x, ok := childrenOf(t, sys, sup)["x"]
				return ok == tt.listed && (!ok || (x.PID == nil && x.Incarnation == 1))
			}, "x listed=%v and down", tt.listed)
			// A later, unrelated restart shows that nothing about x was
			// pending: only y's restart cycle follows.
			sys.Root.Send(protoactor.NewPID(sys.Address(), "sup/y"), &boom{})
			want := []string{"stop y"}
			if tt.listed {
				want = append(want, "start x") // one_for_all restarts a transient child that was down
			}
			want = append(want, "start y")
			assert.Equal(t, want, r.since(t, mark+1, len(want)))
		})
	}
}
