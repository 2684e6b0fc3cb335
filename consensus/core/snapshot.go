package core

import (
	"fmt"

	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/rafterpb"
)

// Snapshots and compaction (Raft §7). The log server owns the snapshot
// file; the core decides when to take one, compacts its memory and the disk
// behind it, streams the file to followers that need compacted entries, and
// installs one a leader streams.
//
// Taking one: once SnapshotEntries entries were applied since the last
// snapshot and SnapshotMinTicks have passed (or 4*SnapshotEntries, or
// ForceSnapshot asked), Ready.Snapshot asks the shell for a snapshot of its
// state machine at the applied index. SnapshotSaved reports
// it durable; the core then drops the entries up to TrailingEntries behind
// it from memory and asks the log server (Ready.Compact) to do the same.
//
// No install livelock (the loop hashicorp/raft users hit: snapshot, slow
// restore, fall behind the log, snapshot again): a leader never compacts
// past the index of a snapshot it is sending, so the follower that
// installs it continues with entries however long its Restore takes. A
// leader streaming the bytes of a snapshot to a live follower takes no new
// one (which would replace the file being read) until the log has grown
// past four times SnapshotEntries; once every byte is sent, a new
// snapshot no longer disturbs the transfer.
//
// Sending one: a follower whose next index is at or below the compaction
// point gets the snapshot file in chunks of SnapshotChunkBytes, at most
// MaxSnapshotInflight unanswered; each answer names the offset its log
// server expects next, so a lost chunk is sent again from there, and a
// transfer with no answer for a heartbeat round restarts from the last
// answered offset. When the follower answers done, the leader probes it
// from the snapshot's index on.
//
// Receiving one: chunks go to the log server in order (Ready.Install);
// InstallProgress relays each answer to the leader. When the last one is
// installed and durable, the core resets its log as the log server did (Raft
// §7), takes the snapshot's index as committed and applied, and the shell
// restores its state machine from the file before it says done.

// snapshots is the core's snapshot bookkeeping.
type snapshots struct {
	// last is the newest durable snapshot (nil: none).
	last *rafterpb.SnapshotMeta
	// taking: a Ready.Snapshot is out and SnapshotSaved has not answered.
	taking bool
	// forced are the ForceSnapshot requests waiting for the next snapshot.
	forced []RequestID
	// waiting are forced requests whose snapshot is being taken.
	waiting []RequestID
	// compact is the compaction point for the next Ready.Compact (0: none).
	compact uint64
	// installs are the chunks received for the log server, in order.
	installs []InstallChunk
	// installing: the last chunk of the snapshot at this index is with the
	// log server; the log must not change until it answers.
	installing uint64
	// sent and repeated count finished transfers, and transfers a follower
	// needed right after the previous one (Status).
	sent, repeated uint64
	// ticks counts the ticks since the last snapshot was asked for.
	ticks int
}

// snapshotSend is the leader's transfer of a snapshot to one follower.
// Offsets are bytes of the snapshot file.
type snapshotSend struct {
	index, term, size uint64
	// keep is the lowest snapshot index the follower may be installing
	// (this transfer's, or an earlier one's whose bytes went out):
	// compaction stays at or below it.
	keep       uint64
	chunk      uint64 // bytes per chunk
	window     int    // chunks unanswered at most
	next       uint64 // the next offset to send
	acked      uint64 // the offset the follower expects (answered so far)
	progressed bool   // acked moved since the last heartbeat round
	// idle counts the heartbeat rounds without an answer that moved acked:
	// a chunk of a large snapshot may take its follower longer than a
	// round to write, so the transfer stalls only after an election
	// timeout's worth of them (stalled).
	idle int
	// heard: the follower answered a heartbeat since the last round. A
	// follower installing or restoring a snapshot answers nothing, so one
	// that answers heartbeats but not the last chunk never got it.
	heard bool
}

func (s *snapshotSend) inflight() int {
	if s.next <= s.acked {
		return 0
	}
	return int((s.next - s.acked + s.chunk - 1) / s.chunk)
}

func (s *snapshotSend) canSend() bool { return s.next < s.size && s.inflight() < s.window }

// ForceSnapshot asks for a snapshot now, whatever SnapshotEntries says
// (System.Snapshot: an operator wants a small log before maintenance). The
// request ends with a Result once a snapshot at or after the applied index
// is durable (Index: its index), or with an error if the state machine
// cannot snapshot.
func (c *Core) ForceSnapshot(id RequestID) {
	if c.applied == c.snaps.last.GetIndex() && c.applied > 0 {
		c.results = append(c.results, Result{ID: id, Index: c.applied})
		return
	}
	c.snaps.forced = append(c.snaps.forced, id)
}

