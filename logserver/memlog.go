package logserver

import (
	"fmt"

	"github.com/rafter-go/rafter/rafterpb"
	"google.golang.org/protobuf/proto"
)

// MemLog is an in-memory Log with the same semantics and errors as FileLog,
// for the deterministic simulator and fast tests. Sync does nothing: a
// MemLog is "durable" for as long as the value lives. It does not apply
// Options.MaxEntryBytes (only the 1 GiB record limit).
type MemLog struct {
	entries []*rafterpb.Entry // entries[i] has index i+1
	meta    *rafterpb.Meta
	floor   uint64
	configs []uint64 // indexes of config entries, ascending
	closed  bool
}

// NewMemLog returns an empty MemLog.
func NewMemLog() *MemLog { return &MemLog{} }

func (m *MemLog) state() logState {
	return logState{meta: m.meta, last: m.LastIndex(), floor: m.floor, termAt: m.TermAt}
}

// Write implements Log. The log keeps copies of entries and meta.
func (m *MemLog) Write(meta *rafterpb.Meta, entries []*rafterpb.Entry) error {
	if m.closed {
		return ErrClosed
	}
	if _, _, err := checkWrite(m.state(), meta, entries, maxPayload, nil); err != nil {
		return err
	}
	if len(entries) > 0 {
		first := entries[0].GetIndex()
		m.entries = m.entries[:first-1]
		for len(m.configs) > 0 && m.configs[len(m.configs)-1] >= first {
			m.configs = m.configs[:len(m.configs)-1]
		}
		for _, e := range entries {
			m.entries = append(m.entries, proto.CloneOf(e))
			if isConfig(e) {
				m.configs = append(m.configs, e.GetIndex())
			}
		}
	}
	if meta != nil {
		m.meta = proto.CloneOf(meta)
	}
	return nil
}

// Sync implements Log; it only reports a closed log.
func (m *MemLog) Sync() error {
	if m.closed {
		return ErrClosed
	}
	return nil
}

// Entry implements Log.
func (m *MemLog) Entry(index uint64) (*rafterpb.Entry, error) {
	if index == 0 || index > m.LastIndex() {
		return nil, fmt.Errorf("%w: index %d, last %d", ErrNotFound, index, m.LastIndex())
	}
	return m.entries[index-1], nil
}

// Entries implements Log.
func (m *MemLog) Entries(lo, hi uint64) ([]*rafterpb.Entry, error) {
	if lo == 0 || lo > hi || hi > m.LastIndex()+1 {
		return nil, fmt.Errorf("%w: range [%d, %d), last %d", ErrNotFound, lo, hi, m.LastIndex())
	}
	return append([]*rafterpb.Entry(nil), m.entries[lo-1:hi-1]...), nil
}

// LastIndex implements Log.
func (m *MemLog) LastIndex() uint64 { return uint64(len(m.entries)) }

// LastTerm implements Log.
func (m *MemLog) LastTerm() uint64 {
	if len(m.entries) == 0 {
		return 0
	}
	return m.entries[len(m.entries)-1].GetTerm()
}

// TermAt implements Log.
func (m *MemLog) TermAt(index uint64) (uint64, error) {
	if index == 0 {
		return 0, nil
	}
	e, err := m.Entry(index)
	if err != nil {
		return 0, err
	}
	return e.GetTerm(), nil
}

// LatestConfig implements Log.
func (m *MemLog) LatestConfig() *rafterpb.Entry {
	if len(m.configs) == 0 {
		return nil
	}
	return m.entries[m.configs[len(m.configs)-1]-1]
}

// Meta implements Log.
func (m *MemLog) Meta() *rafterpb.Meta { return m.meta }

// SetCommitFloor implements Log.
func (m *MemLog) SetCommitFloor(index uint64) { m.floor = max(m.floor, index) }

// Close implements Log.
func (m *MemLog) Close() error { m.closed = true; return nil }
