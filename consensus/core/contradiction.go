package core

import (
	"fmt"

	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/rafterpb"
)

// MaxTerm is the highest term a message may carry. Elections raise the term
// by one at a time, so no real cluster comes near it; a larger term can only
// be forged, and accepting it would let the next campaign overflow the term
// back to 0.
const MaxTerm = 1 << 62

// Messages that are well formed but contradict what this peer knows to be
// true. Raft's safety argument says no correct peer sends them (Election
// Safety: one leader per term, Raft §5.2; Leader Completeness: a leader holds
// every committed entry, §5.4), so one of them means a faulty or hostile
// sender, or a peer whose disk lost acknowledged state. Accepting one would
// break safety and asserting on it would let any sender crash the peer: the
// core refuses it, unchanged, and the shell logs and counts the refusal.
//
// checkContradiction runs before anything in the core changes (before the
// term rules), so a refused message leaves no trace: not even a newer term.
func (c *Core) checkContradiction(m *rafterpb.RaftMessage) error {
	ae := m.GetAppendEntries()
	if (ae == nil && m.GetInstallSnapshot() == nil) || m.GetTerm() < c.term {
		return nil // stale messages are only answered, never acted on
	}
	if m.GetTerm() == c.term && c.role == Leader {
		return contradiction("%s from %s in term %d, whose leader is this peer",
			kindOf(m), config.PeerKey(m.GetFrom()), c.term)
	}
	if m.GetTerm() == c.term && c.role == Follower && c.leader != nil && !config.SamePeer(c.leader, m.GetFrom()) {
		// A follower takes one leader per term: were it to take a second
		// one's entries, that leader could count it towards a quorum the
		// first one also counts it in, and two entries could commit at the
		// same index.
		return contradiction("%s from %s in term %d, whose leader is %s",
			kindOf(m), config.PeerKey(m.GetFrom()), c.term, config.PeerKey(c.leader))
	}
	for _, e := range ae.GetEntries() {
		i := e.GetIndex()
		if i > c.commit || i > c.log.lastIndex() {
			break // entries are contiguous: the rest are past the commit index
		}
		if i <= c.log.offset {
			continue // compacted: no term to compare
		}
		if t := c.log.term(i); t != e.GetTerm() {
			return contradiction("append_entries from %s in term %d overwrites committed index %d (term %d with %d, commit %d)",
				config.PeerKey(m.GetFrom()), m.GetTerm(), i, t, e.GetTerm(), c.commit)
		}
	}
	return nil
}

func kindOf(m *rafterpb.RaftMessage) string {
	if m.GetInstallSnapshot() != nil {
		return "install_snapshot"
	}
	return "append_entries"
}

func contradiction(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrContradiction, fmt.Sprintf(format, args...))
}

// validateConfigEntry checks the configuration carried by a CONFIG entry: the
// core takes the latest one in its log as its membership at once (Raft §6),
// so one it cannot use must never enter the log. Only the states a leader
// writes are accepted: stable (old servers only), staging and transitional
// (old and new servers); each list must be one that SetConfig would accept,
// and the learners must not vote (config.CheckLearners).
func validateConfigEntry(e *rafterpb.Entry) error {
	conf := e.GetConfig()
	if err := config.CheckLearners(conf); err != nil {
		return invalid("config entry %d: learners: %v", e.GetIndex(), err)
	}
	switch conf.GetState() {
	case rafterpb.ConfigState_CONFIG_STATE_STABLE:
		if len(conf.GetNewServers()) != 0 {
			return invalid("config entry %d: stable with new servers", e.GetIndex())
		}
	case rafterpb.ConfigState_CONFIG_STATE_STAGING, rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL:
		if err := config.Validate(conf.GetNewServers()); err != nil {
			return invalid("config entry %d: new servers: %v", e.GetIndex(), err)
		}
	default:
		return invalid("config entry %d in state %v", e.GetIndex(), conf.GetState())
	}
	if err := config.Validate(conf.GetOldServers()); err != nil {
		return invalid("config entry %d: old servers: %v", e.GetIndex(), err)
	}
	return nil
}
