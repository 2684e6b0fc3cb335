package sim

import (
	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/consensus/session"
	"github.com/rafter-go/rafter/rafterpb"
	"google.golang.org/protobuf/proto"
)

// node is one simulated peer: a core, its log server (store) and its state
// machine. A crash drops the core and the state machine and keeps the store's
// durable part.
type node struct {
	idx  int
	id   *rafterpb.Peer
	name string
	up   bool
	inc  int // incarnation: events of an earlier life are ignored
	core *core.Core
	st   store
	sm   counter
	// viewMeta is the metadata last handed over (checked for vote changes).
	viewMeta *rafterpb.Meta
	// commitSeen is the commit index checked so far in this incarnation.
	commitSeen uint64
	wseq       uint64
}

// counter is the state machine: it counts the ENTRY_TYPE_OP entries it
// applied. A read returns the count, which names a prefix of the committed
// operations, so linearizability is checkable.
type counter struct {
	applied, count uint64
	sessions       *session.Table // session.go
}

// boot starts a peer from its durable state (blank the first time): the
// log server's recovery reconciles the log with the snapshot, the state
// machine is the snapshot's counter, and the core gets the entries after it.
func (w *World) boot(n *node) {
	reset, err := n.st.reconcile()
	if err != nil {
		w.chk.fail("%s restarts from a log with a hole: %v", n.name, err)
		return
	}
	if reset {
		w.stats.Reconciled++
	}
	n.st.rebuildView(w.chk.chainAt(n.st.logOff))
	entries, meta := cloneEntries(n.st.log), cloneMeta(n.st.meta)
	cfg := core.Options{
		ID:                  n.id,
		ElectionTicks:       w.o.ElectionTicks,
		ElectionTicksMax:    w.o.ElectionTicksMax,
		HeartbeatTicks:      w.o.HeartbeatTicks,
		Seed:                int64(w.rng.Uint64()),
		MaxMsgEntries:       1 + w.rng.IntN(8),
		MaxInflight:         1 + w.rng.IntN(4),
		MaxMsgBytes:         w.o.MaxMsgBytes,
		PreVote:             w.o.PreVote,
		CheckQuorum:         w.o.CheckQuorum,
		SnapshotEntries:     w.o.SnapshotEntries,
		TrailingEntries:     w.o.TrailingEntries,
		SnapshotMinTicks:    w.o.SnapshotMinTicks,
		SnapshotChunkBytes:  w.o.SnapshotChunkBytes,
		MaxSnapshotInflight: w.o.MaxSnapshotInflight,
		CatchUpEntries:      w.o.CatchUpEntries,
		CatchUpTicks:        w.o.CatchUpTicks,
	}
	r := core.Restored{Meta: meta, Entries: entries}
	sm := w.newCounter(0, 0, nil)
	if s := n.st.snap; s != nil {
		r.Snapshot = cloneSnapMeta(s.meta)
		sm = w.newCounter(s.meta.GetIndex(), s.count, s.table)
		w.chk.snapshotState(n.name, "restarts from", s)
	}
	c, err := core.New(cfg, r)
	if err != nil {
		w.chk.fail("%s cannot restart from what it persisted: %v", n.name, err)
		return
	}
	n.core, n.up, n.sm, n.commitSeen, n.viewMeta = c, true, sm, sm.applied, n.st.meta
	w.after(1+w.rng.Int64N(TickUnit), &event{kind: evTick, node: n.idx, inc: n.inc})
}

func (w *World) tick(e *event) {
	n := w.nodes[e.node]
	if !n.up || n.inc != e.inc {
		return
	}
	n.core.Tick()
	w.drive(n)
	w.after(TickUnit-1+w.rng.Int64N(3), &event{kind: evTick, node: n.idx, inc: n.inc})
}

func (w *World) deliver(e *event) {
	n := w.nodes[e.node]
	from := w.byName[e.msg.GetFrom().GetName()]
	if !n.up || w.blocked[from][n.idx] {
		w.stats.Dropped++
		return
	}
	before := n.core.Status()
	if err := n.core.Step(e.msg); err != nil {
		// Every error of Step promises that the core is unchanged
		// (ErrInvalidMessage, ErrUnsupported, a sender outside the
		// configuration): nothing to do, nothing different.
		if n.core.HasReady() || !sameStatus(before, n.core.Status()) {
			w.chk.fail("%s: Step returned %v but changed the core", n.name, err)
		}
		w.stats.StepErrors++
	}
	w.drive(n)
}

func sameStatus(a, b core.Status) bool {
	return a.Role == b.Role && a.Term == b.Term && a.CommitIndex == b.CommitIndex &&
		a.LastIndex == b.LastIndex && a.LastTerm == b.LastTerm &&
		a.VotedFor.GetName() == b.VotedFor.GetName() && a.Leader.GetName() == b.Leader.GetName() &&
		proto.Equal(a.Config, b.Config)
}

