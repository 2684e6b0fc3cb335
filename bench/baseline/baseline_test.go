package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCmdRoundTrip(t *testing.T) {
	for _, size := range []int{0, 100, 1024} {
		id, k, v, ok := decodeCmd(makeCmd(keyFor(3, 5), size))
		require.True(t, ok)
		assert.NotZero(t, id)
		assert.Equal(t, "k3762", k) // (3*7919+5) mod 10000
		assert.Len(t, v, size)
	}
	assert.NotEqual(t, makeCmd("k1", 10), makeCmd("k1", 10), "every command carries a fresh id")
}

func TestFSMApply(t *testing.T) {
	cases := []struct {
		name    string
		cmd     []byte
		wantErr bool
	}{
		{"short", []byte{1, 2, 3}, true},
		{"key longer than command", append(make([]byte, 8), 0xff, 0x00, 'k'), true},
		{"ok", makeCmd("k7", 4), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newKV()
			out := f.Apply(&raft.Log{Type: raft.LogCommand, Data: c.cmd})
			if c.wantErr {
				assert.ErrorIs(t, out.(error), errBadCommand)
				assert.Empty(t, f.m)
				return
			}
			assert.Nil(t, out)
			assert.Len(t, f.m["k7"], 4)
		})
	}
}

func TestParseResult(t *testing.T) {
	r, err := parseResult("noise\nRESULT {\"ops\":7,\"op\":\"write\",\"procs\":true}\n")
	require.NoError(t, err)
	assert.Equal(t, int64(7), r.Ops)
	assert.True(t, r.Procs)
	_, err = parseResult("nothing here")
	assert.ErrorIs(t, err, errNoResultLine)
}

func TestTableSeparatesProcs(t *testing.T) {
	rs := []Result{
		{System: "hashicorp/raft", Store: "raft-wal", Transport: "tcp", Op: "write", Size: 100, Clients: 16, OpsPerSec: 10},
		{System: "hashicorp/raft", Store: "raft-wal", Transport: "tcp", Procs: true, Op: "write", Size: 100, Clients: 16, OpsPerSec: 30},
		{System: "hashicorp/raft", Store: "raft-wal", Transport: "tcp", Procs: true, Op: "write", Size: 100, Clients: 16, OpsPerSec: 20},
	}
	rows := groupRows(rs)
	require.Len(t, rows, 2)
	var b bytes.Buffer
	printTable(&b, rows)
	assert.Contains(t, b.String(), "| tcp | write | 100 | 16 | 1 | 10 |")
	assert.Contains(t, b.String(), "| tcp+procs | write | 100 | 16 | 2 | 25 | 20-30 |")
}

func TestPointOfRefuses(t *testing.T) {
	f := flags{warmup: time.Second, duration: time.Second}
	for _, c := range []struct{ transport, store, clients, size string }{
		{"inmem", "wal", "0", "100"},
		{"inmem", "wal", "1", "-1"},
		{"inmem", "wal", "1", "2000000"},
		{"inmem", "bolt", "1", "100"},
	} {
		_, err := pointOf(f, c.transport, c.store, c.clients, c.size)
		assert.Error(t, err, "%+v", c)
	}
	f.procs = true
	_, err := pointOf(f, "inmem", "wal", "1", "100")
	assert.Error(t, err, "-procs needs tcp")
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
