package consensus

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync/atomic"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/actor"
	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/consensus/session"
	"github.com/rafter-go/rafter/events"
	"github.com/rafter-go/rafter/internal/hoptrace"
	"github.com/rafter-go/rafter/metrics"
	"github.com/rafter-go/rafter/rafterpb"
)

// incarnations numbers every start of every consensus actor in the process.
// A restarted peer is re-spawned under the same name with a fresh mailbox
// (supervisor/doc.go), so a PID held anywhere reaches the new instance, and
// a reply, timer tick or log acknowledgement meant for the previous
// instance, sent after the restart, is delivered to the new one. Tagging
// timers, flush markers and log writes with the incarnation lets the new
// instance drop them.
var incarnations atomic.Uint64

// Props returns the props of a consensus actor. Spawn it as
// "<name>/consensus" next to its log server "<name>/log"; on every (re)start
// it reloads the log, rebuilds the core and replays the committed entries into
// a fresh state machine.
func Props(opts Options) *protoactor.Props {
	return protoactor.PropsFromProducer(func() protoactor.Actor {
		return &consensusActor{opts: opts}
	})
}

// consensusActor is the shell around one core: it turns ticks, peer messages,
// client requests and log acknowledgements into core calls and executes the
// core's Ready batches. It holds no protocol logic (no term, vote or quorum
// rule): that is the core's.
type consensusActor struct {
	opts   Options
	logger *slog.Logger
	self   *protoactor.PID

	incarnation uint64
	core        *core.Core
	sm          StateMachine
	// sessions is the session table that goes with sm (sessions.go).
	sessions *session.Table

	timer *time.Timer // the next tick; see timer.go

	// writeSeq numbers LogWrites; see ready.go. Writes carry
	// incarnation<<32 | n so a stale LogWritten is recognised.
	writeSeq uint64
	// held are MessagesAfterPersist waiting for their LogWritten, in seq order.
	held []heldMessages

	// flushQueued: a flush is in the mailbox; see flush.go.
	flushQueued bool
	flushMsg    *flush

	nextID core.RequestID
	// pending holds values, not pointers: one allocation less per request.
	pending map[core.RequestID]pendingRequest
	// peerPIDs caches the PID of each peer's consensus actor (see send.go).
	peerPIDs map[peerName]*protoactor.PID

	// refused counts Raft messages the core refused (malformed,
	// contradictory, unsupported); lostEntries is the core's count of
	// followers found to have lost entries, as last logged. Status
	// reports both.
	refused     uint64
	lostEntries uint64

	// snap is the snapshot traffic with the log server (snapshot.go);
	// repeatedSnapshots the core's count of them as last logged.
	snap              snapshotIO
	repeatedSnapshots uint64
	// disk is the log server's figures as its latest answer carrying them
	// reported them (noteDisk; Status; the log server owns them).
	disk struct{ logBytes, snapshotBytes uint64 }

	ev eventState // what the last events said (events.go)
}

// Receive dispatches one message. A message it does not understand is logged
// and dropped: bad input from the network never stops a peer.
func (a *consensusActor) Receive(ctx protoactor.Context) {
	switch ctx.Message().(type) {
	case *protoactor.Started:
		a.start(ctx)
		return
	case *protoactor.Stopping, *protoactor.Restarting:
		a.stop(ctx)
		return
	case *protoactor.Stopped, *protoactor.Terminated, *protoactor.ReceiveTimeout:
		return
	}
	if a.core == nil {
		// Started failed (and panicked); the supervisor is restarting us.
		return
	}
	switch m := ctx.Message().(type) {
	case *flush:
		a.onFlush(ctx, m)
		return
	case *tick:
		a.onTick(ctx, m)
	case *rafterpb.RaftMessage:
		a.onRaftMessage(m)
	case *rafterpb.LogWritten:
		a.onLogWritten(ctx, m)
	case *rafterpb.LogSnapshotSaved:
		a.onSnapshotSaved(m)
	case *rafterpb.LogCompacted:
		a.onCompacted(m)
	case *rafterpb.LogSnapshotChunk:
		a.onSnapshotChunk(ctx, m)
	case *rafterpb.LogInstallReply:
		a.onInstallReply(m)
	case *protoactor.DeadLetterResponse:
		a.onDeadLetter(m)
	case *rafterpb.OpRequest, *rafterpb.ReadOpRequest, *rafterpb.SetConfigRequest,
		*rafterpb.TransferLeadershipRequest, *rafterpb.BootstrapRequest, *rafterpb.SnapshotRequest,
		*rafterpb.GetLeaderRequest, *rafterpb.GetEntryRequest, *rafterpb.StatusRequest:
		a.onClientRequest(ctx, m.(proto.Message))
	case error:
		// protoactor's Future.PipeTo delivers failures as bare error values.
		a.logger.Warn("consensus: dropped an error delivered as a message", "error", m)
	default:
		a.logger.Warn("consensus: dropped a message of unknown type",
			"type", fmt.Sprintf("%T", m), "sender", ctx.Sender())
	}
	if a.core != nil {
		a.scheduleFlush(ctx)
	}
}

