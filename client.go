package rafter

import (
	"context"
	"errors"
	"fmt"

	"github.com/rafter-go/rafter/actor"
	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/internal/hoptrace"
	"github.com/rafter-go/rafter/rafterpb"
)

// The client calls. Each is one request message to the consensus actor
// "<name>/consensus" of peer via, which may live in this System or another
// one (calls are location transparent). A follower forwards Op, ReadOp and
// SetConfig to its leader, whose answer comes straight back to the caller;
// StaleReadOp is answered by via itself. ctx bounds the call: when it
// expires the call returns ErrTimeout (unknown outcome); a context already
// done before the call fails with ErrNotSent (definite), a nil one with
// ErrInvalidArgument.

// SetConfig asks for a new server list (rafter's set_config). Through a
// member it runs a joint-consensus change (a leader may remove itself).
// Servers it adds first catch up as learners (the staging configuration:
// they receive the log or a snapshot and vote in nothing); the joint
// configuration follows once each is within CatchUpEntries (Options) of the
// leader's last index, and if that takes longer than CatchUpTimeout the
// change is given up with ErrCatchUpTimeout (definite). A change that only
// removes servers needs no staging. On
// a blank peer it sets the initial configuration, the legacy way to create
// a cluster (use Bootstrap). It returns once the new
// configuration is committed. An empty list, a peer without a name, a peer
// whose Node is neither "" (this System) nor host:port, or a duplicate peer
// fails with ErrInvalidArgument before anything is sent; a peer refuses
// such a request from the network too.
//
// The initial configuration must go to one peer of a cluster that does not
// exist yet. A blank peer that has heard from a running cluster refuses it
// (it forwards the request to the leader it knows, or fails with
// ErrInvalidInitialConfig), but a blank peer that was never contacted
// cannot tell a new cluster from an old one: given a list of such peers it
// would start a second cluster under the same names. Bootstrap has no
// such trap. To change the membership of a running cluster, send SetConfig
// through a member.
func (s *System) SetConfig(ctx context.Context, via Peer, peers []Peer) error {
	ps := make([]*rafterpb.Peer, 0, len(peers))
	for _, p := range peers {
		if err := checkPeer(p); err != nil {
			return fmt.Errorf("rafter: set config via %s: %w", via, err)
		}
		ps = append(ps, p.pb())
	}
	if err := config.Validate(ps); err != nil {
		return fmt.Errorf("rafter: set config via %s: %w: %w", via, ErrInvalidArgument, err)
	}
	r, err := call[*rafterpb.SetConfigReply](ctx, s, via, "set config", &rafterpb.SetConfigRequest{Peers: ps})
	if err != nil {
		return err
	}
	return wrapReply("set config", via, fromWire(r.GetError()))
}

// Op submits cmd to the replicated state machine and returns the result of
// its Apply once committed and applied (rafter's op). If Apply returned an
// error, Op returns Apply's result bytes and an *ApplyError: the command is
// committed. Other errors are documented with their kind in errors.go.
//
// Op is at most once: it sends cmd once and never retries. After an error
// of unknown outcome the command may or may not be applied, and calling Op
// again may apply it twice; use a Session (NewSession) to retry safely.
func (s *System) Op(ctx context.Context, via Peer, cmd []byte) ([]byte, error) {
	if err := s.checkCommand(via, cmd); err != nil {
		return nil, err
	}
	var called int64
	tr := hoptrace.Active()
	if tr != nil {
		called = tr.Now()
	}
	r, err := call[*rafterpb.OpReply](ctx, s, via, "op", &rafterpb.OpRequest{Cmd: cmd})
	if err != nil {
		return nil, err
	}
	if tr != nil {
		tr.Answer(r.GetIndex(), called)
	}
	if err := fromWire(r.GetError()); err != nil {
		return nil, wrapReply("op", via, err)
	}
	if r.GetApplyError() != "" {
		return r.GetResult(), &ApplyError{Index: r.GetIndex(), Msg: r.GetApplyError()}
	}
	return r.GetResult(), nil
}

// checkCommand refuses a command larger than via's MaxCommandBytes when via
// is a peer of this System, or than MaxCommandBytesLimit for any peer, so
// that it is not even sent; the peer checks again on arrival. A command
// past the network's frame limit would otherwise fail in the transport.
func (s *System) checkCommand(via Peer, cmd []byte) error {
	limit := MaxCommandBytesLimit
	if s.isLocal(via) {
		s.mu.Lock()
		if n, ok := s.nodes[via.Name]; ok && n.maxCommand > 0 {
			limit = n.maxCommand
		}
		s.mu.Unlock()
	}
	if len(cmd) > limit {
		return fmt.Errorf("rafter: op via %s: %w: %d bytes, limit %d", via, ErrTooLarge, len(cmd), limit)
	}
	return nil
}

