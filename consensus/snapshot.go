package consensus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"

	"github.com/rafter-go/rafter/actor"
	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/logserver"
	"github.com/rafter-go/rafter/rafterpb"
)

// This file executes the snapshot effects of a Ready (core/snapshot.go
// decides them): taking a snapshot of the state machine and handing it to
// the log server, compacting, reading the chunks a leader streams and
// handing the chunks a follower receives to its log server, and restoring
// the state machine from a snapshot on start and after an install.
//
// The log server answers each kind of request in the order it got them, so
// the actor keeps the requests in flight in FIFO queues and matches each
// answer with the oldest one (checking what the answer names).

// Snapshotter is what a state machine implements to be snapshotted
// (package rafter's Snapshotter). Without it the core never asks for a
// snapshot (Options.Core.SnapshotEntries is taken as 0).
type Snapshotter interface {
	Snapshot() (interface {
		WriteTo(w io.Writer) (int64, error)
		Release()
	}, error)
	Restore(r io.Reader) error
}

// ErrNoSnapshotter: a snapshot was asked of a state machine that does not
// implement Snapshotter, or a peer with a snapshot on disk was given one
// that cannot restore it.
var ErrNoSnapshotter = errors.New("consensus: the state machine does not implement Snapshotter")

// snapshotIO is the actor's snapshot traffic with its log server.
type snapshotIO struct {
	// saving is the snapshot being written (nil: none): the core's
	// Ready.Snapshot, whose size the log server's answer completes;
	// savingSince when it was taken (zero with metrics off).
	saving      *rafterpb.SnapshotMeta
	savingSince time.Time
	// failed: the state machine could not take the snapshot the core asked
	// for; drain reports it to the core after the Ready is advanced.
	failed error
	// reads are outgoing InstallSnapshot chunks waiting for their bytes.
	reads []*rafterpb.RaftMessage
	// installs are received chunks at the log server.
	installs []core.InstallChunk
	// logged is, by follower, the snapshot index whose transfer was last
	// logged: a transfer to a follower that is down starts again every
	// heartbeat round, and is logged once.
	logged map[string]uint64
}

// takeSnapshot is Ready step 0: the state machine is at meta.Index now.
func (a *consensusActor) takeSnapshot(ctx protoactor.Context, meta *rafterpb.SnapshotMeta) {
	ss, ok := a.sm.(Snapshotter)
	if !ok {
		a.snap.failed = ErrNoSnapshotter
		return
	}
	body, err := ss.Snapshot()
	if err != nil {
		a.snap.failed = fmt.Errorf("consensus: state machine snapshot at %d: %w", meta.GetIndex(), err)
		return
	}
	h, err := logserver.RegisterSnapshot(&withSessions{table: a.sessions.Encode(), body: body})
	if err != nil {
		body.Release()
		a.snap.failed = err
		return
	}
	a.snap.saving, a.snap.savingSince = meta, a.opts.Metrics.Now()
	ctx.Request(a.opts.Log, &rafterpb.LogSnapshotSave{
		Handle: h, Index: meta.GetIndex(), Term: meta.GetTerm(), Config: meta.GetConfig(),
	})
}

// afterAdvance reports a snapshot the state machine could not take.
func (a *consensusActor) afterAdvance() {
	if err := a.snap.failed; err != nil {
		a.snap.failed = nil
		a.opts.Metrics.SnapshotSaved(0, 0, true)
		a.logger.Warn("consensus: no snapshot taken", "error", err)
		a.core.SnapshotSaved(nil, err)
	}
}

func (a *consensusActor) onSnapshotSaved(m *rafterpb.LogSnapshotSaved) {
	a.noteDisk(m)
	s := a.snap.saving
	if s == nil || s.GetIndex() != m.GetIndex() {
		a.logger.Debug("consensus: dropped an unexpected snapshot answer", "index", m.GetIndex())
		return
	}
	a.snap.saving = nil
	if e := m.GetError(); e != nil {
		a.opts.Metrics.SnapshotSaved(0, 0, true)
		a.logger.Warn("consensus: snapshot not saved", "index", m.GetIndex(), "error", e.GetMessage())
		a.core.SnapshotSaved(nil, fmt.Errorf("consensus: log server: %s", e.GetMessage()))
		return
	}
	if a.opts.Metrics != nil {
		a.opts.Metrics.SnapshotSaved(m.GetBytes(), time.Since(a.snap.savingSince), false)
	}
	a.logger.Debug("consensus: snapshot saved", "index", m.GetIndex(), "bytes", m.GetBytes())
	a.core.SnapshotSaved(&rafterpb.SnapshotMeta{
		Index: s.GetIndex(), Term: s.GetTerm(), Config: s.GetConfig(), Size: m.GetBytes(),
	}, nil)
}

