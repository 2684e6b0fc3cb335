package consensus

import (
	protoactor "github.com/asynkron/protoactor-go/actor"

	"github.com/rafter-go/rafter/rafterpb"
)

// setConfig hands a SetConfigRequest to the core: a new server list, or,
// with add_learner or remove_learner, one learner more or less
// (System.AddLearner / RemoveLearner). A request that mixes them is
// refused before the core sees it (definite).
func (a *consensusActor) setConfig(ctx protoactor.Context, r *rafterpb.SetConfigRequest) {
	add, remove := r.GetAddLearner(), r.GetRemoveLearner()
	switch {
	case add == nil && remove == nil:
		a.core.SetConfig(a.track(ctx, r), r.GetPeers())
	case len(r.GetPeers()) > 0 || (add != nil && remove != nil):
		a.refuse(ctx, r, rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT,
			"consensus: a set config request holds a server list or one learner change, not both")
	case add != nil:
		a.core.AddLearner(a.track(ctx, r), add)
	default:
		a.core.RemoveLearner(a.track(ctx, r), remove)
	}
}
