package main

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

// opFn performs client gid's seq-th operation and returns once it is done
// (committed and applied for writes, answered for reads).
type opFn func(ctx context.Context, gid, seq int) error

// statsFn returns the leader log server's cumulative (fsync rounds,
// LogWrite messages, entries); ok is false when they are unavailable.
type statsFn func() (syncs, writes, entries uint64, ok bool)

// opTimeout bounds one operation, as the baseline's raft.Apply timeout.
const opTimeout = 10 * time.Second

// errorBackoff is how long a client waits after a failed operation before
// the next, as the baseline does (it is pacing, not synchronisation).
const errorBackoff = 10 * time.Millisecond

// loadOptions is the shape of one measured run.
type loadOptions struct {
	clients    int
	warmup     time.Duration
	duration   time.Duration
	cpuprofile string // write a CPU profile of the window here ("" = none)
}

// runLoad drives o.clients closed-loop goroutines for warm-up + window and
// measures only operations that both start and finish inside the window
// (bench/baseline's rule too).
func runLoad(op opFn, stats statsFn, o loadOptions) (Result, error) {
	var phase atomic.Int32 // 0 warm-up, 1 measuring, 2 stop
	var errs atomic.Int64
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	for g := range o.clients {
		wg.Add(1)
		go func(gid int) {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			for seq := 0; ; seq++ {
				p := phase.Load()
				if p == 2 {
					break
				}
				ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
				t0 := time.Now()
				err := op(ctx, gid, seq)
				d := time.Since(t0)
				cancel()
				if err != nil {
					if p == 1 {
						errs.Add(1)
					}
					time.Sleep(errorBackoff)
					continue
				}
				if p == 1 && phase.Load() == 1 {
					lat = append(lat, d)
				}
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}(g)
	}
	time.Sleep(o.warmup) // the warm-up is a span of wall time, not a wait for an event
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			phase.Store(2)
			wg.Wait()
			return Result{}, fmt.Errorf("bench: cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			phase.Store(2)
			wg.Wait()
			return Result{}, fmt.Errorf("bench: cpu profile: %w", err)
		}
	}
	c0, r0 := readCPU(), selfCPU()
	s0, w0, e0, ok0 := stats()
	t0 := time.Now()
	phase.Store(1)
	time.Sleep(o.duration) // the measurement window
	phase.Store(2)
	el := time.Since(t0)
	s1, w1, e1, ok1 := stats()
	c1, r1 := readCPU(), selfCPU()
	if o.cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		fmt.Fprintln(os.Stderr, "warning: clients did not finish within 30s of stop")
	}
	mu.Lock()
	defer mu.Unlock()
	r := Result{Clients: o.clients, Seconds: el.Seconds(), Ops: int64(len(all)), Errors: errs.Load(),
		GOMAXPROCS: runtime.GOMAXPROCS(0)}
	r.OpsPerSec = float64(r.Ops) / el.Seconds()
	r.setLatency(all)
	r.CPUCores = c1.coresSince(c0)
	r.ProcCores = (r1 - r0).Seconds() / el.Seconds()
	if ok0 && ok1 && s1 > s0 {
		r.LeaderSyncs, r.LeaderWrites = int64(s1-s0), int64(w1-w0)
		r.EntriesPerWrite = float64(e1-e0) / float64(s1-s0)
	}
	return r, nil
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
