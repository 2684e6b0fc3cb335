package metrics_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/consensus/session"
	"github.com/rafter-go/rafter/metrics"
	"github.com/rafter-go/rafter/rafterpb"
)

// With metrics off the actors hold nil handles: every method is a no-op.
func TestNilIsOff(t *testing.T) {
	var p *metrics.Peer
	assert.True(t, p.Now().IsZero(), "no clock read when off")
	p.Observe(core.Status{Role: core.Leader, Term: 3})
	p.Inflight(nil)
	p.Proposed()
	p.Read()
	p.StaleRead()
	p.Answered(metrics.RequestOp, time.Now(), rafterpb.ErrorCode_ERROR_CODE_NO_LEADER)
	p.Forwarded(metrics.RequestOp)
	p.Dropped(metrics.DropUnknownPeer)
	p.Sent(&rafterpb.RaftMessage{})
	p.Received(&rafterpb.RaftMessage{})
	p.SnapshotSaved(10, time.Second, false)
	p.SnapshotInstalled()
	p.ChunkSent()
	p.ChunkReceived()
	l := p.LogServer()
	assert.Nil(t, l)
	assert.True(t, l.Now().IsZero())
	l.Written(time.Now())
	l.Synced(time.Now(), 3)
}

func TestNewRefusesNil(t *testing.T) {
	_, err := metrics.New(nil)
	assert.ErrorIs(t, err, metrics.ErrRegister)
}

// Transitions are counted from successive Status observations.
func TestObserveCountsTransitions(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, err := metrics.New(reg)
	require.NoError(t, err)
	p := s.Peer("a")
	b := &rafterpb.Peer{Name: "b"}
	a := &rafterpb.Peer{Name: "a"}
	steps := []core.Status{
		{Role: core.Follower, Term: 1, Leader: b}, // first leader known: a change
		{Role: core.Follower, Term: 1, Leader: b}, // nothing new
		{Role: core.PreCandidate, Term: 1},        // pre-vote: not an election
		{Role: core.Candidate, Term: 2},           // election 1
		{Role: core.Candidate, Term: 2},           // same election
		{Role: core.Candidate, Term: 3},           // election 2 (split vote, new term)
		{Role: core.Leader, Term: 3, Leader: a},   // won election 2; leader change
		{Role: core.Leader, Term: 3, Leader: a, CommitIndex: 3},
		{Role: core.Follower, Term: 4, Leader: b},                                         // stepped down; leader change
		{Role: core.Leader, Term: 5, Leader: a, CommitIndex: 7, Applied: 6, LastIndex: 8}, // a single voter: started and won at once
	}
	for _, st := range steps {
		p.Observe(st)
	}
	count := func(name string) float64 {
		v, err := testutil.GatherAndCount(reg, name)
		require.NoError(t, err)
		require.Equal(t, 1, v, "%s series", name)
		mfs, err := reg.Gather()
		require.NoError(t, err)
		for _, mf := range mfs {
			if mf.GetName() == name {
				m := mf.GetMetric()[0]
				if m.GetCounter() != nil {
					return m.GetCounter().GetValue()
				}
				return m.GetGauge().GetValue()
			}
		}
		return -1
	}
	assert.Equal(t, 3.0, count("rafter_elections_started_total"))
	assert.Equal(t, 2.0, count("rafter_elections_won_total"))
	assert.Equal(t, 4.0, count("rafter_leader_changes_total"))
	assert.Equal(t, 5.0, count("rafter_term"))
	assert.Equal(t, 7.0, count("rafter_commit_index"))
	assert.Equal(t, 6.0, count("rafter_applied_index"))
	assert.Equal(t, 8.0, count("rafter_last_index"))
}

// Two Sets on one registry share the collectors; a conflicting metric is an
// error, not a panic; Remove drops a peer's series.
func TestRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	s1, err := metrics.New(reg)
	require.NoError(t, err)
	s2, err := metrics.New(reg)
	require.NoError(t, err)
	s1.Peer("a").Proposed()
	s2.Peer("b").Proposed()
	n, err := testutil.GatherAndCount(reg, "rafter_proposals_total")
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	s1.Remove("a")
	n, err = testutil.GatherAndCount(reg, "rafter_proposals_total")
	require.NoError(t, err)
	assert.Equal(t, 1, n)

	other := prometheus.NewRegistry()
	other.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "rafter_term", Help: "something else"}))
	_, err = metrics.New(other)
	assert.ErrorIs(t, err, metrics.ErrRegister)

	c, err := metrics.RegisterRefused(reg, "h:1", func() uint64 { return 4 })
	require.NoError(t, err)
	_, err = metrics.RegisterRefused(reg, "h:1", func() uint64 { return 0 })
	assert.ErrorIs(t, err, metrics.ErrRegister)
	assert.True(t, reg.Unregister(c))
	v, err := testutil.GatherAndCount(reg, "rafter_network_refused_total")
	require.NoError(t, err)
	assert.Equal(t, 0, v)
}

