package logserver

import (
	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/rafter-go/rafter/rafterpb"
)

// saving is a snapshot save whose body is being written off the actor.
type saving struct {
	to   *protoactor.PID
	w    *SnapshotWriter
	body SnapshotBody
}

// snapWritten is what the writing goroutine sends back to the actor. It is
// local (never crosses a process): it carries the writer itself.
type snapWritten struct {
	w   *SnapshotWriter
	n   int64
	err error
}

// respond answers the sender if there is one (a Send without sender gets
// no reply).
func (s *server) respond(ctx protoactor.Context, msg any) {
	if ctx.Sender() != nil {
		ctx.Respond(msg)
	}
}

// saveSnapshot starts a save: the temp file is made here, the body's
// WriteTo runs on a goroutine (the body may take long; appends, fsyncs and
// everything else go on meanwhile), and snapWritten comes back as a
// message, so the rename and the bookkeeping happen on the actor.
func (s *server) saveSnapshot(ctx protoactor.Context, m *rafterpb.LogSnapshotSave) {
	fail := func(err error) {
		s.respond(ctx, &rafterpb.LogSnapshotSaved{Index: m.GetIndex(), Term: m.GetTerm(), Error: ProtoError(err),
			LogBytes: s.log.LogBytes(), SnapshotBytes: s.log.SnapshotBytes()})
	}
	body, err := takeSnapshotBody(m.GetHandle())
	if err != nil {
		fail(err)
		return
	}
	if s.saving != nil {
		body.Release()
		fail(ErrSnapshotBusy)
		return
	}
	w, err := s.log.CreateSnapshot(m.GetIndex(), m.GetTerm(), m.GetConfig())
	if err != nil {
		body.Release()
		fail(err)
		return
	}
	s.saving = &saving{to: ctx.Sender(), w: w, body: body}
	self, root := ctx.Self(), ctx.ActorSystem().Root
	go func() {
		n, err := body.WriteTo(w)
		body.Release()
		if err == nil {
			err = w.Finish()
		}
		root.Send(self, &snapWritten{w: w, n: n, err: err})
	}()
}

// snapshotWritten makes a written body durable and answers the requester.
// A failed write removes the temp file; nothing else changes.
func (s *server) snapshotWritten(ctx protoactor.Context, m *snapWritten) {
	sv := s.saving
	if sv == nil || sv.w != m.w {
		// From an earlier incarnation of this actor (same PID after a
		// restart), whose shutdown aborted it: nothing to do.
		m.w.Abort()
		return
	}
	s.saving = nil
	reply := &rafterpb.LogSnapshotSaved{Index: m.w.Index(), Term: m.w.hdr.term}
	if m.err != nil {
		m.w.Abort()
		s.opts.Logger.Error("logserver: snapshot save failed", "dir", s.dir, "index", m.w.Index(), "err", m.err)
		reply.Error = ProtoError(m.err)
	} else {
		meta, err := s.log.CommitSnapshot(m.w)
		if err != nil && s.log.broken != nil {
			panic(err)
		}
		reply.Error = ProtoError(err)
		reply.Bytes = meta.GetSize()
	}
	reply.LogBytes, reply.SnapshotBytes = s.log.LogBytes(), s.log.SnapshotBytes()
	if sv.to != nil {
		ctx.Send(sv.to, reply)
	}
}

// abortSave stops a running save (the actor is stopping or restarting):
// the temp file goes, the goroutine's writes fail, and its completion is
// ignored. Release is still called by the goroutine when WriteTo returns.
func (s *server) abortSave() {
	if s.saving != nil {
		s.saving.w.Abort()
		s.saving = nil
	}
}

func (s *server) readChunk(m *rafterpb.LogSnapshotRead) *rafterpb.LogSnapshotChunk {
	max := int(min(uint64(m.GetMaxBytes()), uint64(s.opts.MaxChunkBytes)))
	if max == 0 {
		max = s.opts.MaxChunkBytes
	}
	data, done, replaced, err := s.log.ReadSnapshotChunk(m.GetIndex(), m.GetOffset(), max)
	return &rafterpb.LogSnapshotChunk{Snapshot: s.log.Snapshot(), Offset: m.GetOffset(), Data: data,
		Done: done, Replaced: replaced, Error: ProtoError(err)}
}

