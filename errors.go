package rafter

import (
	"context"
	"errors"
	"fmt"

	"github.com/rafter-go/rafter/rafterpb"
)

// Errors of the client calls (Bootstrap, SetConfig, Op, ReadOp, GetLeader,
// GetEntry, GetLastEntry, Status) and of StartNode / StopNode. Check them with
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
	// ErrPeersNotResponding: the leader heard from no quorum of peers for a
	// whole election timeout while the request was pending, and stepped
	// down (CheckQuorum). Unknown outcome for Op and SetConfig (the entry
	// may sit in a log and commit later); a ReadOp never changes state. It
	// also matches ErrLeadershipLost, which it is a case of.
	// rafter: {error, peers_not_responding}.
	ErrPeersNotResponding = errors.New("rafter: peers not responding")
	// ErrInvalidInitialConfig: the initial SetConfig of a blank peer
	// conflicts with a configuration it already accepted, or does not
	// include the peer. Definite. rafter: {error, invalid_initial_config}.
	ErrInvalidInitialConfig = errors.New("rafter: invalid initial configuration")
	// ErrStopped: the peer (or the System) is not running: never started,
	// stopped, or stopped by its supervisor after too many restarts (the
	// reason is logged and included in the error), or its consensus actor
	// was stopping or restarting (a kill, a panic) when the request reached
	// it, before handling it. Definite: a stopped peer
	// cannot have appended the request.
	ErrStopped = errors.New("rafter: peer stopped")
	// ErrTimeout: the caller's context deadline expired before the reply
	// arrived. It wraps context.DeadlineExceeded. Unknown outcome. (A
	// context already done before the call sent anything gives
	// ErrNotSent instead.)
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
	// ErrCompacted: GetEntry asked for an index that compaction removed
	// from the peer's log; only its snapshot holds the entry's effect.
	// Definite (nothing was written).
	ErrCompacted = errors.New("rafter: entry compacted")
	// ErrAlreadyStarted: StartNode for a peer that is already running in
	// this System.
	ErrAlreadyStarted = errors.New("rafter: peer already started")
	// ErrInternal: the peer failed in a way that has no other kind (for
	// example it crashed while the request was pending, or the reply was
	// of the wrong type). Unknown outcome.
	ErrInternal = errors.New("rafter: internal error")
	// ErrTransferInProgress: the leader is handing its leadership over
	// (TransferLeadership, or StopNode of the leader) and takes no Op or
	// SetConfig until that ends, within an election timeout. Definite:
	// retry shortly.
	ErrTransferInProgress = errors.New("rafter: leadership transfer in progress")
	// ErrTransferFailed: TransferLeadership did not move the leadership to
	// the target: it did not take over within an election timeout, or
	// another peer leads. Definite (nothing was appended).
	ErrTransferFailed = errors.New("rafter: leadership transfer failed")
	// ErrAlreadyBootstrapped: Bootstrap reached a peer that belongs to
	// another cluster (its log holds another cluster's configuration) or
	// that campaigns for an initial configuration given by SetConfig.
	// Definite: the peer wrote nothing.
	ErrAlreadyBootstrapped = errors.New("rafter: peer already bootstrapped into another cluster")
	// ErrNotSent: the call's context was already done (cancelled or past
	// its deadline) before anything was sent. Definite. It wraps the
	// context's error, so errors.Is(err, context.Canceled) or
	// context.DeadlineExceeded holds too.
	ErrNotSent = errors.New("rafter: not sent, the context was already done")
	// ErrInvalidOptions: StartNode was given Options that do not validate;
	// the error is an *OptionError naming the field. Definite (no peer was
	// started).
	ErrInvalidOptions = errors.New("rafter: invalid options")
	// ErrTooLarge: Op's command is larger than the peer's MaxCommandBytes
	// (Options). Definite: it is refused before it is sent when the limit
	// is known (a local peer, or the absolute limit MaxCommandBytesLimit),
	// and by the peer before it is appended otherwise.
	ErrTooLarge = errors.New("rafter: command too large")
	// ErrSessionExpired: a Session's command reached replicas that hold no
	// such session (it expired after Options.SessionTimeout of logged
	// time, was evicted by Options.MaxSessions, or never existed) or that
	// forgot the result of its sequence (Options.MaxSessionResults). The
	// command was not applied by the attempt that got this answer. Its
	// kind depends on what came before, and Session.Op decides it:
	// definite when that attempt was the command's first (nothing else
	// can have applied it), unknown outcome when an earlier attempt
	// ended without an answer (that attempt may have been applied before
	// the session expired). A Session that got it is dead: later Ops fail
	// at once with it (definite); start a new Session.
	ErrSessionExpired = errors.New("rafter: session expired or unknown")
	// ErrCatchUpTimeout: SetConfig added servers that did not catch up
	// with the leader's log within its CatchUpTimeout (Options): the
	// leader gave the change up and the old configuration is in force
	// again (the error comes once that is committed). Definite: the
	// requested configuration never took effect; retry once the new
	// servers are reachable (or with a longer CatchUpTimeout).
	ErrCatchUpTimeout = errors.New("rafter: new servers did not catch up in time")
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