// wantSnapshot: Ready should ask for a snapshot now.
func (c *Core) wantSnapshot() bool {
	if c.snaps.taking || c.applied <= c.snaps.last.GetIndex() {
		return false
	}
	if len(c.snaps.forced) > 0 {
		return true
	}
	every := c.opts.SnapshotEntries
	if every == 0 {
		return false
	}
	since := c.applied - c.snaps.last.GetIndex()
	if since < every {
		return false
	}
	if since >= 4*every {
		return true // memory stays bounded
	}
	return c.snaps.ticks >= c.opts.SnapshotMinTicks && !c.sendingSnapshot()
}

// sendingSnapshot: this leader streams its snapshot to a follower that
// has answered a chunk (one that never answers, a peer that is down, holds
// nothing back).
func (c *Core) sendingSnapshot() bool {
	if c.role != Leader {
		return false
	}
	for _, pr := range c.leading.prs {
		if pr.state == snapshot && pr.send.acked > 0 && pr.send.next < pr.send.size {
			return true
		}
	}
	return false
}

// takeSnapshot builds Ready.Snapshot: the applied index, its term and the
// configuration in force there.
func (c *Core) takeSnapshot() *rafterpb.SnapshotMeta {
	if !c.wantSnapshot() {
		return nil
	}
	conf, _ := c.log.configAt(c.applied)
	if conf == nil {
		conf = blankConfig
	}
	c.snaps.taking, c.snaps.ticks = true, 0
	c.snaps.waiting, c.snaps.forced = append(c.snaps.waiting, c.snaps.forced...), nil
	return &rafterpb.SnapshotMeta{Index: c.applied, Term: c.log.term(c.applied), Config: conf}
}

// SnapshotSaved answers Ready.Snapshot: meta is the snapshot now durable
// (its size set), or err says why none was written (the previous snapshot
// stays current).
func (c *Core) SnapshotSaved(meta *rafterpb.SnapshotMeta, err error) {
	c.snaps.taking = false
	waiting := c.snaps.waiting
	c.snaps.waiting = nil
	if err != nil {
		for _, id := range waiting {
			c.results = append(c.results, Result{ID: id, Err: err})
		}
		return
	}
	c.adoptSnapshot(meta)
	for _, id := range waiting {
		c.results = append(c.results, Result{ID: id, Index: c.snaps.last.GetIndex()})
	}
}

// adoptSnapshot records meta as the newest snapshot (an older one changes
// nothing), compacts the log to TrailingEntries behind it, and restarts
// transfers of an older snapshot, whose file is gone.
func (c *Core) adoptSnapshot(meta *rafterpb.SnapshotMeta) {
	if meta.GetIndex() <= c.snaps.last.GetIndex() {
		return
	}
	c.snaps.last = meta
	if c.role == Leader {
		for _, pr := range c.leading.prs {
			if pr.state == snapshot && pr.send.next < pr.send.size {
				c.startSnapshot(pr) // its file is gone: send the new one
			}
		}
	}
	if i := meta.GetIndex(); i > c.opts.TrailingEntries {
		cut := min(i-c.opts.TrailingEntries, c.log.lastIndex())
		if c.role == Leader {
			for _, pr := range c.leading.prs {
				switch {
				case pr.state == snapshot:
					cut = min(cut, pr.send.keep) // it continues from there
				case pr.lastSnapshot != 0 && pr.match < i &&
					c.log.lastIndex()-pr.match <= 4*c.opts.SnapshotEntries+c.opts.TrailingEntries:
					// It installed a snapshot and is still catching up on
					// the entries after it: cutting them would send it
					// another snapshot at once (an install livelock with a
					// slow restore and a busy leader). Held no further than
					// a transfer's floor is.
					cut = min(cut, pr.match)
				}
			}
		}
		if cut > c.log.offset {
			c.log.compact(cut)
			c.snaps.compact = cut
		}
	}
}

// startSnapshot puts pr in snapshot state with the newest snapshot. A
// transfer that replaces one whose bytes were (partly) sent keeps that
// one's index as its floor (keep): the follower may still finish installing
// it, and then continues with the entries after it, so compaction must not
// pass it until the follower answers or the log grows 4 x SnapshotEntries
// past it (a follower that is down holds compaction back no further).
func (c *Core) startSnapshot(pr *progress) {
	s := c.snaps.last
	if pr.state != snapshot && pr.lastSnapshot != 0 {
		c.snaps.repeated++
	}
	keep := s.GetIndex()
	if old := pr.send; pr.state == snapshot && old.next > 0 &&
		c.log.lastIndex()-old.keep <= 4*c.opts.SnapshotEntries+c.opts.TrailingEntries {
		keep = min(keep, old.keep)
	}
	pr.state = snapshot
	pr.paused = false
	pr.inflight.reset()
	pr.send = snapshotSend{index: s.GetIndex(), term: s.GetTerm(), size: s.GetSize(), keep: keep,
		chunk: c.opts.SnapshotChunkBytes, window: c.opts.MaxSnapshotInflight}
}

