package benchkit

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// RowKey identifies a point of the table.
type RowKey struct {
	System, Store, Transport, Op string
	Procs                        bool
	Size, Clients                int
}

// Key is the point r was measured at.
func (r Result) Key() RowKey {
	return RowKey{r.System, r.Store, r.Transport, r.Op, r.Procs, r.Size, r.Clients}
}

// Row is one point and its runs.
type Row struct {
	Key  RowKey
	Runs []Result
}

// GroupRows groups runs by point, in first-seen order.
func GroupRows(rs []Result) []Row {
	var rows []Row
	idx := map[RowKey]int{}
	for _, r := range rs {
		i, ok := idx[r.Key()]
		if !ok {
			i = len(rows)
			idx[r.Key()] = i
			rows = append(rows, Row{Key: r.Key()})
		}
		rows[i].Runs = append(rows[i].Runs, r)
	}
	return rows
}

// Aggregate prints the median table of the JSON-lines files named by the
// comma list files (-aggregate).
func Aggregate(w io.Writer, files string) error { return printFiles(w, files, PrintTable) }

// printFiles prints the runs of the JSON-lines files named by the comma
// list files as table does.
func printFiles(w io.Writer, files string, table func(io.Writer, []Row)) error {
	rs, err := ReadJSONLines(strings.Split(files, ","))
	if err != nil {
		return err
	}
	table(w, GroupRows(rs))
	return nil
}

// Median of v (sorted in place); 0 for none.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	if len(v)%2 == 0 {
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return v[len(v)/2]
}

// Field collects f over the runs, skipping zeros if nonZero.
func Field(runs []Result, nonZero bool, f func(Result) float64) []float64 {
	var v []float64
	for _, r := range runs {
		if x := f(r); x > 0 || !nonZero {
			v = append(v, x)
		}
	}
	return v
}

// PrintTable writes the median table; a point without runs reads FAILED.
func PrintTable(w io.Writer, rows []Row) {
	fmt.Fprintf(w, "\n| system | store | transport | op | size B | clients | runs | ops/s (median) | ops/s min-max | p50 ms | p99 ms | CPU cores | proc CPU | bg max | entries/fsync | errors |\n")
	fmt.Fprintf(w, "|---|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, rw := range rows {
		k := rw.Key
		if len(rw.Runs) == 0 {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %d | %d | 0 | FAILED | | | | | | | | |\n", k.System, k.Store, k.TransportLabel(), k.Op, k.Size, k.Clients)
			continue
		}
		ops := Field(rw.Runs, false, func(r Result) float64 { return r.OpsPerSec })
		sort.Float64s(ops)
		var errs int64
		var bgMax float64
		for _, r := range rw.Runs {
			errs += r.Errors
			bgMax = max(bgMax, r.BGCores)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %d | %d | %d | %.0f | %.0f-%.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f | %d |\n",
			k.System, k.Store, k.TransportLabel(), k.Op, k.Size, k.Clients, len(rw.Runs),
			Median(ops), ops[0], ops[len(ops)-1],
			Median(Field(rw.Runs, false, func(r Result) float64 { return r.P50us }))/1000,
			Median(Field(rw.Runs, false, func(r Result) float64 { return r.P99us }))/1000,
			Median(Field(rw.Runs, false, func(r Result) float64 { return r.CPUCores })),
			Median(Field(rw.Runs, true, func(r Result) float64 { return r.ProcCores })),
			bgMax,
			Median(Field(rw.Runs, true, func(r Result) float64 { return r.EntriesPerWrite })),
			errs)
	}
}

// TransportLabel is the transport column: the baseline's "tcp" with one
// OS process per peer reads "tcp+procs" (rafter's "procs" says so
// already).
func (k RowKey) TransportLabel() string {
	return transportLabel(k.Transport, k.Procs)
}

func transportLabel(transport string, procs bool) string {
	if procs && transport != "procs" {
		return transport + "+procs"
	}
	return transport
}
