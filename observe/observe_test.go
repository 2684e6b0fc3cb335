package observe_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/cluster"
	"github.com/rafter-go/rafter/observe"
)

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// metricsCluster starts a configured 3-peer cluster in one System whose
// metrics go to a fresh registry, and an HTTP server with the handler.
func metricsCluster(t *testing.T) (*cluster.Cluster, *prometheus.Registry, *httptest.Server) {
	reg := prometheus.NewRegistry()
	c := cluster.Start(t, cluster.Config{N: 3, System: func(_ int, o *rafter.SystemOptions) { o.Metrics = reg }})
	c.Configure()
	srv := httptest.NewServer(observe.Handler(c.Client(), reg))
	t.Cleanup(srv.Close)
	return c, reg, srv
}

// families are the metrics every peer carries once it has run a few Ops;
// the others appear with their first event (errors, drops, in-flight).
var perPeer = []string{
	"rafter_term", "rafter_role", "rafter_commit_index", "rafter_applied_index", "rafter_last_index",
	"rafter_leader_changes_total", "rafter_elections_started_total", "rafter_elections_won_total",
	"rafter_proposals_total", "rafter_reads_total", "rafter_stale_reads_total",
	"rafter_proposal_duration_seconds", "rafter_read_duration_seconds",
	"rafter_append_entries_sent_entries", "rafter_append_entries_received_entries",
	"rafter_log_write_duration_seconds", "rafter_log_sync_duration_seconds", "rafter_log_entries_per_sync",
}

