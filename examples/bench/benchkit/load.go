package benchkit

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// OpFn performs client gid's seq-th operation and returns once it is done
// (committed and applied for writes, answered for reads). ctx carries
// OpTimeout.
type OpFn func(ctx context.Context, gid, seq int) error

// StatsFn returns the leader log's cumulative (fsync rounds, write
// requests, entries); ok is false when they are unavailable.
type StatsFn func() (syncs, writes, entries uint64, ok bool)

// NoStats is the StatsFn of a run without log statistics.
func NoStats() (syncs, writes, entries uint64, ok bool) { return 0, 0, 0, false }

const (
	// OpTimeout bounds one operation (hashicorp/raft's raft.Apply is given
	// the same).
	OpTimeout = 10 * time.Second
	// errorBackoff is how long a client waits after a failed operation
	// before the next: pacing, not synchronisation.
	errorBackoff = 10 * time.Millisecond
	// drainTimeout bounds the wait for the clients to finish after the
	// window.
	drainTimeout = 30 * time.Second
)

// LoadOptions is the shape of one measured run.
type LoadOptions struct {
	Clients    int
	Warmup     time.Duration
	Duration   time.Duration
	CPUProfile string // write a CPU profile of the window here ("" = none)
}

// The phases of a run: clients count only what both starts and finishes
// in phaseMeasure.
const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseStop
)

// RunLoad drives o.Clients closed-loop goroutines for warm-up + window and
// measures only operations that both start and finish inside the window.
// The Result carries the measurement; the caller labels its point.
func RunLoad(op OpFn, stats StatsFn, o LoadOptions) (Result, error) {
	var phase atomic.Int32
	var errs atomic.Int64
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	for g := range o.Clients {
		wg.Go(func() {
			lat := client(op, g, &phase, &errs)
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		})
	}
	time.Sleep(o.Warmup) // the warm-up is a span of wall time, not a wait for an event
	stopProfile, err := startProfile(o.CPUProfile)
	if err != nil {
		phase.Store(phaseStop)
		wg.Wait()
		return Result{}, err
	}
	c0, r0 := ReadCPU(), SelfCPU()
	s0, w0, e0, ok0 := stats()
	t0 := time.Now()
	phase.Store(phaseMeasure)
	time.Sleep(o.Duration) // the measurement window
	phase.Store(phaseStop)
	el := time.Since(t0)
	s1, w1, e1, ok1 := stats()
	c1, r1 := ReadCPU(), SelfCPU()
	stopProfile()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(drainTimeout):
		fmt.Fprintf(os.Stderr, "warning: clients did not finish within %v of stop\n", drainTimeout)
	}
	mu.Lock()
	defer mu.Unlock()
	r := Result{Clients: o.Clients, Seconds: el.Seconds(), Ops: int64(len(all)), Errors: errs.Load(),
		GOMAXPROCS: runtime.GOMAXPROCS(0)}
	r.OpsPerSec = float64(r.Ops) / el.Seconds()
	r.setLatency(all)
	r.CPUCores = c1.CoresSince(c0)
	r.ProcCores = (r1 - r0).Seconds() / el.Seconds()
	if ok0 && ok1 && s1 > s0 {
		r.LeaderSyncs, r.LeaderWrites = int64(s1-s0), int64(w1-w0)
		r.EntriesPerWrite = float64(e1-e0) / float64(s1-s0)
	}
	return r, nil
}

// client is one closed-loop client: operations one after the other until
// phaseStop, returning the latencies of those that both started and
// finished in phaseMeasure; failures there count in errs.
func client(op OpFn, gid int, phase *atomic.Int32, errs *atomic.Int64) []time.Duration {
	lat := make([]time.Duration, 0, 4096)
	for seq := 0; ; seq++ {
		p := phase.Load()
		if p == phaseStop {
			return lat
		}
		ctx, cancel := context.WithTimeout(context.Background(), OpTimeout)
		t0 := time.Now()
		err := op(ctx, gid, seq)
		d := time.Since(t0)
		cancel()
		if err != nil {
			if p == phaseMeasure {
				errs.Add(1)
			}
			time.Sleep(errorBackoff)
			continue
		}
		if p == phaseMeasure && phase.Load() == phaseMeasure {
			lat = append(lat, d)
		}
	}
}

// startProfile starts a CPU profile into path ("" = none) and returns
// the function that stops it.
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("benchkit: cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("benchkit: cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
}

// setLatency fills the latency fields from the window's latencies.
func (r *Result) setLatency(all []time.Duration) {
	if len(all) == 0 {
		return
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	us := func(d time.Duration) float64 { return float64(d) / 1e3 }
	q := func(p float64) float64 { return us(all[int(p*float64(len(all)-1))]) }
	var sum time.Duration
	for _, d := range all {
		sum += d
	}
	r.P50us, r.P99us, r.P999us, r.MaxUs = q(0.5), q(0.99), q(0.999), us(all[len(all)-1])
	r.MeanUs = us(sum) / float64(len(all))
}