// ReadOp runs query against the leader's state machine linearizably (read
// index: the leader confirms it still leads with a quorum round and has
// committed an entry of its term) and returns Read's answer. Nothing is
// written, so every error leaves the state unchanged; Read's own error is
// a *ReadError.
func (s *System) ReadOp(ctx context.Context, via Peer, query []byte) ([]byte, error) {
	return s.readOp(ctx, via, "read op", &rafterpb.ReadOpRequest{Query: query})
}

// StaleReadOp runs query against via's own state machine and returns
// Read's answer at once: no quorum round, no leader, no forwarding (etcd's
// serializable reads). Use it when a possibly old answer is acceptable and
// availability or latency matters more: dashboards, caches, reads that a
// partition must not block, spreading read load over followers.
//
// What it guarantees: the answer reflects a prefix of the committed log,
// the entries via has applied; it never sees an uncommitted write. Reads
// through one peer are monotonic while that peer does not restart (a
// restarted peer rebuilds its state from its log and may briefly answer
// from an older one). What it does not: it is not linearizable. It may miss
// writes that completed long ago, arbitrarily stale while via is cut off
// from the leader, and two peers may answer differently at the same time.
// For a read that sees every completed write, use ReadOp.
//
// Errors: ErrNotMember if via has no configuration yet (a blank peer has
// no state to serve); Read's own error is a *ReadError; the call's errors
// (ErrTimeout, ErrStopped) as for every call. Nothing is written.
func (s *System) StaleReadOp(ctx context.Context, via Peer, query []byte) ([]byte, error) {
	return s.readOp(ctx, via, "stale read op", &rafterpb.ReadOpRequest{Query: query, Stale: true})
}

// readOp runs a linearizable or a stale read.
func (s *System) readOp(ctx context.Context, via Peer, what string, req *rafterpb.ReadOpRequest) ([]byte, error) {
	r, err := call[*rafterpb.ReadOpReply](ctx, s, via, what, req)
	if err != nil {
		return nil, err
	}
	if err := fromWire(r.GetError()); err != nil {
		return nil, wrapReply(what, via, err)
	}
	if r.GetReadError() != "" {
		return r.GetResult(), &ReadError{Msg: r.GetReadError()}
	}
	return r.GetResult(), nil
}

// TransferLeadership asks the leader (through via, which forwards) to hand
// its leadership to `to`, or, with the zero Peer, to the voter whose log
// is the most up to date (Raft thesis §3.10). The leader takes no
// proposal or configuration change meanwhile (they fail with
// ErrTransferInProgress, definite), brings the target up to date and
// tells it to campaign at once. It returns nil once the target leads;
// ErrTransferFailed (definite) if the target did not take over within an
// election timeout (the old leader then takes proposals again) or another
// peer leads; ErrInvalidArgument if to is not a voter. Use it before
// maintenance of the leader's machine: StopNode does it by itself
// (Options.StopTransferTimeout).
func (s *System) TransferLeadership(ctx context.Context, via, to Peer) error {
	req := &rafterpb.TransferLeadershipRequest{}
	if !to.IsZero() {
		if err := checkPeer(to); err != nil {
			return fmt.Errorf("rafter: transfer leadership via %s: %w", via, err)
		}
		req.To = to.pb()
	}
	r, err := call[*rafterpb.TransferLeadershipReply](ctx, s, via, "transfer leadership", req)
	if err != nil {
		return err
	}
	return wrapReply("transfer leadership", via, fromWire(r.GetError()))
}

// Snapshot asks peer p (local or remote) to snapshot its state machine and
// compact its log now, whatever Options.SnapshotEntries says: operators ask
// for it before maintenance, so that a restart replays a short log. It
// returns the index of the peer's newest snapshot once it is durable.
// ErrInvalidArgument (definite) if p's state machine does not implement
// Snapshotter; an error of the state machine or the disk otherwise.
func (s *System) Snapshot(ctx context.Context, p Peer) (uint64, error) {
	r, err := call[*rafterpb.SnapshotReply](ctx, s, p, "snapshot", &rafterpb.SnapshotRequest{})
	if err != nil {
		return 0, err
	}
	if err := fromWire(r.GetError()); err != nil {
		return 0, wrapReply("snapshot", p, err)
	}
	return r.GetIndex(), nil
}

