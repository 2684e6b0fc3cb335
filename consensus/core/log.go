package core

import (
	"fmt"
	"sort"

	"github.com/rafter-go/rafter/rafterpb"
)

// raftLog is the log in memory after the compaction point offset (Raft
// §7): entries[i].Index == offset+i+1. The entry at offset is known only by
// its term, offsetTerm; entries at or below it are committed and applied,
// and a snapshot holds their effect. baseConfig is the configuration in
// force at offset (a snapshot's, or the last one compaction dropped).
//
// Two boundaries follow the shell: unstable, the first index not yet
// handed to the shell in Ready.Entries, and persisted, the highest index the
// log server has acknowledged as durable (Persisted) that still belongs to
// this log.
type raftLog struct {
	entries    []*rafterpb.Entry
	offset     uint64
	offsetTerm uint64
	baseConfig *rafterpb.Config
	baseIndex  uint64 // the index of baseConfig's entry, or offset if unknown
	unstable   uint64
	persisted  uint64
	configs    []uint64 // indexes of ENTRY_TYPE_CONFIG entries after offset, ascending
}

// newLog builds the log a peer restarts with: after the snapshot snap (nil:
// none), the entries that follow it.
func newLog(snap *rafterpb.SnapshotMeta, entries []*rafterpb.Entry) raftLog {
	l := raftLog{offset: snap.GetIndex(), offsetTerm: snap.GetTerm()}
	if c := snap.GetConfig(); c != nil && c.GetState() != rafterpb.ConfigState_CONFIG_STATE_BLANK {
		l.baseConfig, l.baseIndex = c, l.offset
	}
	l.append(entries...)
	l.unstable = l.lastIndex() + 1
	l.persisted = l.lastIndex()
	return l
}

func (l *raftLog) firstIndex() uint64 { return l.offset + 1 }

func (l *raftLog) lastIndex() uint64 { return l.offset + uint64(len(l.entries)) }

func (l *raftLog) lastTerm() uint64 { return l.term(l.lastIndex()) }

// term is the term of the entry at i; 0 for i == 0. An index past the end
// or below the compaction point is a caller bug (compacted reports the
// latter).
func (l *raftLog) term(i uint64) uint64 {
	switch {
	case i == l.offset:
		return l.offsetTerm
	case i == 0:
		return 0
	case i > l.lastIndex():
		panic(fmt.Sprintf("core: term of index %d past last index %d", i, l.lastIndex()))
	case i < l.offset:
		panic(fmt.Sprintf("core: term of index %d below the compaction point %d", i, l.offset))
	}
	return l.entries[i-l.offset-1].Term
}

// compacted: the term of index i is no longer known (i < offset).
func (l *raftLog) compacted(i uint64) bool { return i < l.offset }

func (l *raftLog) entry(i uint64) *rafterpb.Entry { return l.entries[i-l.offset-1] }

// matchTerm reports whether the log holds index i with term t (Raft §5.3's
// consistency check). An index below the compaction point matches: it is
// committed, and every leader holds the committed entries (Raft §5.4).
func (l *raftLog) matchTerm(i, t uint64) bool {
	if i < l.offset {
		return true
	}
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
	if from <= l.offset {
		panic(fmt.Sprintf("core: truncate at %d, at or below the compaction point %d", from, l.offset))
	}
	// Cap the slice at its new length so that the next append copies to a
	// new array instead of overwriting the removed slots: entries handed out
	// earlier (Ready.Entries, AppendEntries batches) are slices of the old
	// array that the shell may still be reading or serializing on another
	// goroutine. The old array is dropped once those are done.
	n := from - l.offset - 1
	l.entries = l.entries[:n:n]
	l.unstable = min(l.unstable, from)
	l.persisted = min(l.persisted, from-1)
	for len(l.configs) > 0 && l.configs[len(l.configs)-1] >= from {
		l.configs = l.configs[:len(l.configs)-1]
	}
}