func (a *consensusActor) onCompacted(m *rafterpb.LogCompacted) {
	a.noteDisk(m)
	if e := m.GetError(); e != nil {
		// The entries stay on disk; the next snapshot compacts again.
		a.logger.Warn("consensus: log compaction failed", "error", e.GetMessage())
	}
}

// sendSnapshotChunk asks the log server for the bytes of an outgoing
// InstallSnapshot chunk; onSnapshotChunk sends it.
func (a *consensusActor) sendSnapshotChunk(ctx protoactor.Context, m *rafterpb.RaftMessage) {
	in := m.GetInstallSnapshot()
	if in.GetOffset() == 0 {
		a.noticeSnapshotSend(m)
	}
	a.snap.reads = append(a.snap.reads, m)
	ctx.Request(a.opts.Log, &rafterpb.LogSnapshotRead{
		Index: in.GetLastIncludedIndex(), Offset: in.GetOffset(), MaxBytes: uint32(a.chunkBytes()),
	})
}

// noticeSnapshotSend logs the start of a transfer, and as a warning one that
// a follower needs right after finishing the previous one: its Restore is
// slower than the log grows by TrailingEntries (raise it), or it keeps
// losing its state.
func (a *consensusActor) noticeSnapshotSend(m *rafterpb.RaftMessage) {
	in := m.GetInstallSnapshot()
	st := a.core.Status()
	key := config.PeerKey(m.GetTo())
	if a.snap.logged == nil {
		a.snap.logged = make(map[string]uint64)
	}
	if st.RepeatedSnapshots == a.repeatedSnapshots && a.snap.logged[key] == in.GetLastIncludedIndex() {
		return
	}
	a.snap.logged[key] = in.GetLastIncludedIndex()
	if st.RepeatedSnapshots != a.repeatedSnapshots {
		a.repeatedSnapshots = st.RepeatedSnapshots
		a.logger.Warn("consensus: follower needs another snapshot right after installing one; raise TrailingEntries if its restore is slow",
			"follower", config.PeerKey(m.GetTo()), "index", in.GetLastIncludedIndex(), "times", st.RepeatedSnapshots)
		return
	}
	a.logger.Info("consensus: sending a snapshot to a follower behind the compacted log",
		"follower", config.PeerKey(m.GetTo()), "index", in.GetLastIncludedIndex(), "bytes", in.GetTotalSize())
}

func (a *consensusActor) chunkBytes() uint64 {
	if n := a.opts.Core.SnapshotChunkBytes; n > 0 {
		return min(n, 1<<31)
	}
	return core.DefaultSnapshotChunkBytes
}

func (a *consensusActor) onSnapshotChunk(ctx protoactor.Context, r *rafterpb.LogSnapshotChunk) {
	if len(a.snap.reads) == 0 {
		return
	}
	m := a.snap.reads[0]
	a.snap.reads = a.snap.reads[1:]
	in := m.GetInstallSnapshot()
	switch {
	case r.GetError() != nil:
		a.logger.Warn("consensus: cannot read the snapshot for a follower", "error", r.GetError().GetMessage())
		return
	case r.GetReplaced() || r.GetOffset() != in.GetOffset() || r.GetSnapshot().GetIndex() != in.GetLastIncludedIndex():
		return // a newer snapshot replaced it: the core restarts the transfer
	}
	in.Data, in.Done = r.GetData(), r.GetDone()
	a.opts.Metrics.ChunkSent()
	if uint64(len(in.Data)) > in.GetTotalSize()-in.GetOffset() {
		a.logger.Error("consensus: the snapshot file is larger than the core was told", "index", in.GetLastIncludedIndex())
		return
	}
	a.sendPeer(ctx, m)
}