// Answered sorts errors by kind and code, and times ops and reads.
func TestAnswered(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, err := metrics.New(reg)
	require.NoError(t, err)
	p := s.Peer("a")
	p.Answered(metrics.RequestOp, p.Now(), rafterpb.ErrorCode_ERROR_CODE_NONE)
	p.Answered(metrics.RequestOp, p.Now(), rafterpb.ErrorCode_ERROR_CODE_LEADERSHIP_LOST)
	p.Answered(metrics.RequestRead, p.Now(), rafterpb.ErrorCode_ERROR_CODE_NO_LEADER)
	p.Answered(metrics.RequestSetConfig, time.Time{}, rafterpb.ErrorCode_ERROR_CODE_NOT_MODIFIED)
	mfs, err := reg.Gather()
	require.NoError(t, err)
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName() // then the label values but peer, in label-name order (code, kind)
			for _, l := range m.GetLabel() {
				if l.GetName() != "peer" {
					key += "," + l.GetValue()
				}
			}
			switch {
			case m.GetCounter() != nil:
				got[key] = m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				got[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	assert.Equal(t, 1.0, got["rafter_request_errors_total,leadership_lost,unknown"])
	assert.Equal(t, 1.0, got["rafter_request_errors_total,no_leader,definite"])
	assert.Equal(t, 1.0, got["rafter_request_errors_total,not_modified,definite"])
	assert.Equal(t, 2.0, got["rafter_proposal_duration_seconds"])
	assert.Equal(t, 1.0, got["rafter_read_duration_seconds"])
}

// Snapshot figures: gauges from Status, counters from the shell's hooks and
// from the core's transfer counts, which restart with the consensus actor.
func TestSnapshotMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, err := metrics.New(reg)
	require.NoError(t, err)
	p := s.Peer("a")
	p.Observe(core.Status{SnapshotIndex: 40, FirstIndex: 31, SnapshotsSent: 2, RepeatedSnapshots: 1})
	p.Observe(core.Status{SnapshotIndex: 80, FirstIndex: 71, SnapshotsSent: 3, RepeatedSnapshots: 1})
	p.Observe(core.Status{SnapshotIndex: 80, FirstIndex: 71, SnapshotsSent: 1}) // a restarted actor
	p.SnapshotSaved(1234, 5*time.Millisecond, false)
	p.SnapshotSaved(0, 0, true)
	p.SnapshotInstalled()
	p.ChunkSent()
	p.ChunkSent()
	p.ChunkReceived()
	for name, want := range map[string]float64{
		"rafter_snapshot_index":                 80,
		"rafter_log_first_index":                71,
		"rafter_snapshot_bytes":                 1234,
		"rafter_snapshots_sent_total":           4,
		"rafter_snapshots_repeated_total":       1,
		"rafter_snapshot_installs_total":        1,
		"rafter_snapshot_chunks_sent_total":     2,
		"rafter_snapshot_chunks_received_total": 1,
	} {
		got, err := testutil.GatherAndCount(reg, name)
		require.NoError(t, err)
		require.Equal(t, 1, got, name)
		assert.InDelta(t, want, gatherValue(t, reg, name), 0, name)
	}
	n, err := testutil.GatherAndCount(reg, "rafter_snapshots_saved_total")
	require.NoError(t, err)
	assert.Equal(t, 2, n, "ok and failed")
	s.Remove("a")
	n, err = testutil.GatherAndCount(reg, "rafter_snapshot_index")
	require.NoError(t, err)
	assert.Zero(t, n)
}

func gatherValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		m := mf.GetMetric()[0]
		if g := m.GetGauge(); g != nil {
			return g.GetValue()
		}
		return m.GetCounter().GetValue()
	}
	t.Fatalf("no %s", name)
	return 0
}

// Session entries are counted by what the session table decided; entries
// outside sessions are not counted.
func TestSessionMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, err := metrics.New(reg)
	require.NoError(t, err)
	p := s.Peer("a")
	for _, k := range []session.Kind{session.Registered, session.Run, session.Run, session.Duplicate, session.Refused, session.Plain} {
		p.SessionEntry(k)
	}
	p.SessionEntry(session.Kind(99)) // not a kind: ignored, no panic
	got := map[string]float64{}
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != "rafter_session_entries_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" {
					got[l.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	assert.Equal(t, map[string]float64{"registered": 1, "applied": 2, "duplicate": 1, "refused": 1}, got)
	var nilPeer *metrics.Peer
	nilPeer.SessionEntry(session.Run) // metrics off
	s.Remove("a")
	n, err := testutil.GatherAndCount(reg, "rafter_session_entries_total")
	require.NoError(t, err)
	assert.Zero(t, n)
}
