package rafter

import (
	"context"
	"fmt"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/consensus"
	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/consensus/session"
	"github.com/rafter-go/rafter/events"
	"github.com/rafter-go/rafter/logserver"
	"github.com/rafter-go/rafter/rafterpb"
	"github.com/rafter-go/rafter/supervisor"
)

// Supervision of a peer, as rafter's rafter_consensus_sup: one_for_all, at
// most 5 restarts in 10 seconds.
const (
	supMaxRestarts = 5
	supPeriod      = 10 * time.Second

	// startTimeout bounds how long StartNode waits for the peer's actors
	// to start (the log server recovers its files, the consensus actor
	// loads the log).
	startTimeout = 30 * time.Second
	// stopTimeout bounds how long StopNode waits for the actors to stop.
	stopTimeout = 30 * time.Second
)

// StartNode starts peer me in this System: a one_for_all supervisor "<name>"
// over the log server "<name>/log" (started first; it recovers opts.DataDir)
// and the consensus actor "<name>/consensus". It returns once the consensus
// actor has loaded the log, so a log that cannot be recovered fails
// StartNode. A blank
// peer then waits for an initial SetConfig. me.Node must be "" or this
// System's Address.
//
// Errors: *OptionError (wraps ErrInvalidOptions) for bad opts,
// ErrInvalidArgument for a bad peer name, ErrAlreadyStarted, ErrStopped if
// the System is shut down or the peer failed while starting.
func (s *System) StartNode(me Peer, opts Options) error {
	if err := checkPeer(me); err != nil {
		return fmt.Errorf("rafter: start %s: %w", me, err)
	}
	if !s.isLocal(me) {
		return fmt.Errorf("rafter: start %s: %w: node %q is not this system's address %q",
			me, ErrInvalidArgument, me.Node, s.Address())
	}
	if err := opts.Validate(); err != nil {
		return fmt.Errorf("rafter: start %s: %w", me, err)
	}
	n := &node{peer: me, done: make(chan struct{}), stopTransfer: opts.StopTransferTimeout,
		maxCommand: opts.MaxCommandBytes}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("rafter: start %s: %w: system shut down", me, ErrStopped)
	}
	var oldSup *protoactor.PID
	if old, ok := s.nodes[me.Name]; ok {
		oldSup = old.sup
		select {
		case <-old.done: // failed earlier: StartNode may bring it back
		default:
			s.mu.Unlock()
			return fmt.Errorf("rafter: start %s: %w", me, ErrAlreadyStarted)
		}
	}
	s.nodes[me.Name] = n
	s.mu.Unlock()
	if oldSup != nil {
		// OnStop runs on the failed supervisor's goroutine just before it
		// terminates: wait until its name is free.
		ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		err := s.actors.StopAndWait(ctx, oldSup)
		cancel()
		if err != nil {
			s.forget(n)
			return fmt.Errorf("rafter: start %s: %w: the failed peer did not go away: %w", me, ErrStopped, err)
		}
	}

	spec, err := s.peerSpec(n, opts)
	if err != nil {
		s.forget(n)
		return fmt.Errorf("rafter: start %s: %w", me, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	// Start returns once both children ran their Started handlers: the log
	// is recovered and the consensus actor has loaded it.
	sup, err := supervisor.Start(ctx, s.actors.Root(), me.Name, spec)
	if err != nil {
		s.forget(n)
		return fmt.Errorf("rafter: start %s: %w: %w", me, ErrStopped, err)
	}
	s.mu.Lock()
	n.sup = sup
	s.mu.Unlock()
	return nil
}

// peerSpec is the supervision tree of one peer.
func (s *System) peerSpec(n *node, opts Options) (supervisor.Spec, error) {
	logger := opts.Logger
	if logger == nil {
		logger = s.log
	}
	logger = logger.With("peer", n.peer.String())
	lopts := logserver.DefaultOptions()
	lopts.SegmentBytes = opts.SegmentBytes
	lopts.Logger = logger
	tick, hb, election := opts.ticks()
	copts := consensus.Options{
		Self:   n.peer.pb(),
		System: s.actors,
		Log:    s.actors.PIDOf(n.peer.Name+"/log", ""),
		Core: core.Options{
			ElectionTicks:    election,
			ElectionTicksMax: opts.electionTicksMax(tick, election),
			HeartbeatTicks:   hb,
			Seed:             opts.Seed,
			MaxMsgEntries:    opts.MaxAppendEntries,
			MaxMsgBytes:      opts.MaxAppendBytes,
			MaxInflight:      opts.MaxInflight,
			PreVote:          opts.PreVote,
			CheckQuorum:      opts.CheckQuorum,

			SnapshotEntries:    opts.SnapshotEntries,
			SnapshotMinTicks:   int(opts.SnapshotMinInterval / tick),
			TrailingEntries:    opts.TrailingEntries,
			SnapshotChunkBytes: opts.SnapshotChunkBytes,

			CatchUpEntries: opts.CatchUpEntries,
			CatchUpTicks:   opts.catchUpTicks(tick),
		},
		TickInterval:    tick,
		MaxCommandBytes: opts.MaxCommandBytes,
		Sessions: session.Options{Timeout: uint64(opts.SessionTimeout / time.Millisecond),
			MaxSessions: opts.MaxSessions, MaxResults: opts.MaxSessionResults},
		NewStateMachine: func() consensus.StateMachine { return opts.StateMachine() },
		Interceptor:     s.interceptor(),
		Logger:          logger,
		Metrics:         s.peerMetrics(n.peer),
		Events:          s.peerEvents(n.peer),
	}
	lopts.Metrics = copts.Metrics.LogServer()
	if err := copts.Validate(); err != nil {
		return supervisor.Spec{}, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	return supervisor.Spec{
		Strategy:    supervisor.OneForAll,
		MaxRestarts: supMaxRestarts,
		Period:      supPeriod,
		Children: []supervisor.ChildSpec{
			{Name: "log", Props: logserver.Props(opts.DataDir, lopts), Restart: supervisor.Permanent},
			{Name: "consensus", Props: consensus.Props(copts), Mailbox: consensus.Mailbox(s.actors), Restart: supervisor.Permanent},
		},
		OnStop: func(reason error) { s.markStopped(n, reason) },
		OnRestart: func(child string, cause error) {
			s.publish(n.peer, Event{Kind: events.KindRestart, Actor: child, Reason: errText(cause)})
		},
	}, nil
}

// interceptor adapts the System's Interceptor to the consensus actor's.
func (s *System) interceptor() consensus.Interceptor {
	ic := s.opts.Interceptor
	if ic == nil {
		return nil
	}
	return func(from, to *rafterpb.Peer, m proto.Message) consensus.Verdict {
		d := ic(peerFromPB(from), peerFromPB(to), m)
		return consensus.Verdict{Action: d.action, Delay: d.delay}
	}
}

// StopNode stops peer me (a peer of this System): both actors stop, the
// log server closes its files, and StopNode returns after that; its data
// directory may then be reused by StartNode. ErrStopped if the peer is not
// running (it was never started or its supervisor already gave up; in the
// latter case the record is cleared and the error carries the reason).
func (s *System) StopNode(me Peer) error {
	if !s.isLocal(me) {
		return fmt.Errorf("rafter: stop %s: %w: not a peer of this system", me, ErrInvalidArgument)
	}
	s.handOver(me)
	if err := s.stopNode(me.Name); err != nil {
		return fmt.Errorf("rafter: stop %s: %w", me, err)
	}
	return nil
}

// handOver is StopNode's planned restart: a leader first tries to transfer
// its leadership (to the most up-to-date voter) within its
// Options.StopTransferTimeout, so that stopping it costs the cluster no
// election timeout. Any failure just means the stop goes on as a crash
// would.
func (s *System) handOver(me Peer) {
	s.mu.Lock()
	n, ok := s.nodes[me.Name]
	s.mu.Unlock()
	if !ok || n.stopTransfer <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.stopTransfer)
	defer cancel()
	st, err := s.Status(ctx, me)
	if err != nil || st.Role != Leader {
		return
	}
	if err := s.TransferLeadership(ctx, me, Peer{}); err != nil {
		s.log.Info("rafter: stopping a leader without handing over", "peer", me.String(), "error", err)
	}
}

func (s *System) stopNode(name string) error {
	s.mu.Lock()
	n, ok := s.nodes[name]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("%w: not started", ErrStopped)
	}
	if n.sup == nil {
		s.mu.Unlock()
		return fmt.Errorf("%w: still starting", ErrStopped)
	}
	n.stopping = true
	sup := n.sup
	s.mu.Unlock()
	defer s.forget(n)
	select {
	case <-n.done:
		if n.reason != nil {
			return fmt.Errorf("%w: already stopped by its supervisor: %w", ErrStopped, n.reason)
		}
		return nil
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	if err := supervisor.Stop(ctx, s.actors.Root(), sup); err != nil {
		return fmt.Errorf("supervisor stop: %w", err)
	}
	select {
	case <-n.done:
	case <-ctx.Done():
		return fmt.Errorf("%w: waiting for the supervisor to stop", ErrTimeout)
	}
	return nil
}

// forget removes n from the System's records, if it is still there.
func (s *System) forget(n *node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nodes[n.peer.Name] == n {
		delete(s.nodes, n.peer.Name)
		s.forgetMetrics(n.peer)
	}
}

// Kill is fault injection: it makes one actor of peer p die, and the
// peer's one_for_all supervisor restarts both actors (as rafter's
// rafter_consensus_sup does), which recover from the data directory. A
// local log server is crashed (it panics on logserver.Crash, so writes it
// had not yet acknowledged get no reply); a consensus actor, or an actor
// of a peer in another System, is stopped, which the supervisor treats as
// an exit of a permanent child. Requests the dying consensus actor holds
// are answered at once: ErrLeadershipLost (unknown outcome) for the ones it
// had handed to Raft, ErrStopped (definite) for the ones still queued in
// its mailbox. More than 5 kills in 10 s exceed the
// restart intensity and stop the peer. p may be a peer of another System.
func (s *System) Kill(p Peer, which Actor) error {
	if which != ActorConsensus && which != ActorLog {
		return fmt.Errorf("rafter: kill %s: %w: unknown actor %d", p, ErrInvalidArgument, which)
	}
	if !s.isLocal(p) {
		return s.killRemote(p, which)
	}
	if err := s.killLocal(p, which); err != nil {
		return fmt.Errorf("rafter: kill %s: %w", p, err)
	}
	return nil
}