// installChunk hands a received chunk to the log server.
func (a *consensusActor) installChunk(ctx protoactor.Context, ch core.InstallChunk) {
	in := ch.Msg
	a.opts.Metrics.ChunkReceived()
	a.snap.installs = append(a.snap.installs, ch)
	ctx.Request(a.opts.Log, &rafterpb.LogInstallChunk{
		Index: in.GetLastIncludedIndex(), Term: in.GetLastIncludedTerm(),
		TotalSize: in.GetTotalSize(), Offset: in.GetOffset(), Data: in.GetData(),
	})
}

func (a *consensusActor) onInstallReply(r *rafterpb.LogInstallReply) {
	a.noteDisk(r)
	if len(a.snap.installs) == 0 {
		return
	}
	ch := a.snap.installs[0]
	a.snap.installs = a.snap.installs[1:]
	if ch.Msg.GetLastIncludedIndex() != r.GetIndex() || ch.Msg.GetLastIncludedTerm() != r.GetTerm() {
		a.logger.Warn("consensus: install answer does not match the chunk sent",
			"sent", ch.Msg.GetLastIncludedIndex(), "answered", r.GetIndex())
	}
	reply := core.InstallReply{NextOffset: r.GetNextOffset(), Done: r.GetDone(), Snapshot: r.GetSnapshot()}
	if e := r.GetError(); e != nil {
		reply.Err = errors.New(e.GetMessage())
		a.logger.Warn("consensus: snapshot chunk refused", "index", r.GetIndex(), "offset", ch.Msg.GetOffset(),
			"error", e.GetMessage())
	}
	if a.core.InstallProgress(ch, reply) {
		a.logger.Info("consensus: installing a snapshot from the leader",
			"leader", ch.From.GetName(), "index", r.GetIndex(), "bytes", r.GetSnapshot().GetSize())
		if err := a.restore(a.opts.NewStateMachine(), r.GetSnapshot()); err != nil {
			// The snapshot is installed on disk: a restart restores it.
			panic(err)
		}
		a.opts.Metrics.SnapshotInstalled()
	}
}

// restore restores sm, a fresh state machine, from the log server's current
// snapshot, which must be want, and makes it the actor's. It blocks the
// actor for as long as Restore takes: nothing can be applied meanwhile
// anyway.
func (a *consensusActor) restore(sm StateMachine, want *rafterpb.SnapshotMeta) error {
	ss, ok := sm.(Snapshotter)
	if !ok {
		return fmt.Errorf("%w: cannot restore the snapshot at %d", ErrNoSnapshotter, want.GetIndex())
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.opts.logCallTimeout())
	defer cancel()
	opened, err := actor.Call[*rafterpb.LogSnapshotOpened](ctx, a.opts.System, a.opts.Log, &rafterpb.LogSnapshotOpen{})
	if err != nil {
		return fmt.Errorf("%w: open snapshot: %w", ErrLogLoad, err)
	}
	if e := opened.GetError(); e != nil {
		return fmt.Errorf("%w: open snapshot: %s", ErrLogLoad, e.GetMessage())
	}
	if got := opened.GetSnapshot(); got.GetIndex() != want.GetIndex() || got.GetTerm() != want.GetTerm() {
		if opened.GetHandle() != 0 {
			if r, err := logserver.TakeSnapshotReader(opened.GetHandle()); err == nil {
				_ = r.Close()
			}
		}
		return fmt.Errorf("%w: the log server's snapshot is (%d, %d), not (%d, %d)",
			ErrLogLoad, got.GetIndex(), got.GetTerm(), want.GetIndex(), want.GetTerm())
	}
	r, err := logserver.TakeSnapshotReader(opened.GetHandle())
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLogLoad, err)
	}
	defer r.Close()
	table, rest, err := readSessions(r, a.opts.Sessions)
	if err != nil {
		return fmt.Errorf("consensus: restore of the snapshot at %d: %w", want.GetIndex(), err)
	}
	if err := ss.Restore(rest); err != nil {
		return fmt.Errorf("consensus: restore of the snapshot at %d: %w", want.GetIndex(), err)
	}
	a.sm, a.sessions = sm, table
	return nil
}
