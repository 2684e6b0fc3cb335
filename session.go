package rafter

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/rafter-go/rafter/rafterpb"
)

// Exactly-once client sessions (Raft thesis §6.3; rafter's TODO "client
// sequence numbers"). System.Op is at most once only when the caller does
// not retry: an unknown outcome (ErrTimeout, ErrLeadershipLost, ...) may
// or may not have been applied, and retrying it may apply it twice. A
// Session removes that choice: each command carries (session, sequence),
// the replicas remember each session's latest results, and a retried
// command is answered with the remembered result instead of being applied
// again. So Session.Op retries unknown outcomes by itself, and a command
// is applied exactly once if Op returns its result.
//
// The session table lives in every replica's applied state (and in its
// snapshots): see package consensus/session. Options.SessionTimeout,
// MaxSessions and MaxSessionResults bound it.

// DefaultAttemptTimeout bounds one attempt of Session.Op before it is
// retried with the same sequence.
const DefaultAttemptTimeout = 2 * time.Second

// Session is a client session: its commands are applied exactly once
// however often they are retried. Create one with System.NewSession. It is
// safe for concurrent use; keep the commands unanswered at once below the
// peers' Options.MaxSessionResults.
type Session struct {
	sys     *System
	via     Peer
	id      uint64
	attempt time.Duration

	mu   sync.Mutex
	next uint64              // the next sequence to hand out
	open map[uint64]struct{} // sequences handed out whose Op has not returned
	dead error               // ErrSessionExpired once seen: the session is over
}

// NewSession registers a new session through via (a logged entry, so it
// costs one commit) and returns it. Registration is retried like an Op
// until ctx ends; a registration whose answer was lost leaves an unused
// session behind, which expires by itself.
func (s *System) NewSession(ctx context.Context, via Peer) (*Session, error) {
	se := &Session{sys: s, via: via, attempt: DefaultAttemptTimeout, next: 1, open: make(map[uint64]struct{})}
	r, err := se.retry(ctx, "new session", &rafterpb.OpRequest{RegisterSession: true})
	if err != nil {
		return nil, err
	}
	se.id = r.GetIndex()
	return se, nil
}

// ID is the session's identity: the log index of its registration.
func (se *Session) ID() uint64 { return se.id }

// SetAttemptTimeout sets how long one attempt of Op waits before it is
// retried (DefaultAttemptTimeout; d <= 0 restores it). Call it before the
// session is used.
func (se *Session) SetAttemptTimeout(d time.Duration) {
	if d <= 0 {
		d = DefaultAttemptTimeout
	}
	se.attempt = d
}

// Op submits cmd exactly once and returns the result of its Apply, as
// System.Op does (an *ApplyError is a result: the command was applied; when
// the answer came from the replicas' memory of an earlier attempt, its
// Index is the log index of the attempt that was answered, not of the one
// that was applied).
// Attempts with an unknown outcome (ErrTimeout of one attempt,
// ErrLeadershipLost, ErrPeersNotResponding, ErrInternal) and transient
// refusals (ErrNoLeader, ErrElectionInProgress, ErrTransferInProgress,
// ErrStopped while via restarts, a *RedirectError) are retried through
// the same peer with the same sequence until ctx ends; the replicas answer
// a command applied before with the result they remembered.
//
// Errors, and Definite(err), are exact: a definite error means the command
// was not applied and never will be. When ctx ends after an attempt that
// may have been appended, the error is of unknown outcome even if the last
// attempt's own error was definite. ErrSessionExpired is definite on the
// command's first attempt and of unknown outcome after an earlier attempt
// went unanswered; after it every Op fails at once (definite). (The first
// attempt's rule counts on the transport not duplicating a request: one
// attempt is at most one log entry. A test interceptor that duplicates
// forwarded requests can break it.)
func (se *Session) Op(ctx context.Context, cmd []byte) ([]byte, error) {
	if err := se.sys.checkCommand(se.via, cmd); err != nil {
		return nil, err
	}
	seq, floor, err := se.begin()
	if err != nil {
		return nil, err
	}
	defer se.end(seq)
	r, err := se.retry(ctx, "session op", &rafterpb.OpRequest{
		Cmd: cmd, ClientId: se.id, Sequence: seq, SessionFloor: floor,
	})
	if err != nil {
		return nil, err
	}
	if r.GetApplyError() != "" {
		return r.GetResult(), &ApplyError{Index: r.GetIndex(), Msg: r.GetApplyError()}
	}
	return r.GetResult(), nil
}

