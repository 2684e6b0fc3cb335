package core

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rafter-go/rafter/rafterpb"
)

// Every error a Result may carry has its own wire code; anything else is
// INTERNAL, and wrapping keeps the code.
func TestCode(t *testing.T) {
	tests := []struct {
		err  error
		want rafterpb.ErrorCode
	}{
		{nil, rafterpb.ErrorCode_ERROR_CODE_NONE},
		{ErrNotLeader, rafterpb.ErrorCode_ERROR_CODE_REDIRECT},
		{ErrNoLeader, rafterpb.ErrorCode_ERROR_CODE_NO_LEADER},
		{ErrElectionInProgress, rafterpb.ErrorCode_ERROR_CODE_ELECTION_IN_PROGRESS},
		{ErrNotMember, rafterpb.ErrorCode_ERROR_CODE_NOT_MEMBER},
		{ErrNotModified, rafterpb.ErrorCode_ERROR_CODE_NOT_MODIFIED},
		{ErrConfigInProgress, rafterpb.ErrorCode_ERROR_CODE_CONFIG_IN_PROGRESS},
		{ErrInvalidInitialConfig, rafterpb.ErrorCode_ERROR_CODE_INVALID_INITIAL_CONFIG},
		{ErrLeadershipLost, rafterpb.ErrorCode_ERROR_CODE_LEADERSHIP_LOST},
		{ErrPeersNotResponding, rafterpb.ErrorCode_ERROR_CODE_PEERS_NOT_RESPONDING},
		{ErrInvalidArgument, rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		{fmt.Errorf("%w: detail", ErrInvalidArgument), rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		{errors.New("something else"), rafterpb.ErrorCode_ERROR_CODE_INTERNAL},
		{ErrInvalidMessage, rafterpb.ErrorCode_ERROR_CODE_INTERNAL},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Code(tt.err), "%v", tt.err)
	}
}
