package logserver

import (
	"errors"
	"fmt"
	"math/bits"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"

	"github.com/rafter-go/rafter/internal/hoptrace"
	"github.com/rafter-go/rafter/rafterpb"
)

// Props returns the props of the log-server actor for dir (rafter:
// rafter_log, a gen_server). The actor opens and recovers dir when it
// starts; a failed open panics, so its supervisor sees a failed start and
// the peer does not run on a damaged log. Stopping or restarting syncs what
// is pending (if the log is healthy) and closes the files.
//
// Messages (rafterpb, log.proto): LogWrite -> LogWritten (after fsync, in
// arrival order; its commit_floor raises the floor below which the log is
// never truncated), LogGetEntry -> LogEntryReply, LogLoad -> LogLoadReply,
// LogGetStats -> LogStatsReply, LogSnapshotSave -> LogSnapshotSaved (when
// durable), LogCompact -> LogCompacted, LogSnapshotRead -> LogSnapshotChunk,
// LogSnapshotOpen -> LogSnapshotOpened, LogInstallChunk -> LogInstallReply;
// and Crash (fault injection).
func Props(dir string, opts Options) *protoactor.Props {
	return protoactor.PropsFromProducer(func() protoactor.Actor {
		return &server{dir: dir, opts: opts}
	})
}

// Crash makes the log-server actor panic: fault injection for tests and for
// the System's Kill. The supervisor restarts it and it recovers from disk;
// writes not yet acknowledged get no reply.
type Crash struct{}

// syncNow is the marker the actor sends itself to close a group commit.
type syncNow struct{}

// server is the log-server actor.
//
// Group commit: a LogWrite is applied (checked, its records buffered by the
// FileLog) as soon as it is received and its reply parked; the first parked
// write of a round sends syncNow to the actor itself. syncNow lands behind
// every message already in the mailbox, so all writes that arrived
// meanwhile, in particular while the previous fdatasync was running, are
// applied first and then share one Sync: one pwrite of all their records,
// one fdatasync. Replies leave after that Sync, in arrival order. No goroutines: the
// fsync blocks the actor, which is what lets the mailbox fill up.
type server struct {
	dir     string
	opts    Options
	log     *FileLog
	pending []parked
	queued  bool // a syncNow is in the mailbox
	stats   rafterpb.LogStatsReply
	saving  *saving // the snapshot save in progress, nil if none
}

type parked struct {
	to      *protoactor.PID
	reply   *rafterpb.LogWritten
	n       int       // entries
	arrived time.Time // zero when metrics are off
}

// Receive implements protoactor.Actor.
func (s *server) Receive(ctx protoactor.Context) {
	switch m := ctx.Message().(type) {
	case *protoactor.Started:
		l, err := Open(s.dir, s.opts)
		if err != nil {
			panic(fmt.Errorf("logserver: actor start: %w", err))
		}
		s.log = l
	case *protoactor.Stopping, *protoactor.Restarting:
		s.shutdown(ctx)
	case protoactor.SystemMessage, protoactor.AutoReceiveMessage:
		// Stopped, ReceiveTimeout, ...: nothing to do.
	default:
		if s.log == nil {
			panic(fmt.Errorf("logserver: %T received with no open log (%s)", m, s.dir))
		}
		s.handle(ctx, m)
	}
}

func (s *server) handle(ctx protoactor.Context, msg any) {
	switch m := msg.(type) {
	case *rafterpb.LogWrite:
		s.write(ctx, m)
	case syncNow:
		s.sync(ctx)
	case *rafterpb.LogGetEntry:
		ctx.Respond(s.getEntry(m))
	case *rafterpb.LogLoad:
		ctx.Respond(s.load())
	case *rafterpb.LogGetStats:
		ctx.Respond(s.statsReply())
	case *rafterpb.LogSnapshotSave:
		s.saveSnapshot(ctx, m)
	case *snapWritten:
		s.snapshotWritten(ctx, m)
	case *rafterpb.LogCompact:
		s.compact(ctx, m)
	case *rafterpb.LogSnapshotRead:
		s.respond(ctx, s.readChunk(m))
	case *rafterpb.LogSnapshotOpen:
		s.respond(ctx, s.openSnapshot())
	case *rafterpb.LogInstallChunk:
		s.installChunk(ctx, m)
	case Crash, *Crash:
		panic("logserver: crash requested")
	}
}

