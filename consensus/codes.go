package consensus

import (
	"errors"

	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/rafterpb"
)

// codes maps the core's errors to the wire codes clients see.
var codes = []struct {
	err  error
	code rafterpb.ErrorCode
}{
	{core.ErrNotLeader, rafterpb.ErrorCode_ERROR_CODE_REDIRECT},
	{core.ErrNoLeader, rafterpb.ErrorCode_ERROR_CODE_NO_LEADER},
	{core.ErrElectionInProgress, rafterpb.ErrorCode_ERROR_CODE_ELECTION_IN_PROGRESS},
	{core.ErrNotMember, rafterpb.ErrorCode_ERROR_CODE_NOT_MEMBER},
	{core.ErrNotModified, rafterpb.ErrorCode_ERROR_CODE_NOT_MODIFIED},
	{core.ErrConfigInProgress, rafterpb.ErrorCode_ERROR_CODE_CONFIG_IN_PROGRESS},
	{core.ErrInvalidInitialConfig, rafterpb.ErrorCode_ERROR_CODE_INVALID_INITIAL_CONFIG},
	{core.ErrLeadershipLost, rafterpb.ErrorCode_ERROR_CODE_LEADERSHIP_LOST},
	{core.ErrInvalidArgument, rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
}

// toError turns a core error into a wire error; leader is the known leader,
// if any. An error the core does not document becomes ERROR_CODE_INTERNAL.
func toError(err error, leader *rafterpb.Peer) *rafterpb.Error {
	code := rafterpb.ErrorCode_ERROR_CODE_INTERNAL
	if errors.Is(err, core.ErrNotLeader) && leader == nil {
		// Not the leader and no leader to name: the client can only retry.
		return &rafterpb.Error{Code: rafterpb.ErrorCode_ERROR_CODE_NO_LEADER, Message: err.Error()}
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			code = c.code
			break
		}
	}
	return &rafterpb.Error{Code: code, Message: err.Error(), Leader: leader}
}

// errorReply builds the reply message that matches req and carries e.
func errorReply(req proto.Message, e *rafterpb.Error) proto.Message {
	switch req.(type) {
	case *rafterpb.OpRequest:
		return &rafterpb.OpReply{Error: e}
	case *rafterpb.ReadOpRequest:
		return &rafterpb.ReadOpReply{Error: e}
	case *rafterpb.SetConfigRequest:
		return &rafterpb.SetConfigReply{Error: e}
	case *rafterpb.GetLeaderRequest:
		return &rafterpb.GetLeaderReply{Error: e}
	case *rafterpb.GetEntryRequest:
		return &rafterpb.GetEntryReply{Error: e}
	case *rafterpb.StatusRequest:
		return &rafterpb.StatusReply{Error: e}
	}
	return e
}

// roleOf maps the core's role to the wire role.
func roleOf(r core.Role) rafterpb.Role {
	switch r {
	case core.PreCandidate:
		return rafterpb.Role_ROLE_PRE_CANDIDATE
	case core.Candidate:
		return rafterpb.Role_ROLE_CANDIDATE
	case core.Leader:
		return rafterpb.Role_ROLE_LEADER
	}
	return rafterpb.Role_ROLE_FOLLOWER
}
