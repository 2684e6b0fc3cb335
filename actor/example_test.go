package actor_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/rafter-go/rafter/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func greeter() *protoactor.Props {
	return protoactor.PropsFromFunc(func(c protoactor.Context) {
		if m, ok := c.Message().(*wrapperspb.StringValue); ok {
			c.Respond(wrapperspb.String("hello " + m.GetValue()))
		}
	})
}

// Two nodes in one process, talking over gRPC on 127.0.0.1.
func Example() {
	a, err := actor.NewSystem(actor.Options{ListenAddr: "127.0.0.1:0"})
	if err != nil {
		panic(err)
	}
	defer a.Shutdown()
	b, err := actor.NewSystem(actor.Options{ListenAddr: "127.0.0.1:0"})
	if err != nil {
		panic(err)
	}
	defer b.Shutdown()
	if _, err := b.SpawnNamed(greeter(), "greeter"); err != nil {
		panic(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := actor.Call[*wrapperspb.StringValue](ctx, a, a.PIDOf("greeter", b.Address()), wrapperspb.String("a"))
	fmt.Println(r.GetValue(), err)

	_, err = actor.Call[*wrapperspb.StringValue](ctx, a, a.PIDOf("nobody", b.Address()), wrapperspb.String("a"))
	fmt.Println(errors.Is(err, actor.ErrNoProcess))
	// Output:
	// hello a <nil>
	// true
}

// Named processes on a local-only System.
func ExampleSystem_SpawnNamed() {
	s, _ := actor.NewSystem(actor.Options{})
	defer s.Shutdown()

	_, _ = s.SpawnNamed(greeter(), "greeter")
	_, err := s.SpawnNamed(greeter(), "greeter")
	fmt.Println(errors.Is(err, actor.ErrNameTaken))

	_, err = s.Whereis("nobody")
	fmt.Println(errors.Is(err, actor.ErrUnknownName))
	// Output:
	// true
	// true
}