// write applies one LogWrite now and parks its reply until the next Sync.
// A refused write (bad input) is parked too, so replies stay in order. An
// I/O error panics: the outcome of parked writes is unknown, so they get no
// reply, and the supervisor restarts the peer, whose recovery decides.
func (s *server) write(ctx protoactor.Context, m *rafterpb.LogWrite) {
	arrived := s.opts.Metrics.Now()
	tr := hoptrace.Active()
	if tr != nil {
		traceWrite(tr, hoptrace.LogReceived, ctx.Sender(), m)
	}
	err := s.log.Write(m.GetMeta(), m.GetEntries())
	if tr != nil && err == nil {
		traceWrite(tr, hoptrace.Written, ctx.Sender(), m)
	}
	if err != nil && s.log.broken != nil {
		panic(err)
	}
	if err == nil {
		// The floor rises after the write: its own truncation replaces an
		// uncommitted suffix with the entries that its floor says are
		// committed, which is allowed (Raft §5.3).
		s.log.SetCommitFloor(m.GetCommitFloor())
	}
	n := len(m.GetEntries())
	if err != nil {
		n = 0
	}
	s.pending = append(s.pending, parked{to: ctx.Sender(), n: n, arrived: arrived, reply: &rafterpb.LogWritten{
		Seq: m.GetSeq(), LastIndex: s.log.LastIndex(), LastTerm: s.log.LastTerm(), Error: ProtoError(err),
	}})
	if !s.queued {
		s.queued = true
		ctx.Send(ctx.Self(), syncNow{})
	}
}

// sync closes a group commit: one Sync for every parked write, then the
// replies.
func (s *server) sync(ctx protoactor.Context) {
	s.queued = false
	if len(s.pending) == 0 {
		return
	}
	if hook := s.opts.beforeSync; hook != nil {
		hook()
	}
	start := s.opts.Metrics.Now()
	if err := s.log.Sync(); err != nil {
		panic(err)
	}
	if tr := hoptrace.Active(); tr != nil {
		tr.Upto(tracePeer(s.pending[0].to), hoptrace.Synced, s.log.LastIndex())
	}
	s.reply(ctx, start)
}

// reply acknowledges the parked writes that the Sync begun at syncStart (zero
// without metrics) made durable, and counts them.
func (s *server) reply(ctx protoactor.Context, syncStart time.Time) {
	batch := s.pending
	entries := s.stats.Entries
	s.stats.Syncs++
	s.stats.Writes += uint64(len(batch))
	s.stats.MaxBatch = max(s.stats.MaxBatch, uint64(len(batch)))
	b := bits.Len(uint(len(batch))) - 1
	for len(s.stats.BatchHistogram) <= b {
		s.stats.BatchHistogram = append(s.stats.BatchHistogram, 0)
	}
	s.stats.BatchHistogram[b]++
	logBytes, snapBytes := s.log.LogBytes(), s.log.SnapshotBytes()
	for _, p := range batch {
		s.stats.Entries += uint64(p.n)
		if p.to != nil {
			p.reply.LogBytes, p.reply.SnapshotBytes = logBytes, snapBytes
			ctx.Send(p.to, p.reply)
		}
		s.opts.Metrics.Written(p.arrived)
	}
	if !syncStart.IsZero() {
		s.opts.Metrics.Synced(syncStart, int(s.stats.Entries-entries))
	}
	// Reuse the array for the next round (nothing is parked while this
	// loop runs: the actor handles one message at a time).
	clear(batch)
	s.pending = batch[:0]
}

// shutdown acknowledges what a final Sync makes durable, then closes.
func (s *server) shutdown(ctx protoactor.Context) {
	if s.log == nil {
		return
	}
	s.abortSave()
	if len(s.pending) > 0 && s.log.broken == nil {
		start := s.opts.Metrics.Now()
		if err := s.log.Sync(); err == nil {
			s.reply(ctx, start)
		}
	}
	if err := s.log.Close(); err != nil && !errors.Is(err, ErrClosed) {
		s.opts.Logger.Error("logserver: closing", "dir", s.dir, "err", err)
	}
	s.log = nil
}

func (s *server) getEntry(m *rafterpb.LogGetEntry) *rafterpb.LogEntryReply {
	index := m.GetIndex()
	if m.GetLast() {
		index = s.log.LastIndex()
	}
	if index > 0 && index < s.log.FirstIndex() {
		return &rafterpb.LogEntryReply{Compacted: true}
	}
	if index < s.log.FirstIndex() || index > s.log.LastIndex() {
		return &rafterpb.LogEntryReply{}
	}
	e, err := s.log.Entry(index)
	return &rafterpb.LogEntryReply{Entry: e, Error: ProtoError(err)}
}
