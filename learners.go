package rafter

import (
	"context"
	"fmt"

	"github.com/rafter-go/rafter/rafterpb"
)

// AddLearner adds p to the cluster as a learner: a read replica that
// receives every entry (or, far behind, a snapshot) and votes in nothing,
// so it adds no latency to writes and no risk to the quorum. It serves
// StaleReadOp from its own state and forwards Op, ReadOp and SetConfig to
// the leader. The change is one logged configuration entry (no joint
// consensus: the voters do not change); like SetConfig it runs one change
// at a time and returns once the entry is committed. A follower forwards
// it to the leader.
//
// p must be started (a blank peer, StartNode with no Bootstrap) to catch
// up; it may be started later. To make a learner a voter, list it in a
// SetConfig. Errors, all definite unless noted as in errors.go:
// ErrInvalidArgument for a bad peer or one that votes already,
// ErrNotModified if p is a learner already, ErrConfigInProgress while
// another change runs, and those of every call (ErrTimeout, ...).
func (s *System) AddLearner(ctx context.Context, via Peer, p Peer) error {
	return s.changeLearner(ctx, via, p, "add learner", &rafterpb.SetConfigRequest{AddLearner: p.pb()})
}

// RemoveLearner removes learner p from the cluster, as AddLearner adds
// one. A removed learner stops receiving entries and answers every request
// with ErrNotMember ("removed means removed"). ErrInvalidArgument if p is
// not a learner (a voter leaves through SetConfig).
func (s *System) RemoveLearner(ctx context.Context, via Peer, p Peer) error {
	return s.changeLearner(ctx, via, p, "remove learner", &rafterpb.SetConfigRequest{RemoveLearner: p.pb()})
}

func (s *System) changeLearner(ctx context.Context, via, p Peer, what string, req *rafterpb.SetConfigRequest) error {
	if err := checkPeer(p); err != nil {
		return fmt.Errorf("rafter: %s %s via %s: %w", what, p, via, err)
	}
	r, err := call[*rafterpb.SetConfigReply](ctx, s, via, what, req)
	if err != nil {
		return err
	}
	return wrapReply(what, via, fromWire(r.GetError()))
}
