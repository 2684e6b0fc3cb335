package main

import (
	"fmt"
	"io"
)

// Systems as they appear in Results: this program's and bench/baseline's.
const (
	rafterSystem    = "rafter-go"
	hashicorpSystem = "hashicorp/raft"
	hashicorpStore  = "raft-wal"
)

// setting pairs a rafter transport with its hashicorp/raft counterpart:
// the same deployment shape on both sides.
type setting struct {
	name            string
	rafterTransport string
	hashiTransport  string
	hashiProcs      bool
}

// settings in table order. "local" (three peers in one System) is
// measured against the in-memory transport, "remote" (three Systems over
// gRPC, one process) against TCP in one process, "procs" (three OS
// processes) against TCP with -procs.
var settings = []setting{
	{"one process", "local", "inmem", false},
	{"one process, network", "remote", "tcp", false},
	{"three processes", "procs", "tcp", true},
}

// printRatios writes one line per write point measured by both programs:
// medians of each and the ratio rafter / hashicorp (above 1 is rafter
// faster for ops/s; below 1 is rafter faster for latency).
func printRatios(w io.Writer, rows []row) {
	idx := map[rowKey]row{}
	for _, r := range rows {
		idx[r.key] = r
	}
	fmt.Fprintf(w, "\n| setting | size B | clients | rafter ops/s | hashicorp ops/s | ops ratio | rafter p50 ms | hashicorp p50 ms | p50 ratio | rafter p99 ms | hashicorp p99 ms | p99 ratio | runs r/h |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, st := range settings {
		for _, r := range rows {
			k := r.key
			if k.System != rafterSystem || k.Op != "write" || k.Transport != st.rafterTransport {
				continue
			}
			hk := rowKey{System: hashicorpSystem, Store: hashicorpStore, Transport: st.hashiTransport,
				Op: "write", Procs: st.hashiProcs, Size: k.Size, Clients: k.Clients}
			h, ok := idx[hk]
			if !ok || len(r.runs) == 0 || len(h.runs) == 0 {
				continue
			}
			ra, ha := medians(r.runs), medians(h.runs)
			fmt.Fprintf(w, "| %s | %d | %d | %.0f | %.0f | %s | %.2f | %.2f | %s | %.2f | %.2f | %s | %d/%d |\n",
				st.name, k.Size, k.Clients, ra.ops, ha.ops, ratio(ra.ops, ha.ops),
				ra.p50/1000, ha.p50/1000, ratio(ra.p50, ha.p50),
				ra.p99/1000, ha.p99/1000, ratio(ra.p99, ha.p99), len(r.runs), len(h.runs))
		}
	}
}

// pointMedians are the medians of a point's runs.
type pointMedians struct{ ops, p50, p99 float64 }

func medians(runs []Result) pointMedians {
	return pointMedians{
		ops: median(field(runs, false, func(r Result) float64 { return r.OpsPerSec })),
		p50: median(field(runs, false, func(r Result) float64 { return r.P50us })),
		p99: median(field(runs, false, func(r Result) float64 { return r.P99us })),
	}
}

// ratio is a/b with two decimals and a "×", or "—" when b is zero.
func ratio(a, b float64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a/b)
}
