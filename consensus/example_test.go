package consensus_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/rafter-go/rafter/actor"
	"github.com/rafter-go/rafter/consensus"
	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/logserver"
	"github.com/rafter-go/rafter/rafterpb"
)

// upper is a state machine that answers each command in upper case.
type upper struct{}

func (upper) Apply(_ uint64, cmd []byte) ([]byte, error) {
	out := make([]byte, len(cmd))
	for i, b := range cmd {
		if 'a' <= b && b <= 'z' {
			b -= 'a' - 'A'
		}
		out[i] = b
	}
	return out, nil
}
func (upper) Read([]byte) ([]byte, error) { return nil, nil }

// A one-peer cluster: a log server, a consensus actor, an initial
// configuration and one command.
func ExampleProps() {
	dir, _ := os.MkdirTemp("", "consensus-example")
	defer os.RemoveAll(dir)
	sys, _ := actor.NewSystem(actor.Options{})
	defer sys.Shutdown()

	self := &rafterpb.Peer{Name: "solo"}
	logPID, _ := sys.SpawnNamed(logserver.Props(dir, logserver.DefaultOptions()), "solo/log")
	opts := consensus.Options{
		Self: self, System: sys, Log: logPID,
		Core:            core.Options{ElectionTicks: 10, HeartbeatTicks: 2, MaxMsgEntries: 64, MaxMsgBytes: 1 << 20, MaxInflight: 8},
		TickInterval:    10 * time.Millisecond,
		NewStateMachine: func() consensus.StateMachine { return upper{} },
	}
	if err := opts.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	pid, _ := sys.SpawnNamed(consensus.Props(opts), "solo/consensus")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = actor.Call[*rafterpb.SetConfigReply](ctx, sys, pid, &rafterpb.SetConfigRequest{Peers: []*rafterpb.Peer{self}})
	for ctx.Err() == nil {
		reply, err := actor.Call[*rafterpb.OpReply](ctx, sys, pid, &rafterpb.OpRequest{Cmd: []byte("hello")})
		if err == nil && reply.GetError() == nil {
			fmt.Printf("%s\n", reply.GetResult())
			return
		}
		time.Sleep(10 * time.Millisecond) // retry until the peer has elected itself
	}
	// Output: HELLO
}