// stalled counts a heartbeat round of pr's transfer and reports whether it
// has had chunks unanswered for an election timeout.
func (c *Core) stalled(pr *progress) bool {
	s := &pr.send
	if s.progressed || s.next <= s.acked {
		s.idle = 0
		return false
	}
	s.idle++
	if s.idle*c.opts.HeartbeatTicks < c.opts.ElectionTicks {
		return false
	}
	s.idle = 0
	return true
}

// restoreSlack bounds, in SnapshotEntries, how far the log may grow past a
// snapshot a silent follower may still be restoring before the leader
// compacts past it: the leader's memory stays proportional to
// SnapshotEntries + TrailingEntries, and a Restore may take as long as the
// cluster needs to write 16 snapshots' worth of entries.
const restoreSlack = 16

// snapshotStalled handles a transfer to pr with chunks unanswered for an
// election timeout. If its file is still the current snapshot, the
// chunks are sent again from the last offset answered. If a newer snapshot
// replaced it once every byte was sent, the follower may be installing or
// restoring it (it answers nothing meanwhile, and the last chunk only
// then): the leader waits, keeping the entries after it, until the log has
// grown restoreSlack times SnapshotEntries past it. A follower that answers
// heartbeats is doing neither, and one with bytes left to receive cannot
// get them: both get the newest snapshot.
func (c *Core) snapshotStalled(pr *progress) {
	s := &pr.send
	switch {
	case s.index == c.snaps.last.GetIndex():
		s.next = s.acked
	case s.next < s.size || s.heard || c.log.lastIndex()-s.index > restoreSlack*c.opts.SnapshotEntries+c.opts.TrailingEntries:
		c.startSnapshot(pr) // the file it was sending is gone
	}
}

// sendSnapshotChunk sends pr the next chunk of its transfer.
func (c *Core) sendSnapshotChunk(pr *progress) {
	s := &pr.send
	m := c.newMessage(pr.peer)
	m.Body = &rafterpb.RaftMessage_InstallSnapshot{InstallSnapshot: &rafterpb.InstallSnapshot{
		LastIncludedIndex: s.index,
		LastIncludedTerm:  s.term,
		Offset:            s.next,
		TotalSize:         s.size,
	}}
	c.send(m, false)
	s.next = min(s.next+s.chunk, s.size)
}

// handleInstallReply is the leader's side of a chunk's answer.
func (c *Core) handleInstallReply(m *rafterpb.RaftMessage) error {
	r := m.GetInstallSnapshotReply()
	pr := c.leading.progress[config.PeerKey(m.GetFrom())]
	if pr == nil {
		return nil
	}
	pr.recentActive = true
	idx := r.GetLastIncludedIndex()
	if r.GetDone() && r.GetSuccess() {
		if idx > c.log.lastIndex() || (!c.log.compacted(idx) && c.log.term(idx) != r.GetLastIncludedTerm()) {
			return invalid("install_snapshot_reply done at (%d, %d), which this leader's log does not hold",
				idx, r.GetLastIncludedTerm())
		}
		if pr.state == snapshot {
			c.snaps.sent++
			pr.lastSnapshot = idx
		}
		if idx > pr.match {
			pr.match = idx
			pr.progressed = true
			defer c.maybeCommit()
		}
		if pr.state == snapshot {
			pr.becomeProbe()
			pr.next = pr.match + 1
		}
		return nil
	}
	s := &pr.send
	if pr.state != snapshot || idx != s.index || r.GetLastIncludedTerm() != s.term {
		return nil // an answer about an earlier transfer
	}
	next := r.GetNextOffset()
	if next > s.size {
		return invalid("install_snapshot_reply next offset %d past size %d", next, s.size)
	}
	if next > s.acked {
		s.acked, s.progressed = next, true
		s.next = max(s.next, next)
	}
	// The follower expects an offset before the chunk it answers: a chunk
	// in between was lost (or the log server refused this one and dropped
	// the partial file). Send again from there.
	if (next < r.GetOffset() || !r.GetSuccess()) && s.next > next {
		if s.index != c.snaps.last.GetIndex() {
			c.startSnapshot(pr) // its file is gone: send the newest
			return nil
		}
		s.acked, s.next = next, next
	}
	return nil
}

