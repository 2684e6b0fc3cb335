package hoptrace

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// Row is one hop of the table.
type Row struct {
	Hop      Hop
	N        int           // traces that reached it
	P50, P99 time.Duration // of the hop's own time (from the hop(s) it waits for)
	Since    time.Duration // median time from the client's call to the hop
	Share    float64       // P50 over the median total
}

// Table is the summary of the completed traces.
type Table struct {
	Traces, Dropped int
	P50, P99        time.Duration // a write's whole time, call to answer
	Rows            []Row
	// LeaderLast is the fraction of traces whose commit waited for the
	// leader's own LogWritten rather than the follower's ack (of those
	// with an ack: a follower in another process is not traced).
	LeaderLast float64
}

// Table summarises the traces completed so far.
func (r *Recorder) Table() Table {
	r.mu.Lock()
	done := slices.Clone(r.done)
	t := Table{Traces: len(done), Dropped: r.dropped}
	r.mu.Unlock()
	var total []int64
	leaderLast, acked := 0, 0
	for _, s := range done {
		total = append(total, s[Answered]-s[Called])
		if s[Acked] != 0 { // none without followers in this process
			acked++
			if s[LogWritten] > s[Acked] {
				leaderLast++
			}
		}
	}
	p50 := quantile(total, 0.5)
	t.P50, t.P99 = time.Duration(p50), time.Duration(quantile(total, 0.99))
	if acked > 0 {
		t.LeaderLast = float64(leaderLast) / float64(acked)
	}
	for _, seg := range segments {
		var own, since []int64
		for _, s := range done {
			if d, ok := seg.of(s); ok {
				own = append(own, d)
				since = append(since, s[seg.hop]-s[Called])
			}
		}
		row := Row{Hop: seg.hop, N: len(own), P50: time.Duration(quantile(own, 0.5)),
			P99: time.Duration(quantile(own, 0.99)), Since: time.Duration(quantile(since, 0.5))}
		if p50 > 0 {
			row.Share = float64(row.P50) / float64(p50)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// of is the segment's time in s, if s reached the hop and all it waits for.
func (seg segment) of(s stamps) (int64, bool) {
	if s[seg.hop] == 0 {
		return 0, false
	}
	var from int64
	for _, a := range seg.after {
		if s[a] == 0 {
			return 0, false
		}
		from = max(from, s[a])
	}
	return s[seg.hop] - from, true
}

// quantile is the q-quantile of v (nearest rank), 0 for none; it sorts v.
func quantile(v []int64, q float64) int64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	i := int(q*float64(len(v))+0.5) - 1
	return v[min(max(i, 0), len(v)-1)]
}

// WriteTable prints the table: one row per hop with its median and p99,
// its median share of the median write, and the median time from the call.
// Shares of the two branches (leader disk, replication) overlap in time, so
// the column does not sum to 100 %.
func (r *Recorder) WriteTable(w io.Writer) error {
	t := r.Table()
	us := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/1e3) }
	_, err := fmt.Fprintf(w, "trace: %d writes traced (%d dropped); call to answer p50 %s µs, p99 %s µs; commit waited for the leader's own fdatasync in %.0f %%\n",
		t.Traces, t.Dropped, us(t.P50), us(t.P99), 100*t.LeaderLast)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "%-30s %6s %9s %9s %7s %9s\n", "hop (time from the previous)", "n", "p50 µs", "p99 µs", "share", "at µs"); err != nil {
		return err
	}
	for _, row := range t.Rows {
		if _, err := fmt.Fprintf(w, "%-30s %6d %9s %9s %6.1f%% %9s\n", row.Hop, row.N, us(row.P50), us(row.P99), 100*row.Share, us(row.Since)); err != nil {
			return err
		}
	}
	return nil
}