// GetLeader returns the leader peer via knows (no consensus: it may be
// stale). ErrNoLeader if it knows none.
func (s *System) GetLeader(ctx context.Context, via Peer) (Peer, error) {
	r, err := call[*rafterpb.GetLeaderReply](ctx, s, via, "get leader", &rafterpb.GetLeaderRequest{})
	if err != nil {
		return Peer{}, err
	}
	if err := fromWire(r.GetError()); err != nil {
		return Peer{}, wrapReply("get leader", via, err)
	}
	if r.GetLeader() == nil {
		return Peer{}, fmt.Errorf("rafter: get leader via %s: %w", via, ErrNoLeader)
	}
	return peerFromPB(r.GetLeader()), nil
}

// GetEntry returns the entry at index in via's own log (no consensus: it
// may not be committed). ErrNotFound if via's log has no such entry.
func (s *System) GetEntry(ctx context.Context, via Peer, index uint64) (*rafterpb.Entry, error) {
	return s.getEntry(ctx, via, &rafterpb.GetEntryRequest{Index: index})
}

// GetLastEntry returns the last entry of via's own log (no consensus).
// ErrNotFound if the log is empty.
func (s *System) GetLastEntry(ctx context.Context, via Peer) (*rafterpb.Entry, error) {
	return s.getEntry(ctx, via, &rafterpb.GetEntryRequest{Last: true})
}

func (s *System) getEntry(ctx context.Context, via Peer, req *rafterpb.GetEntryRequest) (*rafterpb.Entry, error) {
	r, err := call[*rafterpb.GetEntryReply](ctx, s, via, "get entry", req)
	if err != nil {
		return nil, err
	}
	if err := fromWire(r.GetError()); err != nil {
		return nil, wrapReply("get entry", via, err)
	}
	if r.GetEntry() == nil {
		return nil, fmt.Errorf("rafter: get entry via %s: %w", via, ErrNotFound)
	}
	return r.GetEntry(), nil
}

// Status returns via's Raft state. A local peer whose supervisor gave up
// reports ErrStopped with the reason.
func (s *System) Status(ctx context.Context, via Peer) (Status, error) {
	r, err := call[*rafterpb.StatusReply](ctx, s, via, "status", &rafterpb.StatusRequest{})
	if err != nil {
		return Status{}, err
	}
	if err := fromWire(r.GetError()); err != nil {
		return Status{}, wrapReply("status", via, err)
	}
	return statusFromPB(r), nil
}

// call sends req to via's consensus actor and waits for a reply of type R.
// A nil context, or one already done, fails definitely before anything is
// sent.
func call[R any](ctx context.Context, s *System, via Peer, what string, req any) (R, error) {
	var zero R
	if ctx == nil {
		return zero, fmt.Errorf("rafter: %s via %s: %w: nil context", what, via, ErrInvalidArgument)
	}
	if err := ctx.Err(); err != nil {
		return zero, fmt.Errorf("rafter: %s via %s: %w: %w", what, via, ErrNotSent, err)
	}
	if err := checkPeer(via); err != nil {
		return zero, fmt.Errorf("rafter: %s via %s: %w", what, via, err)
	}
	if s.isLocal(via) {
		if _, err := s.running(via.Name); err != nil {
			return zero, fmt.Errorf("rafter: %s via %s: %w", what, via, err)
		}
	}
	r, err := actor.Call[R](ctx, s.actors, s.consensusPID(via), req)
	if err != nil {
		return zero, fmt.Errorf("rafter: %s via %s: %w", what, via, callError(err))
	}
	return r, nil
}

// callError maps a failure of actor.Call to the errors of this package.
func callError(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w (%w)", ErrTimeout, err)
	case errors.Is(err, context.Canceled):
		return err // unknown outcome, as the caller asked
	case errors.Is(err, actor.ErrNoProcess):
		// The request reached no actor: nothing was appended.
		return fmt.Errorf("%w: %w", ErrStopped, err)
	case errors.Is(err, actor.ErrStopped):
		return fmt.Errorf("%w: %w", ErrStopped, err)
	}
	return fmt.Errorf("%w: %w", ErrInternal, err)
}

func wrapReply(what string, via Peer, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("rafter: %s via %s: %w", what, via, err)
}