// stepInstall is the follower's side of an InstallSnapshot chunk of the
// current term's leader.
func (c *Core) stepInstall(m *rafterpb.RaftMessage) {
	in := m.GetInstallSnapshot()
	switch {
	case in.GetLastIncludedIndex() <= c.commit:
		// The committed log holds it: nothing to install.
		term := in.GetLastIncludedTerm()
		if !c.log.compacted(in.GetLastIncludedIndex()) {
			term = c.log.term(in.GetLastIncludedIndex())
		}
		c.replyInstall(m.GetFrom(), &rafterpb.InstallSnapshotReply{
			LastIncludedIndex: in.GetLastIncludedIndex(), LastIncludedTerm: term,
			Success: true, Done: true, Offset: in.GetOffset(), NextOffset: in.GetTotalSize(),
		})
	case c.snaps.installing != 0:
		// The log server is installing a snapshot: the log must not change
		// until it answers. The leader sends again.
	default:
		if in.GetOffset()+uint64(len(in.GetData())) == in.GetTotalSize() {
			c.snaps.installing = in.GetLastIncludedIndex()
		}
		c.snaps.installs = append(c.snaps.installs, InstallChunk{From: m.GetFrom(), Term: m.GetTerm(), Msg: in})
	}
}

func (c *Core) replyInstall(to *rafterpb.Peer, r *rafterpb.InstallSnapshotReply) {
	m := c.newMessage(to)
	m.Body = &rafterpb.RaftMessage_InstallSnapshotReply{InstallSnapshotReply: r}
	c.send(m, false)
}

// InstallProgress is the log server's answer r to chunk in (Ready.Install).
// With r.Done the snapshot is installed on disk: the core resets its log the
// same way (kept after the snapshot only if it holds the snapshot's last
// entry with its term), takes the snapshot's index as committed and applied,
// and returns restore: the shell must restore its state machine from the
// snapshot now, before the next Ready. The answer to the leader leaves in
// the next Ready.
func (c *Core) InstallProgress(in InstallChunk, r InstallReply) (restore bool) {
	msg := in.Msg
	idx, term := msg.GetLastIncludedIndex(), msg.GetLastIncludedTerm()
	last := msg.GetOffset()+uint64(len(msg.GetData())) == msg.GetTotalSize()
	if last && c.snaps.installing == idx {
		c.snaps.installing = 0
	}
	reply := &rafterpb.InstallSnapshotReply{LastIncludedIndex: idx, LastIncludedTerm: term,
		Offset: msg.GetOffset(), NextOffset: r.NextOffset, Success: r.Err == nil}
	if r.Done && r.Err == nil {
		if s := r.Snapshot; s.GetIndex() != idx || s.GetTerm() != term {
			panic(fmt.Sprintf("core: install of (%d, %d) answered with snapshot (%d, %d)",
				idx, term, s.GetIndex(), s.GetTerm()))
		}
		restore = c.installed(r.Snapshot)
		reply.Done = true
	}
	if last && c.snaps.installing == 0 && len(c.bootstrapWaits) > 0 {
		c.resumeBootstrap()
	}
	if in.Term == c.term {
		c.replyInstall(in.From, reply)
	}
	return restore
}

// installed mirrors the log server's install of snapshot s (Raft §7).
func (c *Core) installed(s *rafterpb.SnapshotMeta) (restore bool) {
	if c.applying != c.applied {
		panic(fmt.Sprintf("core: snapshot installed with entries %d..%d handed out and not applied",
			c.applied+1, c.applying))
	}
	idx, term := s.GetIndex(), s.GetTerm()
	if idx > c.snaps.last.GetIndex() {
		c.snaps.last = s
	}
	if idx <= c.applied {
		return false // the log server kept our log: it holds idx with term
	}
	if idx <= c.log.lastIndex() && c.log.term(idx) == term {
		c.log.compact(idx)
		if c.log.baseConfig == nil {
			c.log.baseConfig, c.log.baseIndex = s.GetConfig(), idx
		}
	} else {
		c.log.reset(idx, term, s.GetConfig())
	}
	c.commit = max(c.commit, idx)
	c.applying, c.applied = idx, idx
	c.refreshConfig()
	return true
}

// takeInstalls hands the received chunks to the shell.
func (c *Core) takeInstalls() []InstallChunk {
	out := c.snaps.installs
	c.snaps.installs = nil
	return out
}
