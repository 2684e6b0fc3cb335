package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Result is one measured run (one point, one repetition). Its fields and
// JSON names are examples/bench's Result, field for field, so either
// program's -aggregate reads the other's JSON lines.
type Result struct {
	System    string `json:"system"`
	Store     string `json:"store"`
	Transport string `json:"transport"`
	// Procs: each peer ran in its own OS process.
	Procs     bool    `json:"procs,omitempty"`
	Op        string  `json:"op"` // "write" (Op) or "read" (ReadOp)
	Clients   int     `json:"clients"`
	Size      int     `json:"size"`
	Seconds   float64 `json:"seconds"`
	Ops       int64   `json:"ops"`
	Errors    int64   `json:"errors"`
	OpsPerSec float64 `json:"ops_per_sec"`
	P50us     float64 `json:"p50_us"`
	P99us     float64 `json:"p99_us"`
	P999us    float64 `json:"p999_us"`
	MaxUs     float64 `json:"max_us"`
	MeanUs    float64 `json:"mean_us"`
	// CPUCores is the machine-wide busy CPU during the window, in cores.
	CPUCores float64 `json:"cpu_cores"`
	// ProcCores is the CPU of the process running the clients during the
	// window, in cores: all three peers with them, or only the leader's
	// with Procs.
	ProcCores float64 `json:"proc_cores"`
	// BGCores is the machine-wide busy CPU for 1 s before and after the
	// run (the larger): load from anything else.
	BGCores float64 `json:"bg_cores"`
	// LeaderSyncs and LeaderWrites are both the leader's StoreLogs batches
	// in the window (raft-wal fsyncs once per batch), EntriesPerWrite the
	// entries per batch: examples/bench's entries per fsync round.
	LeaderSyncs     int64   `json:"leader_syncs"`
	LeaderWrites    int64   `json:"leader_writes"`
	EntriesPerWrite float64 `json:"entries_per_write"`
	GOMAXPROCS      int     `json:"gomaxprocs"`
	Note            string  `json:"note,omitempty"`
}

// rowKey identifies a point of the table.
type rowKey struct {
	System, Store, Transport, Op string
	Procs                        bool
	Size, Clients                int
}

func (r Result) key() rowKey {
	return rowKey{r.System, r.Store, r.Transport, r.Op, r.Procs, r.Size, r.Clients}
}

// row is one point and its runs.
type row struct {
	key  rowKey
	runs []Result
}

// groupRows groups runs by point, in first-seen order.
func groupRows(rs []Result) []row {
	var rows []row
	idx := map[rowKey]int{}
	for _, r := range rs {
		i, ok := idx[r.key()]
		if !ok {
			i = len(rows)
			idx[r.key()] = i
			rows = append(rows, row{key: r.key()})
		}
		rows[i].runs = append(rows[i].runs, r)
	}
	return rows
}

// readJSONLines reads Results written by -json.
func readJSONLines(files []string) ([]Result, error) {
	var rs []Result
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("baseline: aggregate: %w", err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(l) == "" {
				continue
			}
			var r Result
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				return nil, fmt.Errorf("baseline: aggregate %s: %w", f, err)
			}
			rs = append(rs, r)
		}
	}
	return rs, nil
}

// median of v (sorted in place); 0 for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	if len(v)%2 == 0 {
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return v[len(v)/2]
}

// field collects f over the runs, skipping zeros if nonZero.
func field(runs []Result, nonZero bool, f func(Result) float64) []float64 {
	var v []float64
	for _, r := range runs {
		if x := f(r); x > 0 || !nonZero {
			v = append(v, x)
		}
	}
	return v
}

// printTable writes the median table, examples/bench's columns.
func printTable(w io.Writer, rows []row) {
	fmt.Fprintf(w, "\n| system | store | transport | op | size B | clients | runs | ops/s (median) | ops/s min-max | p50 ms | p99 ms | CPU cores | proc CPU | bg max | entries/fsync | errors |\n")
	fmt.Fprintf(w, "|---|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, rw := range rows {
		k := rw.key
		if len(rw.runs) == 0 {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %d | %d | 0 | FAILED | | | | | | | | |\n", k.System, k.Store, transportLabel(k), k.Op, k.Size, k.Clients)
			continue
		}
		ops := field(rw.runs, false, func(r Result) float64 { return r.OpsPerSec })
		sort.Float64s(ops)
		var errs int64
		var bgMax float64
		for _, r := range rw.runs {
			errs += r.Errors
			bgMax = max(bgMax, r.BGCores)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %d | %d | %d | %.0f | %.0f-%.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f | %d |\n",
			k.System, k.Store, transportLabel(k), k.Op, k.Size, k.Clients, len(rw.runs),
			median(ops), ops[0], ops[len(ops)-1],
			median(field(rw.runs, false, func(r Result) float64 { return r.P50us }))/1000,
			median(field(rw.runs, false, func(r Result) float64 { return r.P99us }))/1000,
			median(field(rw.runs, false, func(r Result) float64 { return r.CPUCores })),
			median(field(rw.runs, true, func(r Result) float64 { return r.ProcCores })),
			bgMax,
			median(field(rw.runs, true, func(r Result) float64 { return r.EntriesPerWrite })),
			errs)
	}
}

// transportLabel is the transport column: "+procs" marks one OS process
// per peer (examples/bench's "procs" transport says so already).
func transportLabel(k rowKey) string {
	if k.Procs && k.Transport != "procs" {
		return k.Transport + "+procs"
	}
	return k.Transport
}
