package rafter_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rafter-go/rafter"
)

// register is a tiny state machine: Apply stores the command and returns
// the previous value; Read returns the current value.
type register struct {
	mu  sync.Mutex
	val []byte
}

func (r *register) Apply(_ uint64, cmd []byte) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.val
	r.val = append([]byte(nil), cmd...)
	return old, nil
}

func (r *register) Read([]byte) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.val...), nil
}

// The package-level functions run peers in a default, local System, as
// rafter.erl's do. A single peer is a cluster of one.
func Example() {
	dir, err := os.MkdirTemp("", "rafter-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	defer rafter.Shutdown()

	opts := rafter.DefaultOptions()
	opts.DataDir = dir
	opts.StateMachine = func() rafter.StateMachine { return &register{} }
	me := rafter.Peer{Name: "solo"}
	if err := rafter.StartNode(me, opts); err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rafter.SetConfig(ctx, me, []rafter.Peer{me}); err != nil {
		panic(err)
	}
	if _, err := rafter.Op(ctx, me, []byte("hello")); err != nil {
		panic(err)
	}
	prev, err := rafter.Op(ctx, me, []byte("world"))
	fmt.Printf("previous %q, err %v\n", prev, err)
	now, err := rafter.ReadOp(ctx, me, nil)
	fmt.Printf("now %q, err %v\n", now, err)
	// Output:
	// previous "hello", err <nil>
	// now "world", err <nil>
}

// Three peers in one System; an Op sent to a follower is forwarded to the
// leader, and every peer ends with the same log.
func ExampleNewSystem() {
	root, err := os.MkdirTemp("", "rafter-example")
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
		opts.StateMachine = func() rafter.StateMachine { return &register{} }
		if err := sys.StartNode(p, opts); err != nil {
			panic(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sys.SetConfig(ctx, peers[0], peers); err != nil {
		panic(err)
	}
	leader, err := sys.GetLeader(ctx, peers[0])
	if err != nil {
		panic(err)
	}
	var follower rafter.Peer
	for _, p := range peers {
		if p != leader {
			follower = p
		}
	}
	if _, err := sys.Op(ctx, follower, []byte("x=1")); err != nil {
		panic(err)
	}
	v, err := sys.ReadOp(ctx, follower, nil)
	fmt.Printf("%s %v\n", v, err)
	// Output: x=1 <nil>
}

// Bootstrap creates a cluster: every peer makes the first configuration
// durable, then they elect a leader. Until one leads, an Op fails with a
// definite error (ErrElectionInProgress, ErrNoLeader), safe to retry.
func ExampleSystem_Bootstrap() {
	root, err := os.MkdirTemp("", "rafter-example")
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
		opts.StateMachine = func() rafter.StateMachine { return &register{} }
		if err := sys.StartNode(p, opts); err != nil {
			panic(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sys.Bootstrap(ctx, peers); err != nil {
		panic(err)
	}
	for {
		_, err := sys.Op(ctx, peers[1], []byte("x=1"))
		if err == nil || !rafter.Definite(err) {
			break
		}
		time.Sleep(10 * time.Millisecond) // a retry interval
	}
	st, err := sys.Status(ctx, peers[2])
	fmt.Println(st.ClusterID() != 0, err)
	v, err := sys.ReadOp(ctx, peers[0], nil)
	fmt.Printf("%s %v\n", v, err)
	// Output:
	// true <nil>
	// x=1 <nil>
}

// Definite tells a caller whether a failed request may be retried without
// risking a double apply.
func ExampleDefinite() {
	for _, err := range []error{
		rafter.ErrNoLeader,
		fmt.Errorf("rafter: op via a: %w", rafter.ErrNotMember),
		&rafter.RedirectError{Leader: rafter.Peer{Name: "b"}},
		rafter.ErrTimeout,
		rafter.ErrLeadershipLost,
	} {
		fmt.Printf("%-55s definite=%v\n", err, rafter.Definite(err))
	}
	fmt.Println(errors.Is(rafter.ErrTimeout, context.DeadlineExceeded))
	// Output:
	// rafter: no leader                                       definite=true
	// rafter: op via a: rafter: not a member of the configuration definite=true
	// rafter: not the leader, redirect to b                   definite=true
	// rafter: timeout: context deadline exceeded              definite=false
	// rafter: leadership lost                                 definite=false
	// true
}

// Validate names the field that is wrong and why; StartNode returns the
// same error.
func ExampleOptions_Validate() {
	opts := rafter.DefaultOptions()
	opts.DataDir = "/var/lib/app/a"
	opts.StateMachine = func() rafter.StateMachine { return &register{} }
	opts.ElectionTimeoutMin = 10 * time.Millisecond
	err := opts.Validate()
	var oe *rafter.OptionError
	fmt.Println(errors.As(err, &oe), oe.Field, errors.Is(err, rafter.ErrInvalidOptions))
	fmt.Println(err)
	// Output:
	// true ElectionTimeoutMin true
	// rafter: invalid options: ElectionTimeoutMin = 10ms: must be greater than HeartbeatInterval (50ms), or followers campaign against a live leader
}
