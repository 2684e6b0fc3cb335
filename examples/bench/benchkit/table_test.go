package benchkit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// table is the median table of rs, which must group into rows points.
func table(t *testing.T, rs []Result, rows int) string {
	t.Helper()
	g := GroupRows(rs)
	require.Len(t, g, rows)
	var b bytes.Buffer
	PrintTable(&b, g)
	return b.String()
}

func TestTableMedians(t *testing.T) {
	rs := []Result{
		{System: "rafter-go", Op: "write", Transport: "local", Size: 100, Clients: 1, OpsPerSec: 10, P50us: 300, EntriesPerWrite: 1},
		{System: "rafter-go", Op: "write", Transport: "local", Size: 100, Clients: 1, OpsPerSec: 30, P50us: 100, EntriesPerWrite: 1},
		{System: "rafter-go", Op: "write", Transport: "local", Size: 100, Clients: 1, OpsPerSec: 20, P50us: 200, EntriesPerWrite: 1},
		{System: "rafter-go", Op: "read", Transport: "local", Size: 100, Clients: 1, OpsPerSec: 5},
	}
	out := table(t, rs, 2)
	assert.Contains(t, out, "| rafter-go |  | local | write | 100 | 1 | 3 | 20 | 10-30 | 0.20 |")
	assert.Contains(t, out, "| local | read | 100 | 1 | 1 | 5 | 5-5 |")
}

func TestTableSeparatesProcs(t *testing.T) {
	rs := []Result{
		{System: "hashicorp/raft", Store: "raft-wal", Transport: "tcp", Op: "write", Size: 100, Clients: 16, OpsPerSec: 10},
		{System: "hashicorp/raft", Store: "raft-wal", Transport: "tcp", Procs: true, Op: "write", Size: 100, Clients: 16, OpsPerSec: 30},
		{System: "hashicorp/raft", Store: "raft-wal", Transport: "tcp", Procs: true, Op: "write", Size: 100, Clients: 16, OpsPerSec: 20},
		{System: "rafter-go", Store: "logserver", Transport: "procs", Procs: true, Op: "write", Size: 100, Clients: 16, OpsPerSec: 5},
	}
	out := table(t, rs, 3)
	assert.Contains(t, out, "| tcp | write | 100 | 16 | 1 | 10 |")
	assert.Contains(t, out, "| tcp+procs | write | 100 | 16 | 2 | 25 | 20-30 |")
	assert.Contains(t, out, "| procs | write | 100 | 16 | 1 | 5 |", "rafter's procs is not relabelled")
}

func TestParseResult(t *testing.T) {
	r, err := ParseResult("noise\nRESULT {\"ops\":7,\"op\":\"read\",\"procs\":true}\n")
	require.NoError(t, err)
	assert.Equal(t, int64(7), r.Ops)
	assert.Equal(t, "read", r.Op)
	assert.True(t, r.Procs)
	_, err = ParseResult("nothing here")
	assert.ErrorIs(t, err, ErrNoResultLine)
	_, err = ParseResult("RESULT {not json")
	assert.Error(t, err)
}

func TestPrintResultParses(t *testing.T) {
	var b bytes.Buffer
	want := Result{System: RafterSystem, Ops: 3, P50us: 1.5, Procs: true}
	require.NoError(t, PrintResult(&b, want))
	got, err := ParseResult("before\n" + b.String())
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// Lines written by a sweep's -json read back through -aggregate.
func TestJSONLinesAggregate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.jsonl")
	f, err := os.Create(path)
	require.NoError(t, err)
	for _, ops := range []float64{10, 30, 20} {
		require.NoError(t, appendJSONLine(f, Result{System: HashicorpSystem, Transport: "inmem", Op: "write", Size: 1, Clients: 1, OpsPerSec: ops}))
	}
	require.NoError(t, f.Close())
	var b bytes.Buffer
	require.NoError(t, Aggregate(&b, path))
	assert.Contains(t, b.String(), "| inmem | write | 1 | 1 | 3 | 20 | 10-30 |")
	assert.Error(t, Aggregate(&b, path+",missing.jsonl"))
	require.NoError(t, os.WriteFile(path, []byte("{\"ops\":\n"), 0o644))
	assert.Error(t, Aggregate(&b, path), "a truncated line is refused")
}

func TestMedian(t *testing.T) {
	assert.Zero(t, Median(nil))
	assert.Equal(t, 2.0, Median([]float64{3, 1, 2}))
	assert.Equal(t, 2.5, Median([]float64{4, 1, 3, 2}))
}
