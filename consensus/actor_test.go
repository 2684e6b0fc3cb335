package consensus

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/rafterpb"
)

func TestClusterElectsAndServesClients(t *testing.T) {
	c := newTestCluster(t, 3)
	leader := c.bootstrap()
	follower := c.follower(leader)

	r := c.op(leader, "a")
	assert.Equal(t, "ok:a", string(r.GetResult()))
	assert.NotZero(t, r.GetIndex())

	// A follower forwards to the leader, which answers the client directly.
	r2 := c.op(follower, "b")
	assert.Equal(t, "ok:b", string(r2.GetResult()))
	assert.Greater(t, r2.GetIndex(), r.GetIndex())

	// An error from Apply is a result: the command is in the log.
	r3 := c.op(follower, "fail-x")
	assert.Contains(t, r3.GetApplyError(), "testsm: refused")
	assert.Greater(t, r3.GetIndex(), r2.GetIndex())
	c.op(leader, "c")

	read, err := call[*rafterpb.ReadOpReply](t, c, follower, &rafterpb.ReadOpRequest{Query: []byte("last")})
	require.NoError(t, err)
	require.Nil(t, read.GetError())
	assert.Equal(t, "c", string(read.GetResult()))

	badRead, err := call[*rafterpb.ReadOpReply](t, c, leader, &rafterpb.ReadOpRequest{Query: []byte("error")})
	require.NoError(t, err)
	assert.Equal(t, "testsm: bad query", badRead.GetReadError())

	gl, err := call[*rafterpb.GetLeaderReply](t, c, follower, &rafterpb.GetLeaderRequest{})
	require.NoError(t, err)
	assert.Equal(t, c.peers[leader].GetName(), gl.GetLeader().GetName())

	e, err := call[*rafterpb.GetEntryReply](t, c, leader, &rafterpb.GetEntryRequest{Index: r2.GetIndex()})
	require.NoError(t, err)
	assert.Equal(t, "b", string(e.GetEntry().GetCmd()))
	assert.Equal(t, rafterpb.EntryType_ENTRY_TYPE_OP, e.GetEntry().GetType())
	missing, err := call[*rafterpb.GetEntryReply](t, c, leader, &rafterpb.GetEntryRequest{Index: 1 << 40})
	require.NoError(t, err)
	assert.Nil(t, missing.GetEntry())
	assert.Nil(t, missing.GetError())

	// Every peer applies the same commands in the same order.
	want := []string{"a", "b", "fail-x", "c"}
	eventually(t, 5*time.Second, "all state machines to apply 4 commands", func() bool {
		for i := range c.peers {
			if len(c.sm(i).commands()) < len(want) {
				return false
			}
		}
		return true
	})
	for i := range c.peers {
		assert.Equal(t, want, c.sm(i).commands(), "p%d", i)
		last, err := call[*rafterpb.GetEntryReply](t, c, i, &rafterpb.GetEntryRequest{Last: true})
		require.NoError(t, err)
		assert.Equal(t, "c", string(last.GetEntry().GetCmd()), "p%d", i)
		st := c.status(i)
		assert.Equal(t, c.peers[i].GetName(), st.GetSelf().GetName())
		assert.GreaterOrEqual(t, st.GetAppliedIndex(), r3.GetIndex())
	}
	assert.Positive(t, c.intercepted.Load(), "peer messages pass through the interceptor")
	assert.Zero(t, c.supervisorEvents.Load(), "no actor crashed")
}

func TestForwardingStopsAtTheHopLimit(t *testing.T) {
	c := newTestCluster(t, 3)
	leader := c.bootstrap()
	follower := c.follower(leader)

	reply, err := call[*rafterpb.OpReply](t, c, follower,
		&rafterpb.OpRequest{Cmd: []byte("x"), Hops: DefaultMaxForwardHops})
	require.NoError(t, err)
	require.NotNil(t, reply.GetError())
	assert.Equal(t, rafterpb.ErrorCode_ERROR_CODE_REDIRECT, reply.GetError().GetCode())
	assert.Equal(t, c.peers[leader].GetName(), reply.GetError().GetLeader().GetName())

	// One hop below the limit is still forwarded.
	ok, err := call[*rafterpb.OpReply](t, c, follower,
		&rafterpb.OpRequest{Cmd: []byte("y"), Hops: DefaultMaxForwardHops - 1})
	require.NoError(t, err)
	require.Nil(t, ok.GetError())
	assert.Equal(t, "ok:y", string(ok.GetResult()))
}