// compact drops the entries up to index (which must be in the log: at or
// after offset, at or before the last index), keeping its term and the
// configuration in force there. The kept entries move to a new array, so
// that the dropped ones are freed once the shell is done with them.
func (l *raftLog) compact(index uint64) {
	if index <= l.offset {
		return
	}
	if index > l.lastIndex() {
		panic(fmt.Sprintf("core: compaction to %d past last index %d", index, l.lastIndex()))
	}
	if conf, ci := l.configAt(index); ci > l.offset {
		l.baseConfig, l.baseIndex = conf, ci
	}
	term := l.term(index)
	l.entries = append([]*rafterpb.Entry(nil), l.entries[index-l.offset:]...)
	l.offset, l.offsetTerm = index, term
	l.unstable = max(l.unstable, index+1)
	l.persisted = max(l.persisted, index)
	for len(l.configs) > 0 && l.configs[0] <= index {
		l.configs = l.configs[1:]
	}
}

// reset empties the log to start after index, whose term is term (an
// installed snapshot whose last entry the log does not hold, Raft §7).
func (l *raftLog) reset(index, term uint64, conf *rafterpb.Config) {
	*l = raftLog{offset: index, offsetTerm: term, unstable: index + 1, persisted: index}
	if conf != nil && conf.GetState() != rafterpb.ConfigState_CONFIG_STATE_BLANK {
		l.baseConfig, l.baseIndex = conf, index
	}
}

// takeUnstable returns the entries not yet handed to the shell and marks them
// handed.
func (l *raftLog) takeUnstable() []*rafterpb.Entry {
	if l.unstable > l.lastIndex() {
		return nil
	}
	es := l.entries[l.unstable-l.offset-1:]
	l.unstable = l.lastIndex() + 1
	return es[:len(es):len(es)]
}

// lastConfig is the newest configuration of the log (committed or not:
// Raft §6 uses the latest configuration in the log) and its index.
func (l *raftLog) lastConfig() (*rafterpb.Config, uint64) {
	return l.configAt(l.lastIndex())
}

// configAt is the configuration in force at index i (>= offset): the last
// configuration entry at or before i, else the base configuration.
func (l *raftLog) configAt(i uint64) (*rafterpb.Config, uint64) {
	k := sort.Search(len(l.configs), func(j int) bool { return l.configs[j] > i })
	if k == 0 {
		return l.baseConfig, l.baseIndex
	}
	ci := l.configs[k-1]
	return l.entry(ci).GetConfig(), ci
}

// upToDate is Raft §5.4.1: a log ending in (index, term) is at least as up to
// date as ours. rafter: candidate_log_up_to_date/4.
func (l *raftLog) upToDate(index, term uint64) bool {
	lt := l.lastTerm()
	return term > lt || (term == lt && index >= l.lastIndex())
}

// findConflictByTerm returns the largest index j <= i whose term is <= t,
// searching no further back than the compaction point (an index at or
// below it is returned as is: the caller cannot look behind it). Terms
// never decrease along a log, so a binary search finds it. Used on both
// sides of the fast back-off (etcd-io/raft's idea): the follower's reject
// hint and the leader's next probe skip a whole term per round trip.
func (l *raftLog) findConflictByTerm(i, t uint64) uint64 {
	i = min(i, l.lastIndex())
	if i <= l.offset {
		return i
	}
	n := sort.Search(int(i-l.offset), func(j int) bool { return l.term(l.offset+1+uint64(j)) > t })
	return l.offset + uint64(n)
}

// batch returns entries from index lo on (lo > offset), at most maxEntries
// of them and at most maxBytes of payload, but always at least one if there
// is one.
func (l *raftLog) batch(lo uint64, maxEntries int, maxBytes uint64) []*rafterpb.Entry {
	if lo > l.lastIndex() {
		return nil
	}
	es := l.entries[lo-l.offset-1:]
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
