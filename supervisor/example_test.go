package supervisor_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"

	"github.com/rafter-go/rafter/supervisor"
)

// A rafter peer: a one_for_all supervisor over the log server and the
// consensus actor, 5 restarts in 10 s.
func Example() {
	system := protoactor.NewActorSystem(protoactor.WithLoggerFactory(func(*protoactor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	idle := protoactor.PropsFromFunc(func(protoactor.Context) {})

	peer, err := supervisor.Start(ctx, system.Root, "peer1", supervisor.Spec{
		Strategy:    supervisor.OneForAll,
		MaxRestarts: 5,
		Period:      10 * time.Second,
		Children: []supervisor.ChildSpec{
			{Name: "log", Props: idle},
			{Name: "consensus", Props: idle},
		},
		OnStop: func(reason error) { fmt.Println("stopped, reason:", reason) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	children, _ := supervisor.WhichChildren(ctx, system.Root, peer)
	for _, c := range children {
		fmt.Println(c.PID.Id, c.Restart, c.Incarnation)
	}
	_ = supervisor.Stop(ctx, system.Root, peer)
	// Output:
	// peer1/log permanent 1
	// peer1/consensus permanent 1
	// stopped, reason: <nil>
}
