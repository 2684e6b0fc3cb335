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

// store models one peer's log server. durable is what survives a crash;
// pending writes are handed over but not yet durable; view is the log as
// handed over (durable plus pending), which the core believes it has.
type store struct {
	meta    *rafterpb.Meta
	log     []*rafterpb.Entry
	pending []*write
	view    []entryRec
}

// entryRec is an entry of a view with its chain hash: a hash of the entry
// and of every entry before it (log matching compares chains).
type entryRec struct {
	e     *rafterpb.Entry
	hash  uint64 // of the entry alone
	chain uint64
}

// handOver checks a Ready's write against the view and applies it there.
// The error describes a broken Ready contract.
func (s *store) handOver(meta *rafterpb.Meta, entries []*rafterpb.Entry) ([]*rafterpb.Entry, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	first := entries[0].GetIndex()
	if first == 0 || first > uint64(len(s.view))+1 {
		return nil, fmt.Errorf("write starts at index %d, view ends at %d", first, len(s.view))
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
	s.view = s.view[:first-1]
	for _, e := range out {
		s.view = append(s.view, newRec(s.view, e))
	}
	return out, nil
}

func newRec(view []entryRec, e *rafterpb.Entry) entryRec {
	h := entryHash(e)
	var prev uint64
	if len(view) > 0 {
		prev = view[len(view)-1].chain
	}
	return entryRec{e: e, hash: h, chain: mix(prev, h)}
}

// makeDurable applies w to the durable state (the fsync completed).
func (s *store) makeDurable(w *write) {
	if w.meta != nil {
		s.meta = w.meta
	}
	if len(w.entries) > 0 {
		first := w.entries[0].GetIndex()
		s.log = append(s.log[:first-1], w.entries...)
	}
}

// crash keeps the first keep pending writes (they reached the disk without
// being acknowledged, which a real disk may do) and, of the next one, its
// metadata and its first torn entries (a write torn by the crash: the log
// server truncates the torn record and keeps what precedes it). Everything
// else pending is lost. The metadata of a torn write survives before its
// entries: a log server must make the term durable before entries of that
// term, or it could restore entries newer than its term.
func (s *store) crash(keep int, torn *write) {
	for _, w := range s.pending[:keep] {
		s.makeDurable(w)
	}
	if torn != nil {
		s.makeDurable(torn)
	}
	s.pending = nil
	s.view = s.view[:0]
	for _, e := range s.log {
		s.view = append(s.view, newRec(s.view, e))
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
