package consensus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/actor"
	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/logserver"
	"github.com/rafter-go/rafter/rafterpb"
)

// testSM is an in-test state machine: it records every applied command,
// answers "ok:<cmd>" and fails commands that start with "fail". Read returns
// the last applied command, or the command at the index given as query
// "at:<i>".
type testSM struct {
	mu      sync.Mutex
	applied [][]byte
	indexes []uint64
}

func (s *testSM) Apply(index uint64, cmd []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applied = append(s.applied, cmd)
	s.indexes = append(s.indexes, index)
	if len(cmd) >= 4 && string(cmd[:4]) == "fail" {
		return nil, fmt.Errorf("testsm: refused %q", cmd)
	}
	return append([]byte("ok:"), cmd...), nil
}

func (s *testSM) Read(query []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if string(query) == "error" {
		return nil, errors.New("testsm: bad query")
	}
	if len(s.applied) == 0 {
		return nil, nil
	}
	return s.applied[len(s.applied)-1], nil
}

func (s *testSM) commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.applied))
	for i, c := range s.applied {
		out[i] = string(c)
	}
	return out
}

// testCluster is n consensus actors and n log servers in one actor.System,
// without supervisors (package rafter adds those).
type testCluster struct {
	t     testing.TB
	sys   *actor.System
	peers []*rafterpb.Peer
	pids  []*protoactor.PID
	logs  []*protoactor.PID
	// sms holds the state machines each peer created, newest last.
	smMu sync.Mutex
	sms  [][]*testSM
	// cut[i] set: every message to or from peer i is dropped.
	cut []atomic.Bool
	// chaos, if set, decides the fate of messages between uncut peers.
	chaos atomic.Pointer[func() Verdict]
	// intercepted counts the messages the interceptor saw.
	intercepted atomic.Int64
	// supervisorEvents counts actor crashes (restarts) in the System.
	supervisorEvents atomic.Int64
}

func testLogger() *slog.Logger {
	if os.Getenv("CONSENSUS_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func newTestCluster(t testing.TB, n int) *testCluster {
	t.Helper()
	sys, err := actor.NewSystem(actor.Options{Logger: testLogger()})
	require.NoError(t, err)
	c := &testCluster{t: t, sys: sys, sms: make([][]*testSM, n), cut: make([]atomic.Bool, n)}
	sys.Actors().EventStream.Subscribe(func(evt any) {
		if _, ok := evt.(*protoactor.SupervisorEvent); ok {
			c.supervisorEvents.Add(1)
		}
	})
	for i := range n {
		c.peers = append(c.peers, &rafterpb.Peer{Name: fmt.Sprintf("p%d", i)})
	}
	lopts := logserver.DefaultOptions()
	for i, p := range c.peers {
		logPID, err := sys.SpawnNamed(logserver.Props(t.TempDir(), lopts), p.Name+"/log")
		require.NoError(t, err)
		c.logs = append(c.logs, logPID)
		pid, err := sys.SpawnNamed(Props(c.options(i)), p.Name+"/consensus")
		require.NoError(t, err)
		c.pids = append(c.pids, pid)
	}
	t.Cleanup(func() { require.NoError(t, sys.Shutdown()) })
	return c
}

func (c *testCluster) options(i int) Options {
	return Options{
		Self:   c.peers[i],
		System: c.sys,
		Log:    c.logs[i],
		Core: core.Options{
			ElectionTicks: 10, HeartbeatTicks: 2, Seed: int64(i + 1),
			MaxMsgEntries: 64, MaxMsgBytes: 1 << 20, MaxInflight: 8,
			PreVote: true, CheckQuorum: true,
		},
		TickInterval: 10 * time.Millisecond,
		NewStateMachine: func() StateMachine {
			sm := &testSM{}
			c.smMu.Lock()
			c.sms[i] = append(c.sms[i], sm)
			c.smMu.Unlock()
			return sm
		},
		Interceptor: c.intercept,
		Logger:      testLogger().With("test", c.t.Name()),
	}
}

func (c *testCluster) intercept(from, to *rafterpb.Peer, _ proto.Message) Verdict {
	c.intercepted.Add(1)
	for i, p := range c.peers {
		if c.cut[i].Load() && (config.SamePeer(p, from) || config.SamePeer(p, to)) {
			return Verdict{Action: Drop}
		}
	}
	if f := c.chaos.Load(); f != nil {
		return (*f)()
	}
	return Verdict{Action: Deliver}
}

// sm returns the newest state machine of peer i.
func (c *testCluster) sm(i int) *testSM {
	c.smMu.Lock()
	defer c.smMu.Unlock()
	return c.sms[i][len(c.sms[i])-1]
}

func call[R any](t testing.TB, c *testCluster, i int, req any) (R, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return actor.Call[R](ctx, c.sys, c.pids[i], req)
}

func (c *testCluster) status(i int) *rafterpb.StatusReply {
	c.t.Helper()
	st, err := call[*rafterpb.StatusReply](c.t, c, i, &rafterpb.StatusRequest{})
	require.NoError(c.t, err)
	return st
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronisation
	}
}

// bootstrap sends the initial configuration to peer 0 and waits for a
// leader that all peers agree on. It returns the leader's position.
func (c *testCluster) bootstrap() int {
	c.t.Helper()
	reply, err := call[*rafterpb.SetConfigReply](c.t, c, 0, &rafterpb.SetConfigRequest{Peers: c.peers})
	require.NoError(c.t, err)
	require.Nil(c.t, reply.GetError(), "initial SetConfig: %v", reply.GetError())
	return c.waitLeader()
}

// waitLeader waits until all uncut peers name the same leader, which is
// among them and says it is the leader.
func (c *testCluster) waitLeader() int {
	c.t.Helper()
	leader := -1
	eventually(c.t, 5*time.Second, "a leader", func() bool {
		leader = -1
		var name string
		for i := range c.peers {
			if c.cut[i].Load() {
				continue
			}
			st := c.status(i)
			if st.GetLeader() == nil || (name != "" && st.GetLeader().GetName() != name) {
				return false
			}
			name = st.GetLeader().GetName()
			if st.GetRole() == rafterpb.Role_ROLE_LEADER {
				leader = i
			}
		}
		return leader >= 0 && !c.cut[leader].Load()
	})
	return leader
}

func (c *testCluster) op(i int, cmd string) *rafterpb.OpReply {
	c.t.Helper()
	reply, err := call[*rafterpb.OpReply](c.t, c, i, &rafterpb.OpRequest{Cmd: []byte(cmd)})
	require.NoError(c.t, err, "op %q via p%d", cmd, i)
	require.Nil(c.t, reply.GetError(), "op %q via p%d", cmd, i)
	return reply
}

func (c *testCluster) follower(leader int) int {
	return (leader + 1) % len(c.peers)
}