func TestMetricsAfterOps(t *testing.T) {
	c, _, srv := metricsCluster(t)
	sys := c.Client()
	leader := c.WaitLeader()
	var follower rafter.Peer
	for _, p := range c.Peers {
		if p != leader {
			follower = p
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const direct, forwarded, reads = 5, 2, 2
	for i := range direct {
		_, err := sys.Op(ctx, leader, []byte{'a', byte(i)})
		require.NoError(t, err)
	}
	for i := range forwarded {
		_, err := sys.Op(ctx, follower, []byte{'f', byte(i)})
		require.NoError(t, err)
	}
	for range reads {
		_, err := sys.ReadOp(ctx, leader, nil)
		require.NoError(t, err)
	}
	// A definite error: the configuration is already this one.
	err := sys.SetConfig(ctx, leader, c.Peers)
	require.ErrorIs(t, err, rafter.ErrNotModified)

	st, err := sys.Status(ctx, leader)
	require.NoError(t, err)
	L := map[string]string{"peer": leader.String()}
	F := map[string]string{"peer": follower.String()}
	// The gauges follow the core after its next Ready; poll until they
	// caught up with the Status just read (nothing else is written).
	var fams = scrape(t, srv)
	poll(t, "commit index metric equals Status", func() bool {
		fams = scrape(t, srv)
		return value(fams, "rafter_commit_index", L) == float64(st.CommitIndex) &&
			value(fams, "rafter_applied_index", L) == float64(st.CommitIndex)
	})
	for _, name := range perPeer {
		f := fams[name]
		require.NotNil(t, f, "%s missing from the scrape", name)
		assert.NotEmpty(t, f.GetHelp(), "%s has no help text", name)
		for _, p := range c.Peers {
			assert.NotNil(t, sample(fams, name, map[string]string{"peer": p.String()}), "%s has no series for %s", name, p)
		}
	}
	assert.Equal(t, float64(st.Term), value(fams, "rafter_term", L))
	assert.Equal(t, float64(st.LastIndex), value(fams, "rafter_last_index", L))
	assert.Equal(t, 1.0, value(fams, "rafter_role", map[string]string{"peer": leader.String(), "role": "leader"}))
	assert.Equal(t, 0.0, value(fams, "rafter_role", map[string]string{"peer": leader.String(), "role": "follower"}))
	assert.Equal(t, 1.0, value(fams, "rafter_role", map[string]string{"peer": follower.String(), "role": "follower"}))
	assert.GreaterOrEqual(t, value(fams, "rafter_elections_won_total", L), 1.0)
	assert.GreaterOrEqual(t, value(fams, "rafter_elections_started_total", L), value(fams, "rafter_elections_won_total", L))
	assert.GreaterOrEqual(t, value(fams, "rafter_leader_changes_total", F), 1.0)

	// Proposals: every Op reached the leader's core (the forwarded ones
	// too) and was answered there; the follower's core saw the ones it
	// forwarded, and answered none.
	assert.Equal(t, float64(direct+forwarded), value(fams, "rafter_proposals_total", L))
	assert.Equal(t, float64(direct+forwarded), value(fams, "rafter_proposal_duration_seconds", L))
	assert.Equal(t, float64(forwarded), value(fams, "rafter_proposals_total", F))
	assert.Equal(t, 0.0, value(fams, "rafter_proposal_duration_seconds", F))
	assert.Equal(t, float64(forwarded), value(fams, "rafter_forwarded_total", map[string]string{"peer": follower.String(), "request": "op"}))
	assert.Equal(t, float64(reads), value(fams, "rafter_reads_total", L))
	assert.Equal(t, float64(reads), value(fams, "rafter_read_duration_seconds", L))
	assert.Equal(t, 1.0, value(fams, "rafter_request_errors_total",
		map[string]string{"peer": leader.String(), "kind": "definite", "code": "not_modified"}))

	// Replication: the leader sent AppendEntries with entries, the follower
	// received them; the log servers fsynced entries.
	sent := sample(fams, "rafter_append_entries_sent_entries", L).GetHistogram()
	assert.Positive(t, sent.GetSampleSum(), "entries sent by the leader")
	recv := sample(fams, "rafter_append_entries_received_entries", F).GetHistogram()
	assert.Positive(t, recv.GetSampleSum(), "entries received by a follower")
	assert.GreaterOrEqual(t, sample(fams, "rafter_log_entries_per_sync", L).GetHistogram().GetSampleSum(), float64(st.LastIndex))
	poll(t, "in-flight gauge per follower", func() bool {
		fams = scrape(t, srv)
		return value(fams, "rafter_append_entries_inflight", map[string]string{"peer": leader.String(), "follower": follower.String()}) >= 0
	})
	assert.NotEmpty(t, fams["rafter_append_entries_inflight"].GetHelp())
	assert.Nil(t, sample(fams, "rafter_append_entries_inflight", F), "a follower has no in-flight series")
}

// A peer outside the configuration that campaigns is dropped by the
// members' cores (ErrUnknownPeer), and counted; StopNode removes the
// stopped peer's series.
func TestMetricsDroppedUnknownPeer(t *testing.T) {
	c, _, srv := metricsCluster(t)
	sys := c.Client()
	c.WaitLeader()
	stranger := rafter.Peer{Name: "stranger"}
	o := c.Opts[0]
	o.DataDir = t.TempDir()
	require.NoError(t, sys.StartNode(stranger, o))
	// Its initial configuration names p1: it campaigns there, and p1's
	// core refuses a vote request from a peer it does not know.
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = sys.SetConfig(ctx, stranger, []rafter.Peer{stranger, c.Peers[0]})
	}()
	P1 := map[string]string{"peer": c.Peers[0].String(), "reason": "unknown_peer"}
	poll(t, "p1 counts the stranger's messages as dropped", func() bool {
		return value(scrape(t, srv), "rafter_messages_dropped_total", P1) >= 1
	})
	fams := scrape(t, srv)
	assert.NotEmpty(t, fams["rafter_messages_dropped_total"].GetHelp())
	require.NotNil(t, sample(fams, "rafter_term", map[string]string{"peer": "stranger"}))
	require.NoError(t, sys.StopNode(stranger))
	fams = scrape(t, srv)
	assert.Nil(t, sample(fams, "rafter_term", map[string]string{"peer": "stranger"}), "a stopped peer's series are removed")
	assert.NotNil(t, sample(fams, "rafter_term", map[string]string{"peer": c.Peers[0].String()}))
}

// Kill (a supervisor restart) and StopNode/StartNode keep one set of
// collectors: no registration panic, counters go on.
func TestMetricsSurviveRestarts(t *testing.T) {
	c, _, srv := metricsCluster(t)
	sys := c.Client()
	leader := c.WaitLeader()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := sys.Op(ctx, leader, []byte("before"))
	require.NoError(t, err)
	L := map[string]string{"peer": leader.String()}
	before := value(scrape(t, srv), "rafter_proposals_total", L)
	require.Equal(t, 1.0, before)

	require.NoError(t, sys.Kill(leader, rafter.ActorLog))
	require.NoError(t, sys.Kill(leader, rafter.ActorConsensus))
	c.Restart(c.Peers[2])
	newLeader := c.WaitLeader()
	require.True(t, c.Poll(func(ctx context.Context) bool {
		_, err := sys.Op(ctx, newLeader, []byte("after"))
		return err == nil
	}), "an Op after the restarts")
	fams := scrape(t, srv)
	assert.GreaterOrEqual(t, value(fams, "rafter_proposals_total", L), before, "a killed peer's counters go on")
	for _, p := range c.Peers {
		assert.NotNil(t, sample(fams, "rafter_term", map[string]string{"peer": p.String()}), "%s after restarts", p)
	}
	st, err := sys.Status(ctx, newLeader)
	require.NoError(t, err)
	poll(t, "new leader's commit index metric", func() bool {
		return value(scrape(t, srv), "rafter_commit_index", map[string]string{"peer": newLeader.String()}) >= float64(st.CommitIndex)
	})
}

func TestStatus(t *testing.T) {
	c, _, srv := metricsCluster(t)
	leader := c.WaitLeader()
	var r observe.StatusReply
	poll(t, "every peer in /status knows the leader", func() bool {
		r = status(t, srv)
		if len(r.Peers) != len(c.Peers) {
			return false
		}
		for _, p := range r.Peers {
			if p.Leader != leader.String() {
				return false
			}
		}
		return true
	})
	leaders := 0
	for i, p := range r.Peers {
		assert.Equal(t, c.Peers[i].String(), p.Peer)
		assert.Empty(t, p.Error)
		assert.Positive(t, p.Term)
		require.NotNil(t, p.Config)
		assert.Equal(t, "stable", p.Config.State)
		assert.Len(t, p.Config.Old, 3)
		if p.Role == "leader" {
			leaders++
			assert.Equal(t, leader.String(), p.Peer)
		}
	}
	assert.Equal(t, 1, leaders)

	// Read-only: other methods are refused.
	resp, err := srv.Client().Post(srv.URL+"/status", "text/plain", strings.NewReader("x"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	code, _ := get(t, srv, "/nothing")
	assert.Equal(t, http.StatusNotFound, code)
	code, body := get(t, srv, "/")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, string(body), "/metrics")
}

// Without a Registerer nothing is measured, the cluster works, /status is
// served and /metrics is not.
func TestNoMetrics(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 3})
	c.Configure()
	leader := c.WaitLeader()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := c.Client().Op(ctx, leader, []byte("x"))
	require.NoError(t, err)
	srv := httptest.NewServer(observe.Handler(c.Client(), nil))
	defer srv.Close()
	code, _ := get(t, srv, "/metrics")
	assert.Equal(t, http.StatusNotFound, code)
	assert.Len(t, status(t, srv).Peers, 3)
}

