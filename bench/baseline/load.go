package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// applyFn submits one command and returns once it is committed and
// applied on the leader.
type applyFn func(cmd []byte) error

// statsFn returns the leader's cumulative (log-store write batches,
// entries written): one fsync per batch with raft-wal.
type statsFn func() (batches, entries int64)

// errorBackoff is how long a client pauses after a failed operation
// (examples/bench's value: pacing, not synchronisation).
const errorBackoff = 10 * time.Millisecond

// drainTimeout bounds the wait for clients to finish after the window.
const drainTimeout = 30 * time.Second

// runLoad drives clients closed-loop goroutines through warm-up and
// window and measures only operations that both start and finish inside
// the window (examples/bench's rule).
func runLoad(apply applyFn, stats statsFn, clients, size int, warmup, window time.Duration) Result {
	var phase atomic.Int32 // 0 warm-up, 1 measuring, 2 stop
	var errs atomic.Int64
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	for g := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			for seq := 0; ; seq++ {
				p := phase.Load()
				if p == 2 {
					break
				}
				cmd := makeCmd(keyFor(g, seq), size)
				t0 := time.Now()
				err := apply(cmd)
				d := time.Since(t0)
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
		}()
	}
	time.Sleep(warmup) // the warm-up is a span of wall time, not a wait for an event
	c0, r0 := readCPU(), selfCPU()
	b0, e0 := stats()
	t0 := time.Now()
	phase.Store(1)
	time.Sleep(window) // the measurement window
	phase.Store(2)
	el := time.Since(t0)
	b1, e1 := stats()
	c1, r1 := readCPU(), selfCPU()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(drainTimeout):
		fmt.Fprintln(os.Stderr, "warning: clients did not finish within 30s of stop")
	}
	mu.Lock()
	defer mu.Unlock()
	r := Result{Op: "write", Clients: clients, Size: size, Seconds: el.Seconds(), Ops: int64(len(all)),
		Errors: errs.Load(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
	r.OpsPerSec = float64(r.Ops) / el.Seconds()
	r.setLatency(all)
	r.CPUCores = c1.coresSince(c0)
	r.ProcCores = (r1 - r0).Seconds() / el.Seconds()
	if b1 > b0 {
		r.LeaderSyncs, r.LeaderWrites = b1-b0, b1-b0
		r.EntriesPerWrite = float64(e1-e0) / float64(b1-b0)
	}
	return r
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
