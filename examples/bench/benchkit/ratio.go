package benchkit

import (
	"fmt"
	"io"
)

// Systems and the baseline's store as they appear in Results.
const (
	RafterSystem    = "rafter-go"
	HashicorpSystem = "hashicorp/raft"
	HashicorpStore  = "raft-wal"
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

// Compare prints the ratio table of the JSON-lines files named by the
// comma list files (-compare).
func Compare(w io.Writer, files string) error { return printFiles(w, files, PrintRatios) }

// PrintRatios writes one line per write point measured by both programs:
// medians of each and the ratio rafter / hashicorp (above 1 is rafter
// faster for ops/s; below 1 is rafter faster for latency).
func PrintRatios(w io.Writer, rows []Row) {
	idx := map[RowKey]Row{}
	for _, r := range rows {
		idx[r.Key] = r
	}
	fmt.Fprintf(w, "\n| setting | size B | clients | rafter ops/s | hashicorp ops/s | ops ratio | rafter p50 ms | hashicorp p50 ms | p50 ratio | rafter p99 ms | hashicorp p99 ms | p99 ratio | runs r/h |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, st := range settings {
		for _, r := range rows {
			k := r.Key
			if k.System != RafterSystem || k.Op != "write" || k.Transport != st.rafterTransport {
				continue
			}
			hk := RowKey{System: HashicorpSystem, Store: HashicorpStore, Transport: st.hashiTransport,
				Op: "write", Procs: st.hashiProcs, Size: k.Size, Clients: k.Clients}
			h, ok := idx[hk]
			if !ok || len(r.Runs) == 0 || len(h.Runs) == 0 {
				continue
			}
			ra, ha := medians(r.Runs), medians(h.Runs)
			fmt.Fprintf(w, "| %s | %d | %d | %.0f | %.0f | %s | %.2f | %.2f | %s | %.2f | %.2f | %s | %d/%d |\n",
				st.name, k.Size, k.Clients, ra.ops, ha.ops, ratio(ra.ops, ha.ops),
				ra.p50/1000, ha.p50/1000, ratio(ra.p50, ha.p50),
				ra.p99/1000, ha.p99/1000, ratio(ra.p99, ha.p99), len(r.Runs), len(h.Runs))
		}
	}
}

// pointMedians are the medians of a point's runs.
type pointMedians struct{ ops, p50, p99 float64 }

func medians(runs []Result) pointMedians {
	return pointMedians{
		ops: Median(Field(runs, false, func(r Result) float64 { return r.OpsPerSec })),
		p50: Median(Field(runs, false, func(r Result) float64 { return r.P50us })),
		p99: Median(Field(runs, false, func(r Result) float64 { return r.P99us })),
	}
}

// ratio is a/b with two decimals and a "×", or "—" when b is zero.
func ratio(a, b float64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a/b)
}
