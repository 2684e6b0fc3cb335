package sim

import (
	"fmt"

	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/rafterpb"
)

// The shell's snapshot duties (consensus/core/api.go, Ready steps 0 and 6,
// and the InstallSnapshot data), against the log server model of
// snapfile.go. Saves and install chunks complete after a random delay, as
// an fsync does, so that crashes hit them mid-way.

// saveSnapshot is Ready step 0: the counter is serialized now, at the
// snapshot's index, before rd.Committed is applied; the save becomes the
// durable snapshot only when its fsync completes (evSnapSaved).
func (w *World) saveSnapshot(n *node, m *rafterpb.SnapshotMeta) {
	if n.sm.applied != m.GetIndex() {
		w.chk.fail("%s asks for a snapshot at %d with its state machine at %d", n.name, m.GetIndex(), n.sm.applied)
		return
	}
	ev := &event{kind: evSnapSaved, node: n.idx, inc: n.inc}
	if err := n.st.checkSave(m); err != nil {
		ev.err = err // refused at once, answered asynchronously as the log server does
		w.after(1, ev)
		return
	}
	n.st.saving = encodeSnap(m.GetIndex(), m.GetTerm(), m.GetConfig(), n.sm.count, w.snapTable(n))
	w.after(1+w.rng.Int64N(max(w.o.MaxSnapshotSave, 1)), ev)
}

// snapSaved completes a save: it fails now and then (a disk error), is
// dropped if an install overtook it, else becomes the durable snapshot.
func (w *World) snapSaved(e *event) {
	n := w.nodes[e.node]
	if !n.up || n.inc != e.inc {
		return
	}
	err := e.err
	f := n.st.saving
	n.st.saving = nil
	if err == nil && w.rng.IntN(10) == 0 {
		err = errSaveFailed
	}
	if err == nil && w.o.Faults.LateSnapshot {
		f = encodeSnap(f.meta.GetIndex(), f.meta.GetTerm(), f.meta.GetConfig(), n.sm.count, w.snapTable(n))
	}
	if err == nil {
		if err = n.st.commitSave(f); err != nil {
			w.stats.StaleSaves++
		}
	}
	if err != nil {
		w.stats.SnapshotFailures++
		n.core.SnapshotSaved(nil, err)
	} else {
		w.stats.Snapshots++
		w.chk.snapshotState(n.name, "saves", f)
		n.core.SnapshotSaved(cloneSnapMeta(f.meta), nil)
	}
	w.drive(n)
}

// compact is Ready step 6's Compact.
func (w *World) compact(n *node, c uint64) {
	if err := n.st.compact(c, w.o.Faults.CompactUnsynced); err != nil {
		w.chk.fail("%s: %v", n.name, err)
		return
	}
	w.stats.Compactions++
}

// queueInstall is Ready step 6's Install: each chunk goes to the log
// server, which takes it after every earlier write and chunk.
func (w *World) queueInstall(n *node, chunks []core.InstallChunk) {
	for i := range chunks {
		at := max(w.now+1+w.rng.Int64N(w.o.MaxFsync), n.st.busyUntil)
		n.st.busyUntil = at
		n.st.chunks++
		w.schedule(&event{at: at, kind: evInstall, node: n.idx, inc: n.inc, wseq: n.wseq, chunk: &chunks[i]})
	}
}

// installChunk runs one chunk through the log server. A chunk that
// completes the file renames it into place (the snapshot is durable from
// now on) and the log reset follows after a delay (installDone), so that a
// crash can fall in between, as logserver's recovery expects; chunks that
// arrive meanwhile wait for the reset, as they would in the log server's
// mailbox.
func (w *World) installChunk(e *event) {
	n := w.nodes[e.node]
	if !n.up || n.inc != e.inc {
		return
	}
	if n.st.resetting > 0 {
		e.at = n.st.resetting
		w.schedule(e)
		return
	}
	n.st.chunks--
	// The log server takes a chunk after the writes handed over before it
	// (e.wseq): they are durable and acknowledged by now.
	if wr := n.st.lastPending(); wr != nil && n.st.pending[0].seq <= e.wseq {
		w.chk.fail("%s: harness bug: write %d handed over before an install chunk is still pending", n.name, n.st.pending[0].seq)
		return
	}
	r, f := n.st.installChunk(e.chunk.Msg)
	if f == nil {
		w.installProgress(n, e.chunk, r)
		return
	}
	at := w.now + 1 + w.rng.Int64N(w.o.MaxFsync)
	n.st.resetting, n.st.busyUntil = at, max(n.st.busyUntil, at)
	w.schedule(&event{at: at, kind: evInstallDone, node: n.idx, inc: n.inc, chunk: e.chunk, reply: &r})
}

