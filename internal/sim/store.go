package sim

import (
	"fmt"
	"slices"

	"github.com/rafter-go/rafter/rafterpb"
)

// write is one Ready's hand-over to the log server (api.go step 1): the
// metadata and entries, and the messages that may leave only once they are
// durable.
type write struct {
	seq     uint64
	meta    *rafterpb.Meta
	entries []*rafterpb.Entry
	after   []*rafterpb.RaftMessage
	doneAt  int64
	acked   bool // Faults.AckBeforeDurable acknowledged it already
}

// store models one peer's log server, as logserver/doc.go describes it.
// durable is what survives a crash: the metadata, the log after its
// compaction point logOff (log[i] has index logOff+i+1) and the current
// snapshot file. pending writes are handed over but not yet durable; view
// is the log as handed over (durable plus pending), which the core
// believes it has. saving, partial and chunks are work in progress that a
// crash loses (snapshot.go).
type store struct {
	meta   *rafterpb.Meta
	log    []*rafterpb.Entry
	logOff uint64
	// logOffTerm is the term of the entry at logOff as the durable log
	// held it when compaction cut there (the snapshot's after an install).
	logOffTerm uint64
	pending    []*write
	view       logView

	snap    *snapFile       // the durable snapshot (nil: none)
	saving  *snapFile       // a save whose fsync has not completed
	partial *partialInstall // the install file being received
	chunks  int             // install chunks handed over, not yet processed
	// resetting: an installed snapshot's log reset completes then (0:
	// none); chunks wait for it.
	resetting int64
	// busyUntil is when the log server's last queued operation (write or
	// chunk) completes: it does them in order.
	busyUntil int64
}

// logView is a log after a compaction point: recs[i] has index off+i+1;
// base is the chain hash of the entry at off (0 at 0), offTerm its term.
type logView struct {
	off, offTerm uint64
	base         uint64
	recs         []entryRec
}

// entryRec is an entry of a view with its chain hash: a hash of the entry
// and of every entry before it (log matching compares chains).
type entryRec struct {
	e     *rafterpb.Entry
	hash  uint64 // of the entry alone
	chain uint64
}

func (v *logView) last() uint64 { return v.off + uint64(len(v.recs)) }

// rec is the record at index i, nil if i is compacted or past the end.
func (v *logView) rec(i uint64) *entryRec {
	if i <= v.off || i > v.last() {
		return nil
	}
	return &v.recs[i-v.off-1]
}

// term is the term at index i, if the view knows it (off included).
func (v *logView) term(i uint64) (uint64, bool) {
	if i == v.off {
		return v.offTerm, true
	}
	if r := v.rec(i); r != nil {
		return r.e.GetTerm(), true
	}
	return 0, false
}

func (v *logView) push(e *rafterpb.Entry) {
	h := entryHash(e)
	prev := v.base
	if len(v.recs) > 0 {
		prev = v.recs[len(v.recs)-1].chain
	}
	v.recs = append(v.recs, entryRec{e: e, hash: h, chain: mix(prev, h)})
}

// compact drops the records up to c (off < c <= last).
func (v *logView) compact(c uint64) {
	r := v.rec(c)
	v.base, v.offTerm = r.chain, r.e.GetTerm()
	v.recs = append([]entryRec(nil), v.recs[c-v.off:]...)
	v.off = c
}

// handOver checks a Ready's write against the view and applies it there.
// The error describes a broken Ready contract.
func (s *store) handOver(meta *rafterpb.Meta, entries []*rafterpb.Entry) ([]*rafterpb.Entry, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	first := entries[0].GetIndex()
	if first <= s.view.off || first > s.view.last()+1 {
		return nil, fmt.Errorf("write starts at index %d, view holds %d..%d", first, s.view.off+1, s.view.last())
	}
	out := make([]*rafterpb.Entry, len(entries))
	for i, e := range entries {
		if e.GetIndex() != first+uint64(i) {
			return nil, fmt.Errorf("write not contiguous: entry %d has index %d", i, e.GetIndex())
		}
		if i > 0 && e.GetTerm() < entries[i-1].GetTerm() {
			return nil, fmt.Errorf("write terms go back at index %d", e.GetIndex())
		}
		if meta != nil && e.GetTerm() > meta.GetTerm() {
			return nil, fmt.Errorf("entry %d has term %d above the metadata term %d", e.GetIndex(), e.GetTerm(), meta.GetTerm())
		}
		out[i] = cloneEntry(e) // the core may reuse its own objects
	}
	s.view.recs = s.view.recs[:first-1-s.view.off]
	for _, e := range out {
		s.view.push(e)
	}
	return out, nil
}

// logLast is the last durable index.
func (s *store) logLast() uint64 { return s.logOff + uint64(len(s.log)) }

// makeDurable applies w to the durable state (the fsync completed).
// Entries at or below the compaction point are gone already (a snapshot
// covers them); the error is a hole, a harness bug.
func (s *store) makeDurable(w *write) error {
	if w.meta != nil {
		s.meta = w.meta
	}
	es := w.entries
	for len(es) > 0 && es[0].GetIndex() <= s.logOff {
		es = es[1:]
	}
	if len(es) == 0 {
		return nil
	}
	first := es[0].GetIndex()
	if first > s.logLast()+1 {
		return fmt.Errorf("durable write at %d leaves a hole after %d", first, s.logLast())
	}
	s.log = append(s.log[:first-1-s.logOff], es...)
	return nil
}

// crash keeps the first keep pending writes (they reached the disk without
// being acknowledged, which a real disk may do) and, of the next one, its
// metadata and its first torn entries (a write torn by the crash: the log
// server truncates the torn record and keeps what precedes it). Everything
// else pending is lost, and so are a snapshot save not yet durable, a
// partial install and the chunks not yet processed. The metadata of a
// torn write survives before its entries: a log server must make the term
// durable before entries of that term, or it could restore entries newer
// than its term. boot rebuilds the view.
func (s *store) crash(keep int, torn *write) error {
	for _, w := range s.pending[:keep] {
		if err := s.makeDurable(w); err != nil {
			return err
		}
	}
	if torn != nil {
		if err := s.makeDurable(torn); err != nil {
			return err
		}
	}
	s.pending, s.saving, s.partial, s.chunks, s.busyUntil, s.resetting = nil, nil, nil, 0, 0, 0
	return nil
}

// rebuildView makes the view the durable log; base is the chain hash at
// logOff (a committed index).
func (s *store) rebuildView(base uint64) {
	s.view = logView{off: s.logOff, offTerm: s.logOffTerm, base: base}
	for _, e := range s.log {
		s.view.push(e)
	}
}

func (s *store) pendingIndex(seq uint64) int {
	return slices.IndexFunc(s.pending, func(w *write) bool { return w.seq == seq })
}

// lastPending is the latest pending write, or nil.
func (s *store) lastPending() *write {
	if len(s.pending) == 0 {
		return nil
	}
	return s.pending[len(s.pending)-1]
}
