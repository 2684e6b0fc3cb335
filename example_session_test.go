package rafter_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/rafter-go/rafter"
)

// A Session applies each command exactly once: Op retries an unknown
// outcome itself, and the replicas answer a retry of an applied command
// with the result they remembered.
func ExampleSystem_NewSession() {
	dir, err := os.MkdirTemp("", "rafter-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	sys, err := rafter.NewSystem(rafter.SystemOptions{})
	if err != nil {
		panic(err)
	}
	defer sys.Shutdown()
	opts := rafter.DefaultOptions()
	opts.DataDir = dir
	opts.StateMachine = func() rafter.StateMachine { return &register{} }
	me := rafter.Peer{Name: "solo"}
	if err := sys.StartNode(me, opts); err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sys.Bootstrap(ctx, []rafter.Peer{me}); err != nil {
		panic(err)
	}
	se, err := sys.NewSession(ctx, me)
	if err != nil {
		panic(err)
	}
	if _, err := se.Op(ctx, []byte("hello")); err != nil {
		panic(err)
	}
	prev, err := se.Op(ctx, []byte("world"))
	fmt.Printf("previous %q, err %v, session registered at index %v\n", prev, err, se.ID() > 0)
	// Output:
	// previous "hello", err <nil>, session registered at index true
}
