package core

import (
	"fmt"
	"sort"

	"github.com/rafter-go/rafter/rafterpb"
)

// raftLog is the whole log in memory (no compaction yet) with two
// boundaries: unstable, the first index not yet handed to the shell in
// Ready.Entries, and persisted, the highest index the log server has
// acknowledged as durable (Persisted) that still belongs to this log.
type raftLog struct {
	entries   []*rafterpb.Entry // entries[i].Index == i+1
	unstable  uint64
	persisted uint64
	configs   []uint64 // indexes of ENTRY_TYPE_CONFIG entries, ascending
}

func newLog(entries []*rafterpb.Entry) raftLog {
	l := raftLog{unstable: 1}
	l.append(entries...)
	l.unstable = l.lastIndex() + 1
	l.persisted = l.lastIndex()
	return l
}

func (l *raftLog) lastIndex() uint64 { return uint64(len(l.entries)) }

func (l *raftLog) lastTerm() uint64 { return l.term(l.lastIndex()) }

// term is the term of the entry at i; 0 for i == 0. An index past the end is
// a caller bug.
func (l *raftLog) term(i uint64) uint64 {
	if i == 0 {
		return 0
	}
	if i > l.lastIndex() {
		panic(fmt.Sprintf("core: term of index %d past last index %d", i, l.lastIndex()))
	}
	return l.entries[i-1].Term
}

func (l *raftLog) entry(i uint64) *rafterpb.Entry { return l.entries[i-1] }

// matchTerm reports whether the log holds index i with term t (Raft §5.3's
// consistency check).
func (l *raftLog) matchTerm(i, t uint64) bool {
	return i <= l.lastIndex() && l.term(i) == t
}

// append adds entries that must start right after the last index.
func (l *raftLog) append(es ...*rafterpb.Entry) {
	for _, e := range es {
		if e.GetIndex() != l.lastIndex()+1 {
			panic(fmt.Sprintf("core: append of index %d after last index %d", e.GetIndex(), l.lastIndex()))
		}
		if e.GetTerm() < l.lastTerm() {
			panic(fmt.Sprintf("core: append of term %d after term %d", e.GetTerm(), l.lastTerm()))
		}
		l.entries = append(l.entries, e)
		if e.GetType() == rafterpb.EntryType_ENTRY_TYPE_CONFIG {
			l.configs = append(l.configs, e.GetIndex())
		}
	}
}

// truncate removes the entries from index from on (a conflicting suffix,
// Raft §5.3). The shell learns of it because the next Ready.Entries start at
// or before from.
func (l *raftLog) truncate(from uint64) {
	if from == 0 || from > l.lastIndex() {
		return
	}
	// Cap the slice at its new length so that the next append copies to a
	// new array instead of overwriting the removed slots: entries handed out
	// earlier (Ready.Entries, AppendEntries batches) are slices of the old
	// array that the shell may still be reading or serializing on another
	// goroutine. The old array is dropped once those are done.
	l.entries = l.entries[: from-1 : from-1]
	l.unstable = min(l.unstable, from)
	l.persisted = min(l.persisted, from-1)
	for len(l.configs) > 0 && l.configs[len(l.configs)-1] >= from {
		l.configs = l.configs[:len(l.configs)-1]
	}
}

// takeUnstable returns the entries not yet handed to the shell and marks them
// handed.
func (l *raftLog) takeUnstable() []*rafterpb.Entry {
	if l.unstable > l.lastIndex() {
		return nil
	}
	es := l.entries[l.unstable-1:]
	l.unstable = l.lastIndex() + 1
	return es[:len(es):len(es)]
}

// lastConfig is the newest configuration entry of the log (committed or not:
// Raft §6 uses the latest configuration in the log) and its index.
func (l *raftLog) lastConfig() (*rafterpb.Config, uint64) {
	if len(l.configs) == 0 {
		return nil, 0
	}
	i := l.configs[len(l.configs)-1]
	return l.entry(i).GetConfig(), i
}

// upToDate is Raft §5.4.1: a log ending in (index, term) is at least as up to
// date as ours. rafter: candidate_log_up_to_date/4.
func (l *raftLog) upToDate(index, term uint64) bool {
	lt := l.lastTerm()
	return term > lt || (term == lt && index >= l.lastIndex())
}

// findConflictByTerm returns the largest index j <= i whose term is <= t.
// Terms never decrease along a log, so a binary search finds it. Used on both
// sides of the fast back-off (etcd-io/raft's idea): the follower's reject
// hint and the leader's next probe skip a whole term per round trip.
func (l *raftLog) findConflictByTerm(i, t uint64) uint64 {
	i = min(i, l.lastIndex())
	n := sort.Search(int(i)+1, func(j int) bool { return l.term(uint64(j)) > t })
	return uint64(n) - 1
}

// batch returns entries from index lo on, at most maxEntries of them and at
// most maxBytes of payload, but always at least one if there is one.
func (l *raftLog) batch(lo uint64, maxEntries int, maxBytes uint64) []*rafterpb.Entry {
	if lo > l.lastIndex() {
		return nil
	}
	es := l.entries[lo-1:]
	if len(es) > maxEntries {
		es = es[:maxEntries]
	}
	var size uint64
	for i, e := range es {
		size += entrySize(e)
		if i > 0 && size > maxBytes {
			es = es[:i]
			break
		}
	}
	return es[:len(es):len(es)]
}

// entrySize estimates an entry's encoded size without encoding it: the
// payload plus a fixed allowance for the header fields.
func entrySize(e *rafterpb.Entry) uint64 {
	n := uint64(len(e.GetCmd())) + 24
	if c := e.GetConfig(); c != nil {
		n += uint64(16 * (len(c.GetOldServers()) + len(c.GetNewServers())))
	}
	return n
}
