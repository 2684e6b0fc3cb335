package kvsm_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/kvsm"
)

// A three-peer kvsm cluster in one process, driven through a follower
// (which forwards to the leader).
func Example() {
	root, err := os.MkdirTemp("", "kvsm-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(root)
	sys, err := rafter.NewSystem(rafter.SystemOptions{})
	if err != nil {
		panic(err)
	}
	defer sys.Shutdown()
	peers := []rafter.Peer{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	for _, p := range peers {
		opts := rafter.DefaultOptions()
		opts.DataDir = filepath.Join(root, p.Name)
		opts.StateMachine = kvsm.Factory()
		if err := sys.StartNode(p, opts); err != nil {
			panic(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := sys.SetConfig(ctx, peers[0], peers); err != nil {
		panic(err)
	}

	kv := kvsm.NewClient(sys, peers[1])
	if err := kv.NewTable(ctx, "users"); err != nil {
		panic(err)
	}
	_ = kv.Put(ctx, "users", "bob", []byte("1"))
	swapped, cur, _ := kv.CAS(ctx, "users", "bob", []byte("1"), []byte("2"))
	fmt.Println("cas:", swapped, string(cur))
	v, _ := kv.Append(ctx, "users", "bob", []byte("+"))
	fmt.Println("append:", string(v))
	got, found, _ := kv.Get(ctx, "users", "bob")
	fmt.Println("get:", string(got), found)
	err = kv.Put(ctx, "orders", "o1", []byte("x"))
	fmt.Println("missing table:", errors.Is(err, kvsm.ErrNoSuchTable))
	// Output:
	// cas: true 2
	// append: 2+
	// get: 2+ true
	// missing table: true
}
