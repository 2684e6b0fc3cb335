package main

import (
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/examples/bench/benchkit"
)

// The FSM answers malformed commands with benchkit.ErrBadCommand and
// stores nothing; a good command's value is stored under its key.
func TestFSMApply(t *testing.T) {
	for name, cmd := range benchkit.MalformedCmds() {
		f := newKV()
		out := f.Apply(&raft.Log{Type: raft.LogCommand, Data: cmd})
		err, _ := out.(error)
		assert.ErrorIs(t, err, benchkit.ErrBadCommand, name)
		assert.Empty(t, f.m, name)
	}
	f := newKV()
	assert.Nil(t, f.Apply(&raft.Log{Type: raft.LogCommand, Data: benchkit.MakeCmd("k7", 4)}))
	assert.Len(t, f.m["k7"], 4)
}

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

// A short real run of each in-process transport with raft-wal: operations
// complete inside the window, none fails, and the leader's batches count.
func TestRunInProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-peer cluster with fsync; skipped with -short")
	}
	for _, tr := range []string{"inmem", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			p := point{transport: tr, store: "wal", clients: 4, size: 16,
				warmup: 100 * time.Millisecond, duration: 400 * time.Millisecond}
			res, err := runInProcess(p, t.TempDir())
			require.NoError(t, err)
			assert.Positive(t, res.Ops)
			assert.Zero(t, res.Errors)
			assert.Positive(t, res.P50us)
			assert.Positive(t, res.LeaderSyncs)
			assert.GreaterOrEqual(t, res.EntriesPerWrite, 1.0)
			assert.Equal(t, "raft-wal", res.Store)
			assert.Equal(t, tr, res.Transport)
		})
	}
}