func TestBlankPeerRefusesClientsWithADefiniteError(t *testing.T) {
	c := newTestCluster(t, 1)
	reply, err := call[*rafterpb.OpReply](t, c, 0, &rafterpb.OpRequest{Cmd: []byte("x")})
	require.NoError(t, err)
	require.NotNil(t, reply.GetError(), "a peer without configuration cannot commit")
	assert.Contains(t, []rafterpb.ErrorCode{
		rafterpb.ErrorCode_ERROR_CODE_NOT_MEMBER, rafterpb.ErrorCode_ERROR_CODE_NO_LEADER,
	}, reply.GetError().GetCode())
	sc, err := call[*rafterpb.SetConfigReply](t, c, 0, &rafterpb.SetConfigRequest{})
	require.NoError(t, err)
	require.NotNil(t, sc.GetError(), "an empty server list is refused")
	assert.Equal(t, rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, sc.GetError().GetCode())
}

func TestInterceptorCutsAPeerOff(t *testing.T) {
	c := newTestCluster(t, 3)
	leader := c.bootstrap()
	cut := c.follower(leader)
	c.op(leader, "before")
	eventually(t, 5*time.Second, "the follower to apply the first command", func() bool {
		return len(c.sm(cut).commands()) == 1
	})

	c.cut[cut].Store(true)
	var last *rafterpb.OpReply
	for i := range 5 {
		last = c.op(leader, "during-"+strconv.Itoa(i))
	}
	assert.Less(t, c.status(cut).GetLastIndex(), last.GetIndex(), "the cut-off peer received nothing")
	assert.Equal(t, []string{"before"}, c.sm(cut).commands())

	c.cut[cut].Store(false)
	eventually(t, 10*time.Second, "the healed peer to catch up", func() bool {
		return c.status(cut).GetAppliedIndex() >= last.GetIndex()
	})
	assert.Equal(t, c.sm(leader).commands(), c.sm(cut).commands())
	assert.Zero(t, c.supervisorEvents.Load(), "no actor crashed")
}

func TestMalformedMessagesAreDroppedAndThePeerKeepsWorking(t *testing.T) {
	c := newTestCluster(t, 3)
	leader := c.bootstrap()
	follower := c.follower(leader)
	term := c.status(leader).GetTerm()

	garbage := []any{
		[]byte{0xff, 0x00, 0x13},
		"not a message",
		&rafterpb.RaftMessage{}, // no sender, no body
		&rafterpb.RaftMessage{From: c.peers[leader], To: c.peers[follower], Term: term + 100}, // no body
		&rafterpb.RaftMessage{From: &rafterpb.Peer{Name: "stranger"}, To: &rafterpb.Peer{Name: "nobody"},
			Term: term + 100, Body: &rafterpb.RaftMessage_RequestVote{RequestVote: &rafterpb.RequestVote{}}},
		// Structurally broken bodies: an empty oneof wrapper, a nil entry.
		&rafterpb.RaftMessage{From: c.peers[leader], To: c.peers[follower], Term: term,
			Body: &rafterpb.RaftMessage_AppendEntries{}},
		&rafterpb.RaftMessage{From: c.peers[follower], To: c.peers[leader], Term: term,
			Body: &rafterpb.RaftMessage_AppendEntriesReply{}},
		&rafterpb.RaftMessage{From: &rafterpb.Peer{Name: "stranger"}, To: c.peers[follower], Term: term,
			Body: &rafterpb.RaftMessage_AppendEntries{AppendEntries: &rafterpb.AppendEntries{
				PrevLogIndex: 1 << 50, Entries: []*rafterpb.Entry{nil}}}},
		&rafterpb.LogWritten{Seq: 12345}, // an ack for a write never made
		&rafterpb.GetLeaderReply{},       // a reply nobody asked for
		fmt.Errorf("a bare error, as PipeTo delivers"),
	}
	for _, g := range garbage {
		for _, i := range []int{leader, follower} {
			c.sys.Root().Send(c.pids[i], g)
		}
	}
	r := c.op(follower, "still-works")
	assert.Equal(t, "ok:still-works", string(r.GetResult()))
	assert.Equal(t, term, c.status(leader).GetTerm(), "garbage did not move the term")
	assert.Equal(t, rafterpb.Role_ROLE_LEADER, c.status(leader).GetRole())
	assert.Zero(t, c.supervisorEvents.Load(), "no actor crashed")
}