// drive executes Ready batches until the core has nothing more to say.
func (w *World) drive(n *node) {
	for w.chk.err == nil && n.core.HasReady() {
		rd := n.core.Ready()
		w.execute(n, rd)
		n.core.Advance(rd)
	}
	w.observe(n)
}

// execute runs one Ready in the order api.go prescribes.
func (w *World) execute(n *node, rd core.Ready) {
	if rd.Snapshot != nil { // 0. snapshot the state machine as it is now
		w.saveSnapshot(n, rd.Snapshot)
	}
	wr := w.handOver(n, rd) // 1. metadata and entries to the log server
	w.observe(n)
	w.checkSnapshotSends(n, rd.Messages)
	w.checkSnapshotSends(n, rd.MessagesAfterPersist)
	for _, m := range rd.Messages { // 2. messages
		w.send(n, m)
	}
	w.holdAfterPersist(n, wr, rd.MessagesAfterPersist)
	for _, c := range rd.Committed { // 3. apply (session.go)
		w.applyEntry(n, c)
	}
	for _, rs := range rd.Reads { // 4. reads
		if n.sm.applied < rs.Index {
			w.chk.fail("%s releases read %d at index %d but has applied only %d", n.name, rs.ID, rs.Index, n.sm.applied)
			return
		}
		w.answerRead(n, rs.ID, n.sm.count)
	}
	for _, r := range rd.Results { // 5. results
		w.answerResult(n, r)
	}
	if rd.Compact > 0 { // 6. compaction, install chunks
		w.compact(n, rd.Compact)
	}
	w.queueInstall(n, rd.Install)
}

// handOver gives the Ready's metadata and entries to the log server and
// schedules their fsync. It returns the write, or nil if there is none.
func (w *World) handOver(n *node, rd core.Ready) *write {
	if rd.Meta == nil && len(rd.Entries) == 0 {
		return nil
	}
	var meta *rafterpb.Meta
	if rd.Meta != nil {
		meta = cloneMeta(rd.Meta)
		old := n.viewMeta
		switch {
		case meta.GetTerm() < old.GetTerm():
			w.chk.fail("%s hands over term %d after term %d", n.name, meta.GetTerm(), old.GetTerm())
		case meta.GetTerm() == old.GetTerm() && old.GetVotedFor().GetName() != "" &&
			!proto.Equal(old.GetVotedFor(), meta.GetVotedFor()):
			w.chk.fail("%s changes its vote in term %d from %v to %v", n.name, meta.GetTerm(), old.GetVotedFor(), meta.GetVotedFor())
		}
		n.viewMeta = meta
	}
	if len(rd.Entries) > 0 && n.core.Status().Role == core.Leader {
		w.checkAppendOnly(n, rd.Entries)
		w.checkJoint(n, rd.Entries) // learners.go
	}
	entries, err := n.st.handOver(meta, rd.Entries)
	if err != nil {
		w.chk.fail("%s: %v", n.name, err)
		return nil
	}
	if len(entries) > 0 {
		w.chk.logWrite(n.name, &n.st.view, entries[0].GetIndex(), n.commitSeen)
	}
	n.wseq++
	wr := &write{seq: n.wseq, meta: meta, entries: entries}
	// One disk: writes (and install chunks) complete in order.
	wr.doneAt = max(w.now+1+w.rng.Int64N(w.o.MaxFsync), n.st.busyUntil)
	n.st.busyUntil = wr.doneAt
	n.st.pending = append(n.st.pending, wr)
	w.schedule(&event{at: wr.doneAt, kind: evFsync, node: n.idx, inc: n.inc, wseq: wr.seq})
	if w.o.Faults.AckBeforeDurable {
		w.after(0, &event{kind: evAck, node: n.idx, inc: n.inc, wseq: wr.seq})
	}
	return wr
}

// checkAppendOnly: a leader never overwrites or deletes entries of its own
// log (Raft Figure 3, Leader Append-Only).
func (w *World) checkAppendOnly(n *node, es []*rafterpb.Entry) {
	for _, e := range es {
		i := e.GetIndex()
		if r := n.st.view.rec(i); r != nil && r.hash != entryHash(e) {
			w.chk.fail("leader %s overwrites its entry %d (term %d) with term %d",
				n.name, i, r.e.GetTerm(), e.GetTerm())
			return
		}
		if i <= n.st.view.off {
			w.chk.fail("leader %s writes entry %d at or below its compaction point %d", n.name, i, n.st.view.off)
			return
		}
	}
}

// holdAfterPersist keeps MessagesAfterPersist until the write they depend
// on (this Ready's, else the latest pending one) is durable.
func (w *World) holdAfterPersist(n *node, wr *write, msgs []*rafterpb.RaftMessage) {
	if len(msgs) == 0 {
		return
	}
	if wr == nil {
		wr = n.st.lastPending()
	}
	if wr == nil || wr.acked || w.o.Faults.SendBeforePersist {
		for _, m := range msgs {
			w.send(n, m)
		}
		return
	}
	wr.after = append(wr.after, msgs...)
}

