package rafter_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/actor"
	"github.com/rafter-go/rafter/internal/cluster"
	"github.com/rafter-go/rafter/internal/testpki"
	"github.com/rafter-go/rafter/rafterpb"
)

// surfaceAllow is the allowlist of the TLS test clusters: the peers and
// the client System.
var surfaceAllow = []string{"p1", "p2", "p3", "client"}

// tlsCluster starts 3 Systems (peers p1, p2, p3) and a client System, each
// with a certificate of ca naming it, configured, with a leader and one
// write. Timing is slower than cluster's default so that no election
// happens by accident while the probes run.
func tlsCluster(t *testing.T, ca *testpki.CA) (*cluster.Cluster, rafter.Peer) {
	c := cluster.Start(t, cluster.Config{
		N: 3, Remote: true,
		System: cluster.MutualTLS(t, ca, 3, surfaceAllow...),
		Options: func(_ int, o *rafter.Options) {
			o.HeartbeatInterval = 50 * time.Millisecond
			o.ElectionTimeoutMin = 2 * time.Second
			o.ElectionTimeoutMax = 4 * time.Second
		},
	})
	c.Configure()
	leader := c.WaitLeader()
	require.True(t, c.Poll(func(ctx context.Context) bool {
		_, err := c.Client().Op(ctx, leader, []byte("GOOD"))
		return err == nil
	}), "no write over mutual TLS")
	c.WaitConverged()
	return c, leader
}

// clusterState is what no probe may change.
type clusterState struct {
	Term, Commit, Last uint64
	Leader             rafter.Peer
	Members            []rafter.Peer
}

func stateOf(t *testing.T, c *cluster.Cluster) []clusterState {
	t.Helper()
	var out []clusterState
	for _, p := range c.Peers {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		st, err := c.Client().Status(ctx, p)
		cancel()
		require.NoError(t, err, "status of %s", p)
		out = append(out, clusterState{st.Term, st.CommitIndex, st.LastIndex, st.Leader, st.Members()})
	}
	return out
}

// attacker is a raw actor.System: it can send anything protoactor can.
func attacker(t *testing.T, tlsCfg *testpki.Leaf, plaintext bool) *actor.System {
	t.Helper()
	o := actor.Options{ListenAddr: "127.0.0.1:0"}
	if !plaintext {
		if tlsCfg == nil {
			o.TLS = testpki.Stranger(nil)
		} else {
			o.TLS = testpki.Stranger(&tlsCfg.Pair)
		}
	}
	a, err := actor.NewSystem(o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Shutdown() })
	return a
}

// forgedRaft returns Raft messages that would disturb the cluster if they
// were accepted: an AppendEntries of a higher term "from" member from, and
// a RequestVote of a much higher term.
func forgedRaft(from, to rafter.Peer, term uint64) []*rafterpb.RaftMessage {
	pb := func(p rafter.Peer) *rafterpb.Peer { return &rafterpb.Peer{Name: p.Name, Node: p.Node} }
	return []*rafterpb.RaftMessage{
		{From: pb(from), To: pb(to), Term: term + 1, Body: &rafterpb.RaftMessage_AppendEntries{
			AppendEntries: &rafterpb.AppendEntries{PrevLogIndex: 1 << 30, CommitIndex: 1 << 30}}},
		{From: pb(from), To: pb(to), Term: term + 100, Body: &rafterpb.RaftMessage_RequestVote{
			RequestVote: &rafterpb.RequestVote{LastLogIndex: 1 << 30, LastLogTerm: term + 100}}},
	}
}

// probeClosed sends what no other System may send, member or not: a
// LogWrite to a log server, protoactor's Stop and PoisonPill to consensus
// actors, Stop to a supervisor, LogLoad to a log server (a call), and the
// process listing RPC. It returns the names of the calls that succeeded.
func probeClosed(t *testing.T, a *actor.System, c *cluster.Cluster, leader rafter.Peer, dial grpc.DialOption) (succeeded []string) {
	t.Helper()
	st := stateOf(t, c)[c.Index(leader)]
	follower := c.Peers[(c.Index(leader)+1)%3]
	a.Cast(a.PIDOf(follower.Name+"/log", follower.Node), &rafterpb.LogWrite{
		Seq: 1, Meta: &rafterpb.Meta{Term: st.Term + 1000},
		Entries: []*rafterpb.Entry{{Index: st.Last + 1, Term: st.Term, Type: rafterpb.EntryType_ENTRY_TYPE_OP, Cmd: []byte("EVIL")}},
	})
	a.Root().Stop(a.PIDOf(leader.Name+"/consensus", leader.Node))
	a.Root().Poison(a.PIDOf(follower.Name+"/consensus", follower.Node))
	a.Root().Stop(a.PIDOf(follower.Name, follower.Node)) // the supervisor
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := actor.Call[*rafterpb.LogLoadReply](ctx, a, a.PIDOf(leader.Name+"/log", leader.Node), &rafterpb.LogLoad{}); err == nil {
		succeeded = append(succeeded, "LogLoad")
	}
	conn, err := grpc.NewClient(leader.Node, dial)
	require.NoError(t, err)
	defer conn.Close()
	lctx, lcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer lcancel()
	if _, err := remote.NewRemotingClient(conn).ListProcesses(lctx, &remote.ListProcessesRequest{}); err == nil {
		succeeded = append(succeeded, "ListProcesses")
	} else if status.Code(err) == codes.Internal {
		succeeded = append(succeeded, "ListProcesses reached protoactor")
	}
	return succeeded
}