func (s *server) openSnapshot() *rafterpb.LogSnapshotOpened {
	r, err := s.log.OpenSnapshot()
	if err != nil || r == nil {
		return &rafterpb.LogSnapshotOpened{Error: ProtoError(err)}
	}
	h, err := putHandle(r)
	if err != nil {
		_ = r.Close()
		return &rafterpb.LogSnapshotOpened{Error: ProtoError(err)}
	}
	return &rafterpb.LogSnapshotOpened{Snapshot: r.Meta(), Handle: h}
}

// installChunk handles one InstallSnapshot chunk. Writes parked for the
// group commit are made durable and answered first: a completed install may
// reset the log, and an acknowledgement must describe what was durable
// before that, in arrival order.
func (s *server) installChunk(ctx protoactor.Context, m *rafterpb.LogInstallChunk) {
	s.syncParked(ctx)
	reply, err := s.log.InstallChunk(m)
	if s.log.broken != nil {
		panic(err)
	}
	reply.Error = ProtoError(err)
	reply.LogBytes, reply.SnapshotBytes = s.log.LogBytes(), s.log.SnapshotBytes()
	s.respond(ctx, reply)
}

// syncParked makes the writes parked for the group commit durable and
// answers them, before an operation that changes the log's files in a way
// a crash must not be able to put ahead of them (an install, a
// compaction).
func (s *server) syncParked(ctx protoactor.Context) {
	if len(s.pending) == 0 {
		return
	}
	start := s.opts.Metrics.Now()
	if err := s.log.Sync(); err != nil {
		panic(err)
	}
	s.reply(ctx, start)
}

// compact handles LogCompact. Parked writes are made durable first: a
// compaction that deleted segments while a write truncating the entries
// after them was still unsynced would, after a crash, leave the snapshot
// followed by entries of a log it does not continue (the stale suffix
// the truncation replaced), and recovery could not tell.
func (s *server) compact(ctx protoactor.Context, m *rafterpb.LogCompact) {
	s.syncParked(ctx)
	err := s.log.Compact(m.GetIndex())
	s.respond(ctx, &rafterpb.LogCompacted{FirstIndex: s.log.FirstIndex(), Error: ProtoError(err),
		LogBytes: s.log.LogBytes(), SnapshotBytes: s.log.SnapshotBytes()})
}

// load answers LogLoad: metadata, snapshot, entries after the snapshot.
func (s *server) load() *rafterpb.LogLoadReply {
	from := max(s.log.FirstIndex(), s.log.SnapshotIndex()+1)
	es, err := s.log.Entries(from, s.log.LastIndex()+1)
	return &rafterpb.LogLoadReply{Meta: s.log.Meta(), Entries: es, Error: ProtoError(err),
		Snapshot: s.log.Snapshot(), FirstIndex: s.log.FirstIndex(),
		LogBytes: s.log.LogBytes(), SnapshotBytes: s.log.SnapshotBytes()}
}

func (s *server) statsReply() *rafterpb.LogStatsReply {
	st, l := &s.stats, s.log
	return &rafterpb.LogStatsReply{Writes: st.Writes, Entries: st.Entries, Syncs: st.Syncs,
		MaxBatch: st.MaxBatch, BatchHistogram: append([]uint64(nil), st.BatchHistogram...),
		FirstIndex: l.FirstIndex(), LastIndex: l.LastIndex(), LastTerm: l.LastTerm(), CommitFloor: l.CommitFloor(),
		LogBytes: l.LogBytes(), SnapshotBytes: l.SnapshotBytes(), SnapshotIndex: l.SnapshotIndex(), SnapshotTerm: l.SnapshotTerm()}
}
