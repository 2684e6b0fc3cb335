package rafter

import (
	"context"
	"errors"
	"fmt"

	"github.com/rafter-go/rafter/rafterpb"
)

// Errors of the client calls (SetConfig, Op, ReadOp, GetLeader, GetEntry,
// GetLastEntry, Status) and of StartNode / StopNode. Check them with
// errors.Is; the returned error wraps the sentinel with detail.
//
// Every error is either definite or of unknown outcome:
//
//   - definite: the command (or configuration) was not appended to the Raft
//     log and never will be; retrying cannot apply it twice.
//   - unknown outcome: the command may have been appended and may still
//     commit; a retry may apply it twice (use an idempotent command or read
//     back before retrying).
//
// Definite reports which kind an error is.
var (
	// ErrNoLeader: the peer knows no leader and no election is running, so
	// the request could not be placed. Definite. rafter: {error, no_leader}.
	ErrNoLeader = errors.New("rafter: no leader")
	// ErrElectionInProgress: an election is running; retry after it.
	// Definite. rafter: {error, election_in_progress}.
	ErrElectionInProgress = errors.New("rafter: election in progress")
	// ErrNotMember: the peer has no configuration yet or is not in it (for
	// example it was removed). Definite.
	ErrNotMember = errors.New("rafter: not a member of the configuration")
	// ErrNotModified: SetConfig asked for the servers already configured.
	// Definite. rafter: {error, not_modified}.
	ErrNotModified = errors.New("rafter: configuration not modified")
	// ErrConfigInProgress: another membership change is still running.
	// Definite. rafter: {error, config_in_progress}.
	ErrConfigInProgress = errors.New("rafter: configuration change in progress")
	// ErrPeersNotResponding: the leader could not reach a quorum of peers
	// in time. Unknown outcome for Op and SetConfig (the entry may sit in
	// the leader's log and commit later); a ReadOp never changes state.
	// rafter: {error, peers_not_responding}.
	ErrPeersNotResponding = errors.New("rafter: peers not responding")
	// ErrInvalidInitialConfig: the initial SetConfig of a blank peer
	// conflicts with a configuration it already accepted, or does not
	// include the peer. Definite. rafter: {error, invalid_initial_config}.
	ErrInvalidInitialConfig = errors.New("rafter: invalid initial configuration")
	// ErrStopped: the peer (or the System) is not running: never started,
	// stopped, or stopped by its supervisor after too many restarts (the
	// reason is logged and included in the error). Definite: a stopped peer
	// cannot have appended the request.
	ErrStopped = errors.New("rafter: peer stopped")
	// ErrTimeout: the caller's context deadline expired before the reply
	// arrived. It wraps context.DeadlineExceeded. Unknown outcome.
	ErrTimeout = fmt.Errorf("rafter: timeout: %w", context.DeadlineExceeded)
	// ErrLeadershipLost: the leader stepped down while the request was
	// pending. Unknown outcome: the entry may still commit under the next
	// leader.
	ErrLeadershipLost = errors.New("rafter: leadership lost")
	// ErrInvalidArgument: a malformed request (an empty or duplicate server
	// list, a peer without a name). Definite; detected before anything is
	// sent where possible.
	ErrInvalidArgument = errors.New("rafter: invalid argument")
	// ErrNotFound: GetEntry asked for an index the peer's log does not
	// hold. Definite (nothing was written).
	ErrNotFound = errors.New("rafter: not found")
	// ErrAlreadyStarted: StartNode for a peer that is already running in
	// this System.
	ErrAlreadyStarted = errors.New("rafter: peer already started")
	// ErrInternal: the peer failed in a way that has no other kind (for
	// example it crashed while the request was pending, or the reply was
	// of the wrong type). Unknown outcome.
	ErrInternal = errors.New("rafter: internal error")
	// ErrInvalidOptions: StartNode was given Options that do not validate;
	// the error is an *OptionError naming the field. Definite (no peer was
	// started).
	ErrInvalidOptions = errors.New("rafter: invalid options")
)

// RedirectError is returned when a peer is not the leader and could not
// forward the request (for example the forwarding limit was reached).
// Leader is the leader it knows, the zero Peer if none. Definite: retry via
// Leader. errors.Is(err, ErrNoLeader) holds when Leader is unknown.
type RedirectError struct {
	Leader Peer
	Msg    string
}

