package metrics_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/metrics"
	"github.com/rafter-go/rafter/rafterpb"
)

// BenchmarkOpHooks is the metrics work one committed Op costs its leader
// (arrival stamp, count, one Ready observed, AppendEntries to two
// followers, their two replies received, the answer timed, one log write
// and a share of one fsync), with metrics on and off. Compare with the CPU
// per Op of examples/bench (proc CPU / ops/s) for the relative cost:
//
//	go test -run '^$' -bench OpHooks ./metrics
func BenchmarkOpHooks(b *testing.B) {
	s, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	ae := &rafterpb.RaftMessage{Body: &rafterpb.RaftMessage_AppendEntries{AppendEntries: &rafterpb.AppendEntries{
		Entries: []*rafterpb.Entry{{Index: 1}},
	}}}
	reply := &rafterpb.RaftMessage{Body: &rafterpb.RaftMessage_AppendEntriesReply{AppendEntriesReply: &rafterpb.AppendEntriesReply{}}}
	st := core.Status{Role: core.Leader, Term: 2, Leader: &rafterpb.Peer{Name: "a"}, CommitIndex: 5, Applied: 5, LastIndex: 6}
	for _, bc := range []struct {
		name string
		p    *metrics.Peer
	}{{"off", nil}, {"on", s.Peer("a")}} {
		b.Run(bc.name, func(b *testing.B) {
			p := bc.p
			l := p.LogServer()
			for b.Loop() {
				arrived := p.Now()
				p.Proposed()
				p.Sent(ae)
				p.Sent(ae)
				p.Received(reply)
				p.Received(reply)
				w := l.Now()
				l.Written(w)
				l.Synced(w, 1)
				p.Observe(st)
				p.Answered(metrics.RequestOp, arrived, rafterpb.ErrorCode_ERROR_CODE_NONE)
			}
		})
	}
}