// installDone resets the log after an installed snapshot (Raft §7) and
// answers the core.
func (w *World) installDone(e *event) {
	n := w.nodes[e.node]
	if !n.up || n.inc != e.inc {
		return
	}
	n.st.resetting = 0
	f := n.st.snap
	// Writes handed over after the last chunk come after the install in
	// the log server: the core writes no entry while it waits.
	for _, wr := range n.st.pending {
		if len(wr.entries) > 0 {
			w.chk.fail("%s hands over entries %d.. while its log server installs snapshot %d",
				n.name, wr.entries[0].GetIndex(), f.meta.GetIndex())
			return
		}
	}
	n.st.resetLog(f.meta.GetIndex(), f.meta.GetTerm(), w.chk.chainAt, w.o.Faults.InstallKeepsLog)
	w.stats.Installs++
	w.chk.snapshotState(n.name, "installs", f)
	w.installProgress(n, e.chunk, *e.reply)
}

// installProgress reports a chunk's answer to the core; a restore replaces
// the state machine with the snapshot's counter.
func (w *World) installProgress(n *node, chunk *core.InstallChunk, r core.InstallReply) {
	if n.core.InstallProgress(*chunk, r) && !w.o.Faults.NoRestore {
		if !r.Done {
			w.chk.fail("%s: InstallProgress asks for a restore from a chunk that did not finish an install", n.name)
			return
		}
		s := n.st.snap
		if s.meta.GetIndex() <= n.sm.applied {
			w.chk.fail("%s restores snapshot %d with its state machine at %d (applies an index twice)",
				n.name, s.meta.GetIndex(), n.sm.applied)
			return
		}
		w.chk.snapshotState(n.name, "restores", s)
		n.sm = w.newCounter(s.meta.GetIndex(), s.count, s.table)
		w.stats.Restores++
	}
	w.drive(n)
}

// checkSnapshotSends: a leader sends only chunks of the snapshot its log
// server holds (the core learns every snapshot from SnapshotSaved and
// InstallProgress, so the two never differ here).
func (w *World) checkSnapshotSends(n *node, msgs []*rafterpb.RaftMessage) {
	for _, m := range msgs {
		in := m.GetInstallSnapshot()
		if in == nil {
			continue
		}
		s := n.st.snap
		if s == nil || s.meta.GetIndex() != in.GetLastIncludedIndex() || s.meta.GetTerm() != in.GetLastIncludedTerm() ||
			s.meta.GetSize() != in.GetTotalSize() || in.GetOffset() >= in.GetTotalSize() {
			w.chk.fail("%s sends chunk %d of snapshot %d/%d (%d bytes); its log server holds %v",
				n.name, in.GetOffset(), in.GetLastIncludedIndex(), in.GetLastIncludedTerm(), in.GetTotalSize(), s.describe())
			return
		}
	}
}

// fillChunk sets an InstallSnapshot's data from the snapshot file, as the
// shell does when it sends one; false: that snapshot is gone (a held
// message), drop it.
func (w *World) fillChunk(n *node, in *rafterpb.InstallSnapshot) bool {
	s := n.st.snap
	if s == nil || s.meta.GetIndex() != in.GetLastIncludedIndex() || s.meta.GetTerm() != in.GetLastIncludedTerm() ||
		s.meta.GetSize() != in.GetTotalSize() || in.GetOffset() >= in.GetTotalSize() {
		return false
	}
	chunk := w.o.SnapshotChunkBytes
	if chunk == 0 {
		chunk = core.DefaultSnapshotChunkBytes
	}
	end := min(in.GetOffset()+chunk, in.GetTotalSize())
	in.Data = append([]byte(nil), s.data[in.GetOffset():end]...)
	in.Done = end == in.GetTotalSize()
	return true
}

func (f *snapFile) describe() string {
	if f == nil {
		return "no snapshot"
	}
	return fmt.Sprintf("snapshot %d/%d (%d bytes)", f.meta.GetIndex(), f.meta.GetTerm(), f.meta.GetSize())
}