// probeClient sends what only authenticated Systems may send: forged Raft
// messages "from" a member, and the client requests SetConfig (a takeover
// by a peer of a), Op, ReadOp and a remote Kill. It returns the names of
// the calls that succeeded.
func probeClient(t *testing.T, a *actor.System, c *cluster.Cluster, leader rafter.Peer) (succeeded []string) {
	t.Helper()
	st := stateOf(t, c)[c.Index(leader)]
	follower := c.Peers[(c.Index(leader)+1)%3]
	cons := a.PIDOf(leader.Name+"/consensus", leader.Node)
	// Casts first: if one were accepted, the calls below give it time to act.
	for _, m := range forgedRaft(follower, leader, st.Term) {
		a.Cast(cons, m)
	}
	evil := &rafterpb.Peer{Name: "evil", Node: a.Address()}
	calls := []struct {
		name string
		to   *protoactor.PID
		msg  proto.Message
	}{
		{"SetConfig takeover", cons, &rafterpb.SetConfigRequest{Peers: []*rafterpb.Peer{evil}}},
		{"Op", cons, &rafterpb.OpRequest{Cmd: []byte("EVIL")}},
		{"ReadOp", cons, &rafterpb.ReadOpRequest{}},
		{"Kill", a.PIDOf("$rafter/control", leader.Node), &rafterpb.KillRequest{Name: leader.Name, Actor: "consensus"}},
	}
	for _, call := range calls {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := actor.Call[proto.Message](ctx, a, call.to, call.msg)
		cancel()
		if err == nil {
			succeeded = append(succeeded, call.name)
		}
	}
	return succeeded
}

// Issue 12 acceptance: every probe fails from a System without a
// certificate, with one of another CA, an expired one, and one whose name
// is not on the allowlist; term, membership and data do not change.
func TestSurfaceRefusesStrangers(t *testing.T) {
	ca := testpki.NewCA(t, "rafter-test-ca")
	other := testpki.NewCA(t, "other-ca")
	c, leader := tlsCluster(t, ca)
	before := stateOf(t, c)

	otherLeaf := other.Issue(t, false, "p2")
	expired := ca.Issue(t, true, "p2")
	mallory := ca.Issue(t, false, "mallory")
	cases := []struct {
		name      string
		leaf      *testpki.Leaf
		plaintext bool
	}{
		{"plaintext", nil, true},
		{"no certificate", nil, false},
		{"other CA", &otherLeaf, false},
		{"expired", &expired, false},
		{"not on allowlist", &mallory, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := attacker(t, tc.leaf, tc.plaintext)
			dial := grpc.WithTransportCredentials(insecure.NewCredentials())
			if !tc.plaintext {
				cfg := testpki.Stranger(nil)
				if tc.leaf != nil {
					cfg = testpki.Stranger(&tc.leaf.Pair)
				}
				dial = grpc.WithTransportCredentials(credentials.NewTLS(cfg))
			}
			refused := c.SystemOf(leader).Refused()
			assert.Empty(t, probeClient(t, a, c, leader), "client probes that succeeded")
			assert.Empty(t, probeClosed(t, a, c, leader, dial), "closed-surface probes that succeeded")
			// Each attempt to connect is refused at the handshake, counted
			// and logged.
			require.Eventually(t, func() bool { return c.SystemOf(leader).Refused() > refused },
				10*time.Second, 10*time.Millisecond, "no refused handshake counted")
			assert.Equal(t, before, stateOf(t, c), "the cluster changed")
		})
	}
}