// begin hands out the next sequence and the session's floor: the lowest
// sequence whose Op has not returned (every one below it is answered).
func (se *Session) begin() (seq, floor uint64, err error) {
	se.mu.Lock()
	defer se.mu.Unlock()
	if se.dead != nil {
		return 0, 0, &outcomeError{err: se.dead, definite: true}
	}
	seq = se.next
	se.next++
	se.open[seq] = struct{}{}
	floor = seq
	for q := range se.open {
		floor = min(floor, q)
	}
	return seq, floor, nil
}

// end forgets seq: its Op returned, with an answer or giving up. A copy of
// a given-up command that reaches the log after a later command raised the
// floor past it is refused there, never applied.
func (se *Session) end(seq uint64) {
	se.mu.Lock()
	delete(se.open, seq)
	se.mu.Unlock()
}

// retry sends req through via until it gets an answer that ends it (a
// result, or an error that retrying cannot change) or ctx ends.
func (se *Session) retry(ctx context.Context, what string, req *rafterpb.OpRequest) (*rafterpb.OpReply, error) {
	mayBeApplied := false // an earlier attempt ended with an unknown outcome
	backoff := 10 * time.Millisecond
	for {
		r, err := se.once(ctx, what, req)
		if err == nil {
			return r, nil
		}
		if errors.Is(err, ErrSessionExpired) {
			se.mu.Lock()
			se.dead = err
			se.mu.Unlock()
			return nil, &outcomeError{err: err, definite: !mayBeApplied}
		}
		if !Definite(err) {
			mayBeApplied = true
		}
		if !se.retryable(err) || ctx.Err() != nil {
			if mayBeApplied && Definite(err) {
				return nil, &outcomeError{err: err, definite: false}
			}
			return nil, err
		}
		t := time.NewTimer(backoff + rand.N(backoff))
		select {
		case <-ctx.Done():
			t.Stop()
			if mayBeApplied {
				return nil, &outcomeError{err: err, definite: false}
			}
			return nil, err // every attempt was refused: definite
		case <-t.C:
		}
		backoff = min(2*backoff, 250*time.Millisecond)
	}
}

// once is one attempt, bounded by the attempt timeout.
func (se *Session) once(ctx context.Context, what string, req *rafterpb.OpRequest) (*rafterpb.OpReply, error) {
	actx, cancel := context.WithTimeout(ctx, se.attempt)
	defer cancel()
	r, err := call[*rafterpb.OpReply](actx, se.sys, se.via, what, req)
	if err != nil {
		return nil, err
	}
	if err := fromWire(r.GetError()); err != nil {
		return nil, wrapReply(what, se.via, err)
	}
	return r, nil
}

// retryable reports whether a Session retries after err: an unknown
// outcome (the sequence makes the retry safe), or a refusal that a new
// leader or a restart ends. A peer of this System that is not running
// (never started, stopped, given up by its supervisor) is not waited for.
func (se *Session) retryable(err error) bool {
	if errors.Is(err, ErrStopped) && se.sys.isLocal(se.via) {
		if _, rerr := se.sys.running(se.via.Name); rerr != nil {
			return false
		}
	}
	var re *RedirectError
	switch {
	case errors.As(err, &re):
		return true
	case errors.Is(err, ErrNotSent), errors.Is(err, ErrTooLarge), errors.Is(err, ErrInvalidArgument),
		errors.Is(err, ErrNotMember), errors.Is(err, ErrSessionExpired):
		return false
	case !Definite(err):
		return true
	}
	return errors.Is(err, ErrNoLeader) || errors.Is(err, ErrElectionInProgress) ||
		errors.Is(err, ErrTransferInProgress) || errors.Is(err, ErrStopped)
}

// outcomeError is an error whose kind (definite or unknown outcome) a
// Session decided from the attempts before it; Definite reads it first.
type outcomeError struct {
	err      error
	definite bool
}

func (e *outcomeError) Error() string {
	if e.definite {
		return e.err.Error()
	}
	return e.err.Error() + " (an earlier attempt may have been applied: outcome unknown)"
}

func (e *outcomeError) Unwrap() error { return e.err }
