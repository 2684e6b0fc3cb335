package rafter

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/actor"
	"github.com/rafter-go/rafter/rafterpb"
)

func TestFromWireMapsEveryCode(t *testing.T) {
	seen := map[rafterpb.ErrorCode]bool{}
	for _, k := range kinds {
		if k.code == rafterpb.ErrorCode_ERROR_CODE_NONE {
			continue
		}
		assert.False(t, seen[k.code], "code %v listed twice", k.code)
		seen[k.code] = true
		err := fromWire(&rafterpb.Error{Code: k.code, Message: "detail"})
		assert.ErrorIs(t, err, k.err, "code %v", k.code)
		assert.Contains(t, err.Error(), "detail")
		assert.Equal(t, k.definite, Definite(err), "code %v", k.code)
	}
	assert.NoError(t, fromWire(nil))
	assert.NoError(t, fromWire(&rafterpb.Error{}))
	// Every code but NONE and REDIRECT has a sentinel.
	for c := range rafterpb.ErrorCode_name {
		code := rafterpb.ErrorCode(c)
		if code == rafterpb.ErrorCode_ERROR_CODE_NONE || code == rafterpb.ErrorCode_ERROR_CODE_REDIRECT {
			continue
		}
		assert.True(t, seen[code], "no sentinel for %v", code)
	}
	assert.ErrorIs(t, fromWire(&rafterpb.Error{Code: 999}), ErrInternal)
}

// A leader that stepped down for want of a quorum lost its leadership too.
func TestPeersNotRespondingIsLeadershipLost(t *testing.T) {
	err := fromWire(&rafterpb.Error{Code: rafterpb.ErrorCode_ERROR_CODE_PEERS_NOT_RESPONDING, Message: "m"})
	assert.ErrorIs(t, err, ErrPeersNotResponding)
	assert.ErrorIs(t, err, ErrLeadershipLost)
	assert.False(t, Definite(err))
}

func TestRedirectError(t *testing.T) {
	err := fromWire(&rafterpb.Error{Code: rafterpb.ErrorCode_ERROR_CODE_REDIRECT,
		Leader: &rafterpb.Peer{Name: "b", Node: "127.0.0.1:1"}})
	var re *RedirectError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, Peer{Name: "b", Node: "127.0.0.1:1"}, re.Leader)
	assert.NotErrorIs(t, err, ErrNoLeader)
	assert.Contains(t, err.Error(), "b@127.0.0.1:1")
	assert.True(t, Definite(err))

	unknown := fromWire(&rafterpb.Error{Code: rafterpb.ErrorCode_ERROR_CODE_REDIRECT})
	assert.ErrorIs(t, unknown, ErrNoLeader, "a redirect to nobody is no leader")
}

func TestTimeoutWrapsDeadlineExceeded(t *testing.T) {
	assert.ErrorIs(t, ErrTimeout, context.DeadlineExceeded)
	err := callError(fmt.Errorf("actor: call x: %w", context.DeadlineExceeded))
	assert.ErrorIs(t, err, ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, Definite(err))
}

func TestCallErrorMapping(t *testing.T) {
	assert.ErrorIs(t, callError(fmt.Errorf("x: %w", actor.ErrNoProcess)), ErrStopped)
	assert.ErrorIs(t, callError(fmt.Errorf("x: %w", actor.ErrStopped)), ErrStopped)
	assert.ErrorIs(t, callError(fmt.Errorf("x: %w", actor.ErrUnexpectedReply)), ErrInternal)
	c := callError(fmt.Errorf("x: %w", context.Canceled))
	assert.ErrorIs(t, c, context.Canceled)
	assert.False(t, Definite(c), "a cancelled call may have been handled")
}

