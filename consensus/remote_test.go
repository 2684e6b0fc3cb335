package consensus

import (
	"context"
	"fmt"
	"testing"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/actor"
	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/logserver"
	"github.com/rafter-go/rafter/rafterpb"
)

// TestPeersInThreeSystemsOverTheWire runs one peer per System, each listening
// on its own 127.0.0.1 port, so every Raft message and every forwarded
// request crosses protoactor remote as protobuf. A client in a fourth System
// calls a follower, which forwards to the leader with the client as sender.
func TestPeersInThreeSystemsOverTheWire(t *testing.T) {
	const n = 3
	dirs := make([]string, n) // made before the Shutdown cleanups, so removed after them
	for i := range dirs {
		dirs[i] = t.TempDir()
	}
	systems := make([]*actor.System, n)
	peers := make([]*rafterpb.Peer, n)
	for i := range n {
		sys, err := actor.NewSystem(actor.Options{Logger: testLogger(), ListenAddr: "127.0.0.1:0"})
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, sys.Shutdown()) })
		systems[i] = sys
		peers[i] = &rafterpb.Peer{Name: fmt.Sprintf("w%d", i), Node: sys.Address()}
	}
	// All Systems exist before any traffic: protoactor's Remote.Start
	// writes gRPC's global logger, which races with the log reads of
	// connections already open (see the report on package actor).
	client, err := actor.NewSystem(actor.Options{Logger: testLogger(), ListenAddr: "127.0.0.1:0"})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, client.Shutdown()) })
	pids := make([]*protoactor.PID, n)
	for i, sys := range systems {
		logPID, err := sys.SpawnNamed(logserver.Props(dirs[i], logserver.DefaultOptions()), peers[i].Name+"/log")
		require.NoError(t, err)
		pids[i], err = sys.SpawnNamed(Props(Options{
			Self: peers[i], System: sys, Log: logPID,
			Core: core.Options{ElectionTicks: 10, HeartbeatTicks: 2, Seed: int64(i + 1),
				MaxMsgEntries: 64, MaxMsgBytes: 1 << 20, MaxInflight: 8, PreVote: true, CheckQuorum: true},
			TickInterval:    10 * time.Millisecond,
			NewStateMachine: func() StateMachine { return &testSM{} },
			Logger:          testLogger(),
		}), peers[i].Name+"/consensus")
		require.NoError(t, err)
	}
	// The client addresses peer i by name and node, as package rafter does.
	remotePID := func(i int) *protoactor.PID { return client.PIDOf(peers[i].Name+"/consensus", peers[i].Node) }
	call := func(i int, req any) (any, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		return actor.Call[any](ctx, client, remotePID(i), req)
	}

	sc, err := call(0, &rafterpb.SetConfigRequest{Peers: peers})
	require.NoError(t, err)
	require.Nil(t, sc.(*rafterpb.SetConfigReply).GetError())

	leader := -1
	eventually(t, 5*time.Second, "a leader over the wire", func() bool {
		for i := range n {
			st, err := call(i, &rafterpb.StatusRequest{})
			if err == nil && st.(*rafterpb.StatusReply).GetRole() == rafterpb.Role_ROLE_LEADER {
				leader = i
				return true
			}
		}
		return false
	})
	follower := (leader + 1) % n
	for i := range 10 {
		cmd := fmt.Sprintf("r-%d", i)
		r, err := call(follower, &rafterpb.OpRequest{Cmd: []byte(cmd)})
		require.NoError(t, err)
		require.Nil(t, r.(*rafterpb.OpReply).GetError())
		assert.Equal(t, "ok:"+cmd, string(r.(*rafterpb.OpReply).GetResult()))
	}
	rd, err := call(follower, &rafterpb.ReadOpRequest{})
	require.NoError(t, err)
	assert.Equal(t, "r-9", string(rd.(*rafterpb.ReadOpReply).GetResult()))
	eventually(t, 5*time.Second, "every peer to hold the last entry", func() bool {
		for i := range n {
			e, err := call(i, &rafterpb.GetEntryRequest{Last: true})
			if err != nil || string(e.(*rafterpb.GetEntryReply).GetEntry().GetCmd()) != "r-9" {
				return false
			}
		}
		return true
	})
}