// start loads the log, builds the core and a fresh state machine, and arms
// the tick timer. A failure panics: the supervisor restarts the pair.
func (a *consensusActor) start(ctx protoactor.Context) {
	a.logger = a.opts.Logger
	if a.logger == nil {
		a.logger = slog.New(slog.DiscardHandler)
	}
	if err := a.opts.Validate(); err != nil {
		panic(err)
	}
	a.logger = a.logger.With("peer", config.PeerKey(a.opts.Self))
	a.self = ctx.Self()
	a.incarnation = incarnations.Add(1)
	a.writeSeq = a.incarnation << 32
	a.pending = make(map[core.RequestID]pendingRequest)
	a.peerPIDs = make(map[peerName]*protoactor.PID)

	restored, err := a.loadLog()
	if err != nil {
		panic(err)
	}
	copts := a.opts.Core
	copts.ID = a.opts.Self
	if copts.Seed == 0 {
		copts.Seed = jitterSeed(a.opts.Self)
	}
	a.sm = a.opts.NewStateMachine()
	a.sessions = session.New(a.opts.Sessions)
	if _, ok := a.sm.(Snapshotter); !ok {
		copts.SnapshotEntries = 0 // documented: such a machine is never compacted
	}
	if s := restored.Snapshot; s != nil {
		if err := a.restore(a.sm, s); err != nil {
			panic(err)
		}
	}
	c, err := core.New(copts, restored)
	if err != nil {
		panic(fmt.Errorf("consensus: core.New: %w", err))
	}
	a.core = c
	a.armTimer()
	a.logger.Info("consensus: started", "incarnation", a.incarnation, "snapshot", restored.Snapshot.GetIndex(),
		"entries", len(restored.Entries), "term", restored.Meta.GetTerm())
	a.eventStarted(restored)
	a.drain(ctx)
}

// loadLog asks the log server for everything it holds. Blocking here is safe:
// the log server never calls the consensus actor synchronously.
func (a *consensusActor) loadLog() (core.Restored, error) {
	ctx, cancel := context.WithTimeout(context.Background(), a.opts.logCallTimeout())
	defer cancel()
	reply, err := actor.Call[*rafterpb.LogLoadReply](ctx, a.opts.System, a.opts.Log, &rafterpb.LogLoad{})
	if err != nil {
		return core.Restored{}, fmt.Errorf("%w: %w", ErrLogLoad, err)
	}
	if reply.GetError() != nil {
		return core.Restored{}, fmt.Errorf("%w: %s", ErrLogLoad, reply.GetError().GetMessage())
	}
	a.noteDisk(reply)
	return core.Restored{Meta: reply.GetMeta(), Snapshot: reply.GetSnapshot(), Entries: reply.GetEntries()}, nil
}

// diskFigures is a log server answer that reports the bytes on disk:
// LogWritten, LogLoadReply, LogSnapshotSaved, LogCompacted, LogInstallReply.
type diskFigures interface {
	GetLogBytes() uint64
	GetSnapshotBytes() uint64
}

// noteDisk keeps the figures of the log server's latest answer for Status.
// Its answers reach this actor in the order it sent them.
func (a *consensusActor) noteDisk(m diskFigures) {
	a.disk.logBytes, a.disk.snapshotBytes = m.GetLogBytes(), m.GetSnapshotBytes()
}

// stop runs on Stopping and Restarting: no more ticks, and every waiting
// client learns that this peer will not answer.
func (a *consensusActor) stop(ctx protoactor.Context) {
	a.stopTimer()
	if a.core == nil {
		return // Started failed
	}
	a.eventDown()
	a.failPending(ctx)
	a.core = nil // anything still delivered to this instance is dropped
}

