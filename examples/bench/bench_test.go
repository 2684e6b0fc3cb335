package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCmdRoundTrip(t *testing.T) {
	for _, size := range []int{0, 100, 1024} {
		b := makeCmd(keyFor(3, 5), size)
		id, k, v, ok := decodeCmd(b)
		require.True(t, ok)
		assert.NotZero(t, id)
		assert.Equal(t, keyFor(3, 5), k)
		assert.Len(t, v, size)
	}
	_, _, _, ok := decodeCmd(makeCmd("k1", 10))
	assert.True(t, ok)
	assert.NotEqual(t, makeCmd("k1", 10), makeCmd("k1", 10), "every command carries a fresh id")
}

func TestKVApply(t *testing.T) {
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
			s := newKV()
			_, err := s.Apply(1, c.cmd)
			if c.wantErr {
				assert.ErrorIs(t, err, errBadCommand)
				return
			}
			require.NoError(t, err)
			v, err := s.Read([]byte("k7"))
			require.NoError(t, err)
			assert.Len(t, v, 4)
		})
	}
}

func TestTableMedians(t *testing.T) {
	rs := []Result{
		{System: "rafter-go", Op: "write", Transport: "local", Size: 100, Clients: 1, OpsPerSec: 10, P50us: 300, EntriesPerWrite: 1},
		{System: "rafter-go", Op: "write", Transport: "local", Size: 100, Clients: 1, OpsPerSec: 30, P50us: 100, EntriesPerWrite: 1},
		{System: "rafter-go", Op: "write", Transport: "local", Size: 100, Clients: 1, OpsPerSec: 20, P50us: 200, EntriesPerWrite: 1},
		{System: "rafter-go", Op: "read", Transport: "local", Size: 100, Clients: 1, OpsPerSec: 5},
	}
	rows := groupRows(rs)
	require.Len(t, rows, 2)
	var b bytes.Buffer
	printTable(&b, rows)
	assert.Contains(t, b.String(), "| rafter-go |  | local | write | 100 | 1 | 3 | 20 | 10-30 | 0.20 |")
	assert.Contains(t, b.String(), "| local | read | 100 | 1 | 1 | 5 | 5-5 |")
}

func TestParseResult(t *testing.T) {
	r, err := parseResult("noise\nRESULT {\"ops\":7,\"op\":\"read\"}\n")
	require.NoError(t, err)
	assert.Equal(t, int64(7), r.Ops)
	assert.Equal(t, "read", r.Op)
	_, err = parseResult("nothing here")
	assert.Error(t, err)
}

// A short real run of each op on a local cluster: operations complete
// inside the window, none fails, and the leader's log stats are read.
func TestRunPointLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-peer cluster with fsync; skipped with -short")
	}
	for _, op := range []string{"write", "read"} {
		t.Run(op, func(t *testing.T) {
			p := point{transport: "local", op: op, clients: 4, size: 16, warmup: 100 * time.Millisecond,
				duration: 400 * time.Millisecond, stats: true}
			res, err := runPointHere(p, t.TempDir())
			require.NoError(t, err)
			assert.Positive(t, res.Ops)
			assert.Zero(t, res.Errors)
			assert.Positive(t, res.P50us)
			assert.Equal(t, "rafter-go", res.System)
			if op == "write" {
				assert.Positive(t, res.LeaderSyncs)
				assert.GreaterOrEqual(t, res.EntriesPerWrite, 1.0)
			}
		})
	}
}

func TestUnknownTransport(t *testing.T) {
	_, err := runPointHere(point{transport: "carrier-pigeon", op: "write", clients: 1}, t.TempDir())
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "unknown transport"))
}
