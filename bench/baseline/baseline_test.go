package main

import (
	"bytes"
	"io"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/examples/bench/benchkit"
)

// The FSM passes benchkit's Store through (a malformed command answered
// with benchkit.ErrBadCommand), skips entries that are not commands, and
// its snapshot restores into a fresh FSM.
func TestFSM(t *testing.T) {
	f := newKV()
	assert.ErrorIs(t, f.Apply(&raft.Log{Type: raft.LogCommand, Data: []byte{1, 2, 3}}).(error), benchkit.ErrBadCommand)
	assert.Nil(t, f.Apply(&raft.Log{Type: raft.LogNoop, Data: []byte{1}}))
	assert.Nil(t, f.Apply(&raft.Log{Type: raft.LogCommand, Data: benchkit.MakeCmd("k7", 4)}))
	require.Equal(t, 1, f.Len())

	snap, err := f.Snapshot()
	require.NoError(t, err)
	sink := &memSink{}
	require.NoError(t, snap.Persist(sink))
	g := newKV()
	require.NoError(t, g.Restore(io.NopCloser(&sink.Buffer)))
	assert.Len(t, g.Get("k7"), 4)
	assert.Equal(t, 1, g.Len())
}

// memSink is a raft.SnapshotSink in memory.
type memSink struct{ bytes.Buffer }

func (*memSink) ID() string    { return "mem" }
func (*memSink) Cancel() error { return nil }
func (*memSink) Close() error  { return nil }

func TestPointOfRefuses(t *testing.T) {
	f := flags{CommonFlags: benchkit.CommonFlags{Warmup: time.Second, Duration: time.Second}}
	for _, c := range []struct{ transport, store, clients, size string }{
		{"inmem", "wal", "0", "100"},
		{"inmem", "wal", "1", "-1"},
		{"inmem", "wal", "1", "2000000"},
		{"inmem", "bolt", "1", "100"},
	} {
		_, err := f.pointOf(c.transport, c.store, c.clients, c.size)
		assert.Error(t, err, "%+v", c)
	}
	f.procs = true
	_, err := f.pointOf("inmem", "wal", "1", "100")
	assert.Error(t, err, "-procs needs tcp")
}

// A point's label names it in examples/bench's vocabulary, so that the
// tables and -compare pair it with rafter's.
func TestPointLabel(t *testing.T) {
	var r benchkit.Result
	point{transport: "tcp", store: "wal", procs: true, clients: 16, size: 100}.label(&r)
	assert.Equal(t, benchkit.RowKey{System: benchkit.HashicorpSystem, Store: benchkit.HashicorpStore,
		Transport: "tcp", Op: "write", Procs: true, Size: 100, Clients: 16}, r.Key())
}

// A short real run of each transport with raft-wal, each in child
// processes as a sweep runs it (one for inmem and tcp, one per peer with
// -procs, the leader's reporting, all exiting when their stdin closes):
// operations complete inside the window, none fails, and the leader's
// batches count.
func TestRunOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 3-peer clusters with fsync; skipped with -short")
	}
	benchkit.ActAsChild(t)
	for _, c := range []struct {
		transport string
		procs     bool
	}{{"inmem", false}, {"tcp", false}, {"tcp", true}} {
		p := point{transport: c.transport, store: "wal", procs: c.procs, clients: 4, size: 16,
			warmup: 200 * time.Millisecond, duration: 400 * time.Millisecond}
		t.Run(benchkit.RowKey{Transport: c.transport, Procs: c.procs}.TransportLabel(), func(t *testing.T) {
			res, err := runOnce(p, t.TempDir())
			require.NoError(t, err)
			assert.Positive(t, res.Ops)
			assert.Zero(t, res.Errors)
			assert.Positive(t, res.P50us)
			assert.Positive(t, res.LeaderSyncs)
			assert.GreaterOrEqual(t, res.EntriesPerWrite, 1.0)
			assert.Equal(t, "raft-wal", res.Store)
			assert.Equal(t, c.transport, res.Transport)
			assert.Equal(t, c.procs, res.Procs)
		})
	}
}

// A node given a bad -id refuses it and exits instead of serving.
func TestRunNodeRefusesBadID(t *testing.T) {
	p := point{transport: "tcp", store: "wal", procs: true, clients: 1}
	three := []string{"a:1", "b:2", "c:3"}
	assert.Error(t, runNode(p, -1, three, t.TempDir()))
	assert.Error(t, runNode(p, 3, three, t.TempDir()))
	assert.Error(t, runNode(p, 0, three[:1], t.TempDir()), "three peers")
}

// Children of this test binary run as the baseline program: runOnce
// re-executes os.Args[0], which under `go test` is this test binary.
func TestMain(m *testing.M) { os.Exit(benchkit.ChildMain(m, main)) }
