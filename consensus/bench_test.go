package consensus

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rafter-go/rafter/actor"
	"github.com/rafter-go/rafter/rafterpb"
)

// BenchmarkOpThroughLeader measures committed Ops per second on 3 peers in
// one process with real files and fsync, 16 clients calling the leader
// concurrently (group commit shares fsyncs between them).
//
//	go test -run '^$' -bench OpThroughLeader -benchtime 2000x ./consensus
func BenchmarkOpThroughLeader(b *testing.B) {
	c := newTestCluster(b, 3)
	leader := c.bootstrap()
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
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				r, err := actor.Call[*rafterpb.OpReply](ctx, c.sys, c.pids[leader],
					&rafterpb.OpRequest{Cmd: []byte("bench-" + strconv.FormatInt(i, 10))})
				cancel()
				if err != nil || r.GetError() != nil {
					b.Errorf("op %d: %v %v", i, err, r.GetError())
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
}
