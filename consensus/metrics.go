package consensus

import (
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/metrics"
	"github.com/rafter-go/rafter/rafterpb"
)

// The actor's metrics (Options.Metrics, package metrics). Every number is
// read from its owner when it changes hands: the core's Status after each
// Ready (term, role, indexes), its progress on each tick (AppendEntries in
// flight), the messages as they are sent and received, the requests as they
// arrive and are answered. The actor keeps no count of its own. With
// Options.Metrics nil each hook is one nil check: *metrics.Peer's methods do
// nothing on nil, and the clock is not read.

// observe publishes the core's Status after a Ready.
func (a *consensusActor) observe() {
	if a.opts.Metrics != nil {
		a.opts.Metrics.Observe(a.core.Status())
	}
}

// observeAnswer records the answer to a pending request: its latency from
// arrival, and its error code if any.
func (a *consensusActor) observeAnswer(p pendingRequest, msg proto.Message) {
	code := rafterpb.ErrorCode_ERROR_CODE_NONE
	if r, ok := msg.(interface{ GetError() *rafterpb.Error }); ok {
		code = r.GetError().GetCode()
	}
	a.opts.Metrics.Answered(requestKind(p.req), p.arrived, code)
}

// requestKind names a tracked request for the metrics' request label.
func requestKind(req proto.Message) string {
	switch req.(type) {
	case *rafterpb.OpRequest:
		return metrics.RequestOp
	case *rafterpb.ReadOpRequest:
		return metrics.RequestRead
	case *rafterpb.TransferLeadershipRequest:
		return metrics.RequestTransfer
	case *rafterpb.SnapshotRequest:
		return metrics.RequestSnapshot
	case *rafterpb.BootstrapRequest:
		return metrics.RequestBootstrap
	}
	return metrics.RequestSetConfig
}