// kinds is the one table of error kinds: each sentinel with its wire code
// (ERROR_CODE_NONE: it never crosses the wire), whether it is definite, and
// a sentinel it also matches. Definite and fromWire read it; the core's
// errors carry the codes (consensus/core/api.go). Order matters for
// Definite: the first entry err matches decides, so an error that wraps
// several (ErrNotSent wraps a context error) is listed before them.
var kinds = []struct {
	code     rafterpb.ErrorCode
	err      error
	definite bool
	also     error
}{
	{rafterpb.ErrorCode_ERROR_CODE_NONE, ErrNotSent, true, nil},
	{rafterpb.ErrorCode_ERROR_CODE_TIMEOUT, ErrTimeout, false, nil},
	{rafterpb.ErrorCode_ERROR_CODE_PEERS_NOT_RESPONDING, ErrPeersNotResponding, false, ErrLeadershipLost},
	{rafterpb.ErrorCode_ERROR_CODE_LEADERSHIP_LOST, ErrLeadershipLost, false, nil},
	{rafterpb.ErrorCode_ERROR_CODE_INTERNAL, ErrInternal, false, nil},
	{rafterpb.ErrorCode_ERROR_CODE_NONE, context.Canceled, false, nil},
	{rafterpb.ErrorCode_ERROR_CODE_NONE, context.DeadlineExceeded, false, nil},
	{rafterpb.ErrorCode_ERROR_CODE_NO_LEADER, ErrNoLeader, true, nil},
	{rafterpb.ErrorCode_ERROR_CODE_ELECTION_IN_PROGRESS, ErrElectionInProgress, true, nil},
	{rafterpb.ErrorCode_ERROR_CODE_NOT_MEMBER, ErrNotMember, true, nil},
	{rafterpb.ErrorCode_ERROR_CODE_NOT_MODIFIED, ErrNotModified, true, nil},
	{rafterpb.ErrorCode_ERROR_CODE_CONFIG_IN_PROGRESS, ErrConfigInProgress, true, nil},
	{rafterpb.ErrorCode_ERROR_CODE_INVALID_INITIAL_CONFIG, ErrInvalidInitialConfig, true, nil},
	{rafterpb.ErrorCode_ERROR_CODE_STOPPED, ErrStopped, true, nil},
	{rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, ErrInvalidArgument, true, nil},
	{rafterpb.ErrorCode_ERROR_CODE_NOT_FOUND, ErrNotFound, true, nil},
	{rafterpb.ErrorCode_ERROR_CODE_COMPACTED, ErrCompacted, true, nil},
	{rafterpb.ErrorCode_ERROR_CODE_TRANSFER_IN_PROGRESS, ErrTransferInProgress, true, nil},
	{rafterpb.ErrorCode_ERROR_CODE_TRANSFER_FAILED, ErrTransferFailed, true, nil},
	{rafterpb.ErrorCode_ERROR_CODE_ALREADY_BOOTSTRAPPED, ErrAlreadyBootstrapped, true, nil},
	{rafterpb.ErrorCode_ERROR_CODE_TOO_LARGE, ErrTooLarge, true, nil},
	{rafterpb.ErrorCode_ERROR_CODE_SESSION_EXPIRED, ErrSessionExpired, false, nil},
	{rafterpb.ErrorCode_ERROR_CODE_CATCH_UP_TIMEOUT, ErrCatchUpTimeout, true, nil},
	{rafterpb.ErrorCode_ERROR_CODE_NONE, ErrAlreadyStarted, true, nil},
	{rafterpb.ErrorCode_ERROR_CODE_NONE, ErrInvalidOptions, true, nil},
}

// Definite reports whether err guarantees that the request was not appended
// to the log (so a retry cannot apply it twice). It is false for nil, for
// ErrTimeout, ErrLeadershipLost, ErrPeersNotResponding, ErrInternal, a
// cancelled context and any error it does not know. An *ApplyError is a
// result of an applied command, so it is not definite either; a
// *RedirectError is definite.
func Definite(err error) bool {
	if err == nil {
		return false
	}
	var oe *outcomeError
	if errors.As(err, &oe) {
		return oe.definite // a Session knows what came before
	}
	var re *RedirectError
	if errors.As(err, &re) {
		return true
	}
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return k.definite
		}
	}
	return false
}

// kindError is a wire error matching its sentinel and the one it also is.
type kindError struct {
	err, also error
	msg       string
}

func (e *kindError) Error() string { return e.err.Error() + detail(e.msg) }

func (e *kindError) Unwrap() []error { return []error{e.err, e.also} }

// fromWire turns a reply's Error into a Go error; nil for no error.
func fromWire(e *rafterpb.Error) error {
	if e == nil || e.GetCode() == rafterpb.ErrorCode_ERROR_CODE_NONE {
		return nil
	}
	if e.GetCode() == rafterpb.ErrorCode_ERROR_CODE_REDIRECT {
		return &RedirectError{Leader: peerFromPB(e.GetLeader()), Msg: e.GetMessage()}
	}
	for _, k := range kinds {
		switch {
		case k.code != e.GetCode():
		case k.also != nil:
			return &kindError{err: k.err, also: k.also, msg: e.GetMessage()}
		case e.GetMessage() == "":
			return k.err
		default:
			return fmt.Errorf("%w: %s", k.err, e.GetMessage())
		}
	}
	return fmt.Errorf("%w: unknown error code %d%s", ErrInternal, e.GetCode(), detail(e.GetMessage()))
}

func detail(msg string) string {
	if msg == "" {
		return ""
	}
	return ": " + msg
}
