package rafter_test

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/events"
	"github.com/rafter-go/rafter/internal/cluster"
)

// BenchmarkObservability measures committed Ops per second on 3 peers in
// one System (real files, fsync), 16 clients writing through the leader,
// with metrics and events off and on, in one run so the figures share the
// machine's state. "events" has one subscriber taking every event (as
// /events with no filter does).
//
//	go test -run '^$' -bench Observability -benchtime 3000x -count 3 .
func BenchmarkObservability(b *testing.B) {
	for _, bc := range []struct {
		name            string
		metrics, events bool
	}{{"off", false, false}, {"metrics", true, false}, {"events", false, true}, {"both", true, true}} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := cluster.Config{N: 3}
			if bc.metrics {
				reg := prometheus.NewRegistry()
				cfg.System = func(_ int, o *rafter.SystemOptions) { o.Metrics = reg }
			}
			c := cluster.Start(b, cfg)
			var got atomic.Int64
			if bc.events {
				ch := c.Client().Subscribe(b.Context(), rafter.EventFilter{Buffer: events.MaxBuffer})
				go func() {
					for e := range ch {
						got.Add(1 + int64(e.Dropped))
					}
				}()
			}
			c.Configure()
			benchOps(b, c.Client(), c.WaitLeader())
			if bc.events {
				b.ReportMetric(float64(got.Load())/float64(b.N), "events/op")
			}
		})
	}
}

// benchOps runs b.N Ops from 16 concurrent clients and reports ops/s.
func benchOps(b *testing.B, sys *rafter.System, leader rafter.Peer) {
	const clients = 16
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				_, err := sys.Op(ctx, leader, []byte("bench-"+strconv.FormatInt(i, 10)))
				cancel()
				if err != nil {
					b.Errorf("op %d: %v", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
}