// fsync: the oldest pending write is durable now; acknowledge it. With
// Options.GroupCommit every pending write whose fsync is due completes in
// the same step and one Persisted covers them all, as a log server that
// shares one fsync among several appends does.
func (w *World) fsync(e *event) {
	n := w.nodes[e.node]
	if !n.up || n.inc != e.inc {
		return
	}
	if len(n.st.pending) == 0 || e.wseq < n.st.pending[0].seq {
		return // completed already, with an earlier write of its group
	}
	if n.st.pending[0].seq != e.wseq {
		w.chk.fail("%s: harness bug: fsync of write %d out of order", n.name, e.wseq)
		return
	}
	k := 1
	if w.o.GroupCommit {
		for k < len(n.st.pending) && n.st.pending[k].doneAt <= w.now {
			k++
		}
	}
	if k > 1 {
		w.stats.GroupCommits++
	}
	group := n.st.pending[:k:k]
	n.st.pending = n.st.pending[k:]
	var todo []*write
	for _, wr := range group {
		if err := n.st.makeDurable(wr); err != nil {
			w.chk.fail("%s: harness bug: %v", n.name, err)
			return
		}
		if wr.meta != nil {
			w.chk.durableVote(n.name, wr.meta)
		}
		if !wr.acked {
			todo = append(todo, wr)
		}
	}
	w.acknowledge(n, todo...)
}

// earlyAck is Faults.AckBeforeDurable: acknowledge a write still pending.
func (w *World) earlyAck(e *event) {
	n := w.nodes[e.node]
	if !n.up || n.inc != e.inc {
		return
	}
	if i := n.st.pendingIndex(e.wseq); i >= 0 {
		w.acknowledge(n, n.st.pending[i])
	}
}

// acknowledge sends the writes' held messages and tells the core, with one
// Persisted for the last entry of the last write that has entries.
func (w *World) acknowledge(n *node, ws ...*write) {
	var last *rafterpb.Entry
	for _, wr := range ws {
		wr.acked = true
		for _, m := range wr.after {
			if n.core.Sendable(m) {
				w.send(n, m)
			}
		}
		wr.after = nil
		if k := len(wr.entries); k > 0 {
			last = wr.entries[k-1]
		}
	}
	if last != nil {
		n.core.Persisted(last.GetIndex(), last.GetTerm())
	}
	w.drive(n)
}

// observe checks what the core's status shows: its commit index and
// whether it leads.
func (w *World) observe(n *node) {
	if !n.up || w.chk.err != nil {
		return
	}
	st := n.core.Status()
	w.checkRoleOfLearner(n, st) // learners.go
	if st.CommitIndex < n.commitSeen {
		w.chk.fail("%s: commit index went back from %d to %d", n.name, n.commitSeen, st.CommitIndex)
		return
	}
	if st.Role == core.Leader {
		w.checkElectionQuorum(n, st)
	}
	if st.CommitIndex > n.commitSeen {
		w.chk.commit(n.name, st.Term, &n.st.view, n.commitSeen+1, st.CommitIndex, w.now)
		n.commitSeen = st.CommitIndex
		if st.Role == core.Leader {
			w.checkCommitQuorum(n, st)
		}
	}
	if st.Role == core.Leader {
		w.chk.leader(n.name, st.Term, &n.st.view)
	}
}

// crash stops a peer: the core, the state machine and every write not yet
// durable are lost, except a random prefix of the pending writes that made
// it to the disk unacknowledged, and possibly a torn part of the next one.
func (w *World) crash(n *node) {
	keep := w.rng.IntN(len(n.st.pending) + 1)
	var torn *write
	if keep < len(n.st.pending) && w.rng.IntN(2) == 0 {
		next := n.st.pending[keep]
		k := w.rng.IntN(len(next.entries) + 1)
		torn = &write{entries: next.entries[:k]}
		if k > 0 || w.rng.IntN(2) == 0 {
			torn.meta = next.meta // metadata before entries
		}
	}
	for _, wr := range append(n.st.pending[:keep:keep], torn) {
		if wr != nil && wr.meta != nil {
			w.chk.durableVote(n.name, wr.meta)
		}
	}
	if n.st.saving != nil {
		w.stats.CrashesMidSave++
	}
	if n.st.partial != nil || n.st.chunks > 0 || n.st.resetting > 0 {
		w.stats.CrashesMidInstall++
	}
	if err := n.st.crash(keep, torn); err != nil {
		w.chk.fail("%s: harness bug: %v", n.name, err)
	}
	n.up, n.core = false, nil
	n.inc++
	w.stats.Crashes++
}

func (w *World) restart(n *node) {
	n.inc++
	w.boot(n)
}