func (e *RedirectError) Error() string {
	if e.Leader.IsZero() {
		return "rafter: not the leader, leader unknown" + detail(e.Msg)
	}
	return "rafter: not the leader, redirect to " + e.Leader.String() + detail(e.Msg)
}

// Is makes a redirect without a known leader match ErrNoLeader.
func (e *RedirectError) Is(target error) bool {
	return target == ErrNoLeader && e.Leader.IsZero()
}

// ApplyError is the state machine's Apply error for a command. It is a
// result, not a failure of replication: the command is committed at Index
// and every replica computed the same error. Op returns it together with
// the result bytes Apply returned.
type ApplyError struct {
	Index uint64
	Msg   string
}

func (e *ApplyError) Error() string {
	return fmt.Sprintf("rafter: state machine apply at index %d: %s", e.Index, e.Msg)
}

// ReadError is the state machine's Read error for a query run by ReadOp.
// Nothing was written.
type ReadError struct {
	Msg string
}

func (e *ReadError) Error() string { return "rafter: state machine read: " + e.Msg }

// Definite reports whether err guarantees that the request was not appended
// to the log (so a retry cannot apply it twice). It is false for nil, for
// ErrTimeout, ErrLeadershipLost, ErrPeersNotResponding, ErrInternal, a
// cancelled context and any error it does not know. An *ApplyError is a
// result of an applied command, so it is not definite either.
func Definite(err error) bool {
	if err == nil {
		return false
	}
	var re *RedirectError
	if errors.As(err, &re) {
		return true
	}
	for _, s := range []error{ErrTimeout, ErrLeadershipLost, ErrPeersNotResponding, ErrInternal,
		context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, s) {
			return false
		}
	}
	for _, s := range []error{ErrNoLeader, ErrElectionInProgress, ErrNotMember, ErrNotModified,
		ErrConfigInProgress, ErrInvalidInitialConfig, ErrStopped, ErrInvalidArgument,
		ErrNotFound, ErrAlreadyStarted, ErrInvalidOptions} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// codeErrors maps the wire error codes to the sentinels.
var codeErrors = map[rafterpb.ErrorCode]error{
	rafterpb.ErrorCode_ERROR_CODE_NO_LEADER:              ErrNoLeader,
	rafterpb.ErrorCode_ERROR_CODE_ELECTION_IN_PROGRESS:   ErrElectionInProgress,
	rafterpb.ErrorCode_ERROR_CODE_NOT_MEMBER:             ErrNotMember,
	rafterpb.ErrorCode_ERROR_CODE_NOT_MODIFIED:           ErrNotModified,
	rafterpb.ErrorCode_ERROR_CODE_CONFIG_IN_PROGRESS:     ErrConfigInProgress,
	rafterpb.ErrorCode_ERROR_CODE_PEERS_NOT_RESPONDING:   ErrPeersNotResponding,
	rafterpb.ErrorCode_ERROR_CODE_INVALID_INITIAL_CONFIG: ErrInvalidInitialConfig,
	rafterpb.ErrorCode_ERROR_CODE_STOPPED:                ErrStopped,
	rafterpb.ErrorCode_ERROR_CODE_TIMEOUT:                ErrTimeout,
	rafterpb.ErrorCode_ERROR_CODE_LEADERSHIP_LOST:        ErrLeadershipLost,
	rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT:       ErrInvalidArgument,
	rafterpb.ErrorCode_ERROR_CODE_NOT_FOUND:              ErrNotFound,
	rafterpb.ErrorCode_ERROR_CODE_INTERNAL:               ErrInternal,
}

// fromWire turns a reply's Error into a Go error; nil for no error.
func fromWire(e *rafterpb.Error) error {
	if e == nil || e.GetCode() == rafterpb.ErrorCode_ERROR_CODE_NONE {
		return nil
	}
	if e.GetCode() == rafterpb.ErrorCode_ERROR_CODE_REDIRECT {
		return &RedirectError{Leader: peerFromPB(e.GetLeader()), Msg: e.GetMessage()}
	}
	s, ok := codeErrors[e.GetCode()]
	if !ok {
		return fmt.Errorf("%w: unknown error code %d%s", ErrInternal, e.GetCode(), detail(e.GetMessage()))
	}
	if e.GetMessage() == "" {
		return s
	}
	return fmt.Errorf("%w: %s", s, e.GetMessage())
}

func detail(msg string) string {
	if msg == "" {
		return ""
	}
	return ": " + msg
}
