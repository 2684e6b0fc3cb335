package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rafter-go/rafter"

	"github.com/rafter-go/rafter/examples/bench/benchkit"
)

// point is one measured configuration.
type point struct {
	transport   string
	op          string // "write" or "read"
	clients     int
	size        int
	warmup      time.Duration
	duration    time.Duration
	stats       bool
	maxAppend   int
	maxInflight int
	cpuprofile  string
	diag        diagnostics // -trace, -blockprofile, -mutexprofile (trace.go)
	metrics     bool        // SystemOptions.Metrics set
	// snapshotEntries is Options.SnapshotEntries (0: no snapshots).
	snapshotEntries uint64
}

// startTimeout bounds starting the cluster and electing a leader.
const startTimeout = 60 * time.Second

// prefillClients is how many goroutines write every key once before a
// read point, so that reads return values of the point's size.
const prefillClients = 64

// runPointHere runs one point in this process with data under dir.
func runPointHere(p point, dir string) (benchkit.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cl, err := startCluster(ctx, clusterOptions{transport: p.transport, dir: dir, stats: p.stats,
		maxAppend: p.maxAppend, maxInflight: p.maxInflight, metrics: p.metrics, snapshotEntries: p.snapshotEntries})
	if err != nil {
		return benchkit.Result{}, fmt.Errorf("bench: start cluster: %w", err)
	}
	defer cl.close()
	return measureWith(ctx, cl, p)
}

// measureWith is measure with p's -trace, -blockprofile and -mutexprofile
// on around it (in a "procs" run only the leader's process measures, so
// its own table has no follower hops; crossTrace adds them).
func measureWith(ctx context.Context, cl *cluster, p point) (benchkit.Result, error) {
	stop, err := p.diag.start()
	if err != nil {
		return benchkit.Result{}, err
	}
	res, err := measure(ctx, cl, p)
	if serr := stop(); err == nil && serr != nil {
		return benchkit.Result{}, serr
	}
	return res, err
}

// measure runs point p's load against cl's leader from cl's client
// System; ctx bounds the read point's prefill.
func measure(ctx context.Context, cl *cluster, p point) (benchkit.Result, error) {
	var op benchkit.OpFn
	switch p.op {
	case "write":
		op = func(ctx context.Context, gid, seq int) error {
			_, err := cl.client.Op(ctx, cl.leader, benchkit.MakeCmd(benchkit.KeyFor(gid, seq), p.size))
			return err
		}
	case "read":
		if err := prefill(ctx, cl, p.size); err != nil {
			return benchkit.Result{}, err
		}
		op = func(ctx context.Context, gid, seq int) error {
			v, err := cl.client.ReadOp(ctx, cl.leader, []byte(benchkit.KeyFor(gid, seq)))
			if err == nil && len(v) != p.size {
				return fmt.Errorf("bench: read %d bytes, want %d", len(v), p.size)
			}
			return err
		}
	default:
		return benchkit.Result{}, fmt.Errorf("bench: unknown op %q (want write or read)", p.op)
	}
	stats := func() (uint64, uint64, uint64, bool) {
		if !p.stats {
			return 0, 0, 0, false
		}
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		st, err := cl.logStats(sctx)
		if err != nil {
			return 0, 0, 0, false
		}
		return st.GetSyncs(), st.GetWrites(), st.GetEntries(), true
	}
	res, err := benchkit.RunLoad(op, stats, benchkit.LoadOptions{Clients: p.clients, Warmup: p.warmup,
		Duration: p.duration, CPUProfile: p.cpuprofile})
	if err != nil {
		return benchkit.Result{}, err
	}
	fillPoint(&res, p)
	return res, nil
}

// fillPoint labels a Result with its point.
func fillPoint(r *benchkit.Result, p point) {
	r.System, r.Store, r.Transport, r.Op = benchkit.RafterSystem, "logserver", p.transport, p.op
	r.Procs = p.transport == "procs"
	r.Clients, r.Size = p.clients, p.size
	if p.metrics {
		// Its own row in the tables, beside the run without metrics.
		r.Store = "logserver+metrics"
	}
	if p.maxAppend > 0 || p.maxInflight > 0 {
		r.Note = fmt.Sprintf("maxappend=%d inflight=%d", p.maxAppend, p.maxInflight)
	}
	if p.snapshotEntries != rafter.DefaultOptions().SnapshotEntries {
		r.Note = strings.TrimSpace(fmt.Sprintf("%s snapshot-entries=%d", r.Note, p.snapshotEntries))
	}
}

// prefill writes every key once with a value of size bytes.
func prefill(ctx context.Context, cl *cluster, size int) error {
	var wg sync.WaitGroup
	errs := make(chan error, prefillClients)
	for g := range prefillClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := g; k < benchkit.KeySpace; k += prefillClients {
				key := fmt.Sprintf("k%d", k)
				if _, err := cl.client.Op(ctx, cl.leader, benchkit.MakeCmd(key, size)); err != nil {
					errs <- fmt.Errorf("bench: prefill %s: %w", key, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}
