package rafter_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rafter-go/rafter/internal/cluster"
	"github.com/rafter-go/rafter/internal/testpki"
)

// BenchmarkOpRemoteTLS compares Op throughput across 3 Systems on
// 127.0.0.1, plaintext against mutual TLS, in one run (issue 12: within
// 15 %). 16 concurrent clients call the leader from the client System.
func BenchmarkOpRemoteTLS(b *testing.B) {
	for _, mode := range []string{"plaintext", "mtls"} {
		b.Run(mode, func(b *testing.B) {
			cfg := cluster.Config{N: 3, Remote: true}
			if mode == "mtls" {
				cfg.System = cluster.MutualTLS(b, testpki.NewCA(b, "bench-ca"), 3)
			}
			c := cluster.Start(b, cfg)
			c.Configure()
			leader := c.WaitLeader()
			s := c.Client()
			cmd := make([]byte, 100)
			const clients = 16
			var next atomic.Int64
			var failed atomic.Int64
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
						if _, err := s.Op(ctx, leader, cmd); err != nil {
							failed.Add(1)
						}
						cancel()
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
			b.ReportMetric(float64(failed.Load()), "errors")
		})
	}
}