func TestRestartRebuildsTheStateMachineFromTheLog(t *testing.T) {
	c := newTestCluster(t, 3)
	leader := c.bootstrap()
	follower := c.follower(leader)
	for i := range 5 {
		c.op(leader, "cmd-"+strconv.Itoa(i))
	}
	eventually(t, 5*time.Second, "the follower to apply 5 commands", func() bool {
		return len(c.sm(follower).commands()) == 5
	})
	before := c.sm(follower)

	// A failed write is an invariant break: the actor panics and its
	// supervisor (here protoactor's default) restarts it.
	c.sys.Root().Send(c.pids[follower], &rafterpb.LogWritten{
		Error: &rafterpb.Error{Code: rafterpb.ErrorCode_ERROR_CODE_INTERNAL, Message: "injected"},
	})
	eventually(t, 5*time.Second, "the follower to restart", func() bool {
		return c.sm(follower) != before
	})
	c.op(leader, "after")
	eventually(t, 10*time.Second, "the restarted follower to replay the log", func() bool {
		return len(c.sm(follower).commands()) == 6
	})
	assert.Equal(t, c.sm(leader).commands(), c.sm(follower).commands())
	assert.Positive(t, c.supervisorEvents.Load(), "the actor crashed once")
}

func TestUnreliableNetwork(t *testing.T) {
	seed := time.Now().UnixNano()
	if s, err := strconv.ParseInt(os.Getenv("CONSENSUS_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (rerun with CONSENSUS_SEED=%d)", seed, seed)
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	c := newTestCluster(t, 3)
	leader := c.bootstrap()
	chaos := func() Verdict {
		mu.Lock()
		defer mu.Unlock()
		switch rng.IntN(10) {
		case 0:
			return Verdict{Action: Drop}
		case 1:
			return Verdict{Action: Duplicate}
		case 2, 3:
			return Verdict{Action: Delay, Delay: time.Duration(rng.IntN(20)) * time.Millisecond}
		}
		return Verdict{Action: Deliver}
	}
	c.chaos.Store(&chaos)
	var want []string
	for i := range 20 {
		cmd := "u-" + strconv.Itoa(i)
		via := (leader + i) % 3
		reply, err := call[*rafterpb.OpReply](t, c, via, &rafterpb.OpRequest{Cmd: []byte(cmd)})
		if err != nil || reply.GetError() != nil {
			// A lost or refused request is fine under chaos; a wrong
			// result is not. Only ops known to be applied are checked.
			continue
		}
		require.Equal(t, "ok:"+cmd, string(reply.GetResult()))
		want = append(want, cmd)
	}
	c.chaos.Store(nil)
	require.NotEmpty(t, want, "no op succeeded under 10%% loss")
	leader = c.waitLeader()
	final := c.op(leader, "final")
	eventually(t, 10*time.Second, "every peer to apply everything", func() bool {
		for i := range c.peers {
			if c.status(i).GetAppliedIndex() < final.GetIndex() {
				return false
			}
		}
		return true
	})
	applied := c.sm(leader).commands()
	for i := range c.peers {
		assert.Equal(t, applied, c.sm(i).commands(), "p%d", i)
	}
	for _, cmd := range want {
		assert.Contains(t, applied, cmd, "acknowledged op lost")
	}
}

// TestEveryVerdictKeepsTheClusterCorrect runs the same workload with every
// peer message duplicated, then with every message delayed.
func TestEveryVerdictKeepsTheClusterCorrect(t *testing.T) {
	verdicts := map[string]Verdict{
		"duplicate": {Action: Duplicate},
		"delay":     {Action: Delay, Delay: 3 * time.Millisecond},
	}
	for name, v := range verdicts {
		t.Run(name, func(t *testing.T) {
			c := newTestCluster(t, 3)
			leader := c.bootstrap()
			f := func() Verdict { return v }
			c.chaos.Store(&f)
			var last *rafterpb.OpReply
			for i := range 10 {
				last = c.op((leader+i)%3, "v-"+strconv.Itoa(i))
			}
			eventually(t, 5*time.Second, "every peer to apply everything", func() bool {
				for i := range c.peers {
					if c.status(i).GetAppliedIndex() < last.GetIndex() {
						return false
					}
				}
				return true
			})
			for i := range c.peers {
				assert.Len(t, c.sm(i).commands(), 10, "p%d applied each command once", i)
				assert.Equal(t, c.sm(leader).commands(), c.sm(i).commands(), "p%d", i)
			}
		})
	}
}

// A proposal pending on a leader that stops has an unknown outcome: the
// client hears LEADERSHIP_LOST at once instead of waiting for its timeout.
func TestStoppingLeaderFailsPendingProposals(t *testing.T) {
	c := newTestCluster(t, 3)
	leader := c.bootstrap()
	for i := range c.peers {
		c.cut[i].Store(i != leader) // nothing reaches the followers
	}
	last := c.status(leader).GetLastIndex()
	done := make(chan *rafterpb.OpReply, 1)
	go func() {
		r, err := call[*rafterpb.OpReply](t, c, leader, &rafterpb.OpRequest{Cmd: []byte("orphan")})
		assert.NoError(t, err)
		done <- r
	}()
	eventually(t, 2*time.Second, "the leader to append the proposal", func() bool {
		return c.status(leader).GetLastIndex() > last
	})
	c.sys.Root().Stop(c.pids[leader])
	select {
	case r := <-done:
		require.NotNil(t, r.GetError())
		assert.Equal(t, rafterpb.ErrorCode_ERROR_CODE_LEADERSHIP_LOST, r.GetError().GetCode())
	case <-time.After(2 * time.Second):
		t.Fatal("the client was not answered when the leader stopped")
	}
}

// Many clients at once, through every peer: every acknowledged command is
// applied exactly once, in the same order everywhere.
func TestConcurrentClientsThroughEveryPeer(t *testing.T) {
	c := newTestCluster(t, 3)
	c.bootstrap()
	const clients, each = 8, 40
	var wg sync.WaitGroup
	for g := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				cmd := fmt.Sprintf("g%d-%d", g, i)
				r, err := call[*rafterpb.OpReply](t, c, (g+i)%3, &rafterpb.OpRequest{Cmd: []byte(cmd)})
				if !assert.NoError(t, err, cmd) || !assert.Nil(t, r.GetError(), cmd) {
					return
				}
				assert.Equal(t, "ok:"+cmd, string(r.GetResult()))
			}
		}()
	}
	wg.Wait()
	eventually(t, 10*time.Second, "every peer to apply every command", func() bool {
		for i := range c.peers {
			if len(c.sm(i).commands()) < clients*each {
				return false
			}
		}
		return true
	})
	seen := map[string]bool{}
	for _, cmd := range c.sm(0).commands() {
		assert.False(t, seen[cmd], "%s applied twice", cmd)
		seen[cmd] = true
	}
	assert.Len(t, seen, clients*each)
	for i := range c.peers {
		assert.Equal(t, c.sm(0).commands(), c.sm(i).commands(), "p%d", i)
	}
}