// onRaftMessage checks the envelope and steps the core. The core judges terms
// and senders; the actor only refuses what is not addressed to it.
func (a *consensusActor) onRaftMessage(m *rafterpb.RaftMessage) {
	if m.GetFrom().GetName() == "" || m.GetBody() == nil {
		a.opts.Metrics.Dropped(metrics.DropMalformed)
		a.logger.Warn("consensus: dropped a malformed raft message", "from", m.GetFrom(), "msg", m)
		return
	}
	if !config.SamePeer(m.GetTo(), a.opts.Self) {
		a.opts.Metrics.Dropped(metrics.DropMisaddressed)
		a.logger.Warn("consensus: dropped a raft message addressed to another peer",
			"from", config.PeerKey(m.GetFrom()), "to", config.PeerKey(m.GetTo()))
		return
	}
	a.opts.Metrics.Received(m)
	if tr := hoptrace.Active(); tr != nil {
		a.traceMessage(tr, hoptrace.Received, m)
	}
	a.eventMessage(events.KindReceive, m, Deliver)
	if err := a.core.Step(m); err != nil {
		a.refusedByCore(m, err)
	}
	if r := m.GetAppendEntriesReply(); r != nil && !r.GetSuccess() {
		a.noticeLostEntries(m.GetFrom())
	}
}

// refusals are the kinds of Raft message the core refuses, each with its
// metrics reason, its log level and message, and whether Status counts it
// (RefusedMessages): a message of a peer not in the configuration is
// routine (a removed or stranger peer), the others are not.
var refusals = []struct {
	err     error
	reason  string
	level   slog.Level
	msg     string
	counted bool
}{
	// Two clusters with the same peer names wired to each other.
	{core.ErrOtherCluster, metrics.DropOtherCluster, slog.LevelWarn, "consensus: dropped a message from another cluster", true},
	// Issue 7: a System not in the configuration is talking to us.
	{core.ErrUnknownPeer, metrics.DropUnknownPeer, slog.LevelWarn, "consensus: dropped a message from a peer not in the configuration", false},
	// Issue 12: no correct peer sends this; the core is unchanged.
	{core.ErrContradiction, metrics.DropContradicts, slog.LevelError, "consensus: refused a contradictory message: the sender is faulty or hostile", true},
	{core.ErrUnsupported, metrics.DropUnsupported, slog.LevelDebug, "consensus: core refused a message", true},
	{core.ErrInvalidMessage, metrics.DropInvalid, slog.LevelWarn, "consensus: refused a malformed message", true},
}

// refusedByCore logs, counts and reports a Raft message the core refused
// (it is unchanged and sends no reply).
func (a *consensusActor) refusedByCore(m *rafterpb.RaftMessage, err error) {
	reason, level, msg, counted := metrics.DropRefused, slog.LevelWarn, "consensus: refused a malformed message", true
	for _, r := range refusals {
		if errors.Is(err, r.err) {
			reason, level, msg, counted = r.reason, r.level, r.msg, r.counted
			break
		}
	}
	a.opts.Metrics.Dropped(reason)
	if counted {
		a.refused++
	}
	a.logger.Log(context.Background(), level, msg, "from", config.PeerKey(m.GetFrom()), "error", err, "refused", a.refused)
}

// noticeLostEntries logs a follower that the core found to have lost
// entries it had acknowledged (core.Status.FollowerLostEntries): Raft
// assumes a durable log, so an operator must hear of it (a torn write cut
// at recovery, a replaced or emptied disk).
func (a *consensusActor) noticeLostEntries(from *rafterpb.Peer) {
	n := a.core.Status().FollowerLostEntries
	if n == a.lostEntries {
		return
	}
	a.lostEntries = n
	a.logger.Error("consensus: follower lost entries it had acknowledged; probing it again from its log's end",
		"follower", config.PeerKey(from), "times", n)
}

// onDeadLetter handles a request whose target is gone. The only requests the
// actor sends with itself as sender go to its log server; losing it with
// writes outstanding means durability is gone, so the pair must restart.
func (a *consensusActor) onDeadLetter(m *protoactor.DeadLetterResponse) {
	if m.GetTarget().Equal(a.opts.Log) {
		panic(fmt.Errorf("%w: log server %v is gone", ErrLogWrite, m.GetTarget()))
	}
	a.logger.Debug("consensus: dead letter", "target", m.GetTarget())
}

// jitterSeed picks an election-jitter seed when the options leave it 0: peers
// started with the same seed would time out together and split every vote.
func jitterSeed(p *rafterpb.Peer) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(config.PeerKey(p)))
	return int64(h.Sum64() ^ uint64(time.Now().UnixNano()))
}