// Issue 12 acceptance: a member's certificate cannot speak as another
// member, and even a member reaches only Raft messages and client
// requests: log servers, supervisors, system messages and process listing
// are refused and counted.
func TestSurfaceBindsIdentity(t *testing.T) {
	ca := testpki.NewCA(t, "rafter-test-ca")
	c, leader := tlsCluster(t, ca)
	before := stateOf(t, c)
	target := c.SystemOf(leader)
	refused := target.Refused()

	// A System holding p3's certificate (a member's, on the allowlist).
	p3 := ca.Issue(t, false, "p3")
	dir := t.TempDir()
	f := testpki.Write(t, dir, p3, ca.PEM, 0)
	cfg, err := actor.TLSFromFiles(f.Cert, f.Key, f.CA, surfaceAllow...)
	require.NoError(t, err)
	a, err := actor.NewSystem(actor.Options{ListenAddr: "127.0.0.1:0", TLS: cfg})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Shutdown() })

	// A client request from an authenticated System is served: the
	// connection works, so what follows is refused by the surface.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = actor.Call[*rafterpb.StatusReply](ctx, a, a.PIDOf(leader.Name+"/consensus", leader.Node), &rafterpb.StatusRequest{})
	require.NoError(t, err, "a member's System cannot send a client request")

	// p3's certificate speaking as another member: a higher-term
	// AppendEntries and RequestVote "from" it.
	var impostor rafter.Peer
	for _, p := range c.Peers {
		if p != leader && p.Name != "p3" {
			impostor = p
		}
	}
	for _, m := range forgedRaft(impostor, leader, before[c.Index(leader)].Term) {
		a.Cast(a.PIDOf(leader.Name+"/consensus", leader.Node), m)
	}
	assert.Empty(t, probeClosed(t, a, c, leader, grpc.WithTransportCredentials(credentials.NewTLS(cfg))),
		"closed-surface probes that succeeded")

	// At the leader's System: 2 impersonations, Stop of its consensus
	// actor, LogLoad and ListProcesses. (The LogWrite, Poison and
	// supervisor Stop go to a follower's System.)
	require.Eventually(t, func() bool { return target.Refused() >= refused+5 },
		10*time.Second, 10*time.Millisecond, "refusals counted at the leader: %d", target.Refused()-refused)
	assert.Equal(t, before, stateOf(t, c), "the cluster changed")
}

// Issue 12: without TLS (allowed on loopback) a System still closes its
// surface: log servers, supervisors, system messages and process listing
// are refused and counted, client requests are served.
func TestSurfaceClosedWithoutTLS(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 3, Remote: true, Options: func(_ int, o *rafter.Options) {
		o.HeartbeatInterval = 50 * time.Millisecond
		o.ElectionTimeoutMin = 2 * time.Second
		o.ElectionTimeoutMax = 4 * time.Second
	}})
	c.Configure()
	leader := c.WaitLeader()
	c.WaitConverged()
	before := stateOf(t, c)
	refused := c.SystemOf(leader).Refused()

	a := attacker(t, nil, true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := actor.Call[*rafterpb.StatusReply](ctx, a, a.PIDOf(leader.Name+"/consensus", leader.Node), &rafterpb.StatusRequest{})
	require.NoError(t, err, "a client request over plaintext loopback")
	assert.Empty(t, probeClosed(t, a, c, leader, grpc.WithTransportCredentials(insecure.NewCredentials())),
		"closed-surface probes that succeeded")
	// At the leader's System: Stop of its consensus actor, LogLoad,
	// ListProcesses.
	require.Eventually(t, func() bool { return c.SystemOf(leader).Refused() >= refused+3 },
		10*time.Second, 10*time.Millisecond, "refusals counted: %d", c.SystemOf(leader).Refused()-refused)
	assert.Equal(t, before, stateOf(t, c), "the cluster changed")
}

// Issue 12: secure by default. Listening beyond loopback needs TLS or
// Insecure; loopback stays open for tests and examples.
func TestSystemOptionsSecureByDefault(t *testing.T) {
	for _, tc := range []struct {
		listen   string
		insecure bool
		ok       bool
	}{
		{"", false, true},
		{"127.0.0.1:0", false, true},
		{"127.9.9.9:0", false, true},
		{"[::1]:0", false, true},
		{"localhost:0", false, true},
		{"0.0.0.0:7000", false, false},
		{":7000", false, false},
		{"10.1.2.3:7000", false, false},
		{"node-a.example:7000", false, false},
		{"10.1.2.3:7000", true, true},
		{"no-port", false, false},
	} {
		err := rafter.SystemOptions{ListenAddr: tc.listen, Insecure: tc.insecure}.Validate()
		if tc.ok {
			assert.NoError(t, err, "%q insecure=%v", tc.listen, tc.insecure)
			continue
		}
		assert.ErrorIs(t, err, rafter.ErrInvalidOptions, "%q", tc.listen)
		var oe *rafter.SystemOptionError
		assert.ErrorAs(t, err, &oe)
		_, err = rafter.NewSystem(rafter.SystemOptions{ListenAddr: tc.listen})
		assert.ErrorIs(t, err, rafter.ErrInvalidOptions, "NewSystem %q", tc.listen)
	}
	err := rafter.SystemOptions{ListenAddr: "0.0.0.0:7000"}.Validate()
	assert.ErrorContains(t, err, "needs TLS")
}

// Issue 12: Insecure beyond loopback works, with one loud warning; and
// refusals are logged.
func TestInsecureWarnsOnce(t *testing.T) {
	logs := &logCounter{}
	s, err := rafter.NewSystem(rafter.SystemOptions{
		ListenAddr: "0.0.0.0:0", AdvertiseAddr: "127.0.0.1:0", Insecure: true, Logger: slog.New(logs),
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Shutdown() })
	assert.Equal(t, 1, logs.matching("INSECURE"))

	a := attacker(t, nil, true)
	a.Root().Stop(a.PIDOf("p1/log", s.Address()))
	require.Eventually(t, func() bool { return s.Refused() == 1 }, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, 1, logs.matching("refused a message from another System"))
}