// Systems of one process may share a registry: each registers its refused
// counter under its address, and the peer vectors are shared.
func TestSharedRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := cluster.Start(t, cluster.Config{N: 3, Remote: true, System: func(_ int, o *rafter.SystemOptions) { o.Metrics = reg }})
	c.Configure()
	c.WaitLeader()
	srv := httptest.NewServer(observe.Handler(c.Systems[0], reg))
	defer srv.Close()
	fams := scrape(t, srv)
	for _, s := range append(c.Systems, c.Client()) {
		assert.Equal(t, 0.0, value(fams, "rafter_network_refused_total", map[string]string{"system": s.Address()}), "System %s", s.Address())
	}
	for _, p := range c.Peers {
		assert.NotNil(t, sample(fams, "rafter_term", map[string]string{"peer": p.String()}), "%s", p)
	}
	// The handler's /status lists the local peers of its own System only.
	r := status(t, srv)
	require.Len(t, r.Peers, 1)
	assert.Equal(t, c.Peers[0].String(), r.Peers[0].Peer)
}

// A System that shuts down unregisters its own counter, so a new System
// with the same address can use the registry (an in-process restart).
func TestSystemAgainOnSameRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	refused := func() bool {
		fams, err := reg.Gather()
		require.NoError(t, err)
		for _, f := range fams {
			if f.GetName() == "rafter_network_refused_total" {
				return true
			}
		}
		return false
	}
	for range 2 {
		sys, err := rafter.NewSystem(rafter.SystemOptions{Metrics: reg})
		require.NoError(t, err)
		assert.True(t, refused(), "the System's refused counter is registered")
		require.NoError(t, sys.Shutdown())
		assert.False(t, refused(), "Shutdown unregisters it")
	}
}