func TestDefinite(t *testing.T) {
	definite := []error{ErrNoLeader, ErrElectionInProgress, ErrNotMember, ErrNotModified,
		ErrConfigInProgress, ErrInvalidInitialConfig, ErrStopped, ErrInvalidArgument, ErrNotFound,
		ErrAlreadyStarted, ErrInvalidOptions, ErrTransferInProgress, ErrTransferFailed, ErrAlreadyBootstrapped, &RedirectError{Leader: Peer{Name: "a"}},
		fmt.Errorf("%w: %w", ErrNotSent, context.Canceled), fmt.Errorf("%w: %w", ErrNotSent, context.DeadlineExceeded)}
	unknown := []error{nil, ErrTimeout, ErrLeadershipLost, ErrPeersNotResponding, ErrInternal,
		context.Canceled, context.DeadlineExceeded, errors.New("other"), &ApplyError{Index: 1, Msg: "m"}}
	for _, err := range definite {
		assert.True(t, Definite(err), "%v", err)
		assert.True(t, Definite(fmt.Errorf("rafter: op via a: %w", err)), "wrapped %v", err)
	}
	for _, err := range unknown {
		assert.False(t, Definite(err), "%v", err)
	}
}

func TestErrorMessagesStartWithPackage(t *testing.T) {
	for _, err := range []error{ErrNoLeader, ErrElectionInProgress, ErrNotMember, ErrNotModified,
		ErrConfigInProgress, ErrPeersNotResponding, ErrInvalidInitialConfig, ErrStopped, ErrTimeout,
		ErrLeadershipLost, ErrInvalidArgument, ErrNotFound, ErrAlreadyStarted, ErrInternal,
		ErrInvalidOptions, ErrNotSent, ErrTransferInProgress, ErrTransferFailed, ErrAlreadyBootstrapped,
		&BootstrapError{ClusterID: 1, Failed: []PeerError{{Peer: Peer{Name: "a"}, Err: ErrStopped}}}, &ApplyError{Index: 3, Msg: "m"}, &ReadError{Msg: "m"}, &RedirectError{}} {
		assert.Regexp(t, "^rafter: ", err.Error())
	}
}

func TestPeer(t *testing.T) {
	assert.True(t, Peer{}.IsZero())
	assert.Equal(t, "a", Peer{Name: "a"}.String())
	assert.Equal(t, "a@h:1", Peer{Name: "a", Node: "h:1"}.String())
	assert.Equal(t, Peer{Name: "a", Node: "h:1"}, peerFromPB(Peer{Name: "a", Node: "h:1"}.pb()))
	assert.Equal(t, Peer{}, peerFromPB(nil))
	assert.ErrorIs(t, checkPeer(Peer{}), ErrInvalidArgument)
	assert.ErrorIs(t, checkPeer(Peer{Name: "a/b"}), ErrInvalidArgument)
	assert.ErrorIs(t, checkPeer(Peer{Name: "a", Node: "x@y"}), ErrInvalidArgument)
	assert.NoError(t, checkPeer(Peer{Name: "a", Node: "127.0.0.1:9"}))
}

func TestStatusFromPB(t *testing.T) {
	cfg := &rafterpb.Config{State: rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL,
		OldServers: []*rafterpb.Peer{{Name: "a"}}, NewServers: []*rafterpb.Peer{{Name: "a"}, {Name: "b"}}}
	st := statusFromPB(&rafterpb.StatusReply{Self: &rafterpb.Peer{Name: "a"}, Role: rafterpb.Role_ROLE_LEADER,
		Term: 3, Leader: &rafterpb.Peer{Name: "a"}, CommitIndex: 4, AppliedIndex: 4, LastIndex: 5, LastTerm: 3,
		Config: cfg})
	assert.Equal(t, Leader, st.Role)
	assert.Equal(t, "leader", st.Role.String())
	assert.Equal(t, Peer{Name: "a"}, st.Leader)
	assert.True(t, st.VotedFor.IsZero())
	assert.Equal(t, []Peer{{Name: "a"}, {Name: "b"}}, st.Members())
	assert.Equal(t, Stopped, roleFromPB(rafterpb.Role_ROLE_STOPPED))
	for r := Follower; r <= Stopped; r++ {
		assert.NotEqual(t, "unknown", r.String())
	}
}
