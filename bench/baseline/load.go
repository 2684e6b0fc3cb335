package main

import (
	"context"

	"github.com/rafter-go/rafter/examples/bench/benchkit"
)

// measure runs point p's load against x, the leader, and labels the
// result. Each client operation is one raft.Apply, bounded by its own
// applyTimeout (benchkit.OpTimeout), so the driver's context goes unused;
// the command is built inside the timed operation, as examples/bench
// builds its own.
func (x *peer) measure(p point) (benchkit.Result, error) {
	op := func(_ context.Context, gid, seq int) error {
		return x.apply(benchkit.MakeCmd(benchkit.KeyFor(gid, seq), p.size))
	}
	// hashicorp/raft has one write request per batch: syncs = writes.
	stats := func() (syncs, writes, entries uint64, ok bool) {
		b, e := x.store.stats()
		return b, b, e, true
	}
	res, err := benchkit.RunLoad(op, stats, benchkit.LoadOptions{Clients: p.clients,
		Warmup: p.warmup, Duration: p.duration})
	if err != nil {
		return benchkit.Result{}, err
	}
	p.label(&res)
	return res, nil
}
