package logserver

import (
	"fmt"

	"github.com/rafter-go/rafter/rafterpb"
	"google.golang.org/protobuf/proto"
)

// logState is what checkWrite needs to know about a log.
type logState struct {
	meta   *rafterpb.Meta
	last   uint64
	floor  uint64
	termAt func(uint64) (uint64, error)
}

// checkWrite validates a write before anything changes, so a refused write
// leaves the log untouched. It returns the encoded entries (protobuf) so
// that a FileLog marshals each entry once. The encodings are appended to
// scratch[:0] and alias it (one reused buffer instead of an allocation per
// entry); the grown scratch is returned for the next call. The slice of
// encodings reuses payloads' array when it is large enough.
func checkWrite(s logState, meta *rafterpb.Meta, entries []*rafterpb.Entry, maxBytes int, scratch []byte, payloads [][]byte) ([][]byte, []byte, error) {
	// Raft Figure 2: currentTerm only increases; never reset term or vote.
	if meta != nil && s.meta != nil && meta.GetTerm() < s.meta.GetTerm() {
		return nil, scratch, fmt.Errorf("%w: metadata term %d below stored term %d", ErrTermRegress, meta.GetTerm(), s.meta.GetTerm())
	}
	if len(entries) == 0 {
		return nil, scratch, nil
	}
	if cap(payloads) < len(entries) {
		payloads = make([][]byte, len(entries))
	}
	payloads = payloads[:len(entries)]
	buf := scratch[:0]
	for i, e := range entries {
		if e == nil || e.GetIndex() == 0 {
			return nil, buf, fmt.Errorf("%w: entry %d of the write is nil or has index 0", ErrIndexGap, i)
		}
		if i > 0 {
			prev := entries[i-1]
			if e.GetIndex() != prev.GetIndex()+1 {
				return nil, buf, fmt.Errorf("%w: entry index %d follows %d in the write", ErrIndexGap, e.GetIndex(), prev.GetIndex())
			}
			if e.GetTerm() < prev.GetTerm() {
				return nil, buf, fmt.Errorf("%w: entry %d has term %d after term %d", ErrTermRegress, e.GetIndex(), e.GetTerm(), prev.GetTerm())
			}
		}
		start := len(buf)
		var err error
		buf, err = proto.MarshalOptions{Deterministic: true}.MarshalAppend(buf, e)
		if err != nil {
			return nil, buf, fmt.Errorf("logserver: encoding entry %d: %w", e.GetIndex(), err)
		}
		if n := len(buf) - start; n > maxBytes {
			return nil, buf, fmt.Errorf("%w: entry %d is %d bytes, limit %d", ErrEntryTooLarge, e.GetIndex(), n, maxBytes)
		}
		// If a later append moves buf, this slice keeps the old array,
		// whose bytes are never written again.
		payloads[i] = buf[start:len(buf):len(buf)]
	}
	first := entries[0].GetIndex()
	if first > s.last+1 {
		return nil, buf, fmt.Errorf("%w: first entry %d leaves a hole after last index %d", ErrIndexGap, first, s.last)
	}
	// Raft §5.3 / Figure 3 (Leader Completeness): a committed entry is never
	// truncated; a request to do so is a bug in the caller.
	if first <= s.last && first <= s.floor {
		return nil, buf, fmt.Errorf("%w: truncating from %d, commit floor %d", ErrBelowCommit, first, s.floor)
	}
	prevTerm, err := s.termAt(first - 1)
	if err != nil {
		return nil, buf, err
	}
	if entries[0].GetTerm() < prevTerm {
		return nil, buf, fmt.Errorf("%w: entry %d has term %d after term %d", ErrTermRegress, first, entries[0].GetTerm(), prevTerm)
	}
	return payloads, buf, nil
}
