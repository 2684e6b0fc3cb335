package sim

import (
	"fmt"
	"sort"

	"github.com/rafter-go/rafter/consensus/session"
	"github.com/rafter-go/rafter/rafterpb"
)

// Violation is a broken invariant: the first one ends the run.
type Violation struct {
	Seed  uint64
	Event int   // how many events had run
	At    int64 // simulated time
	What  string
}

func (v *Violation) Error() string {
	return fmt.Sprintf("sim: seed %d: invariant violated at event %d, time %d: %s", v.Seed, v.Event, v.At, v.What)
}

// checker holds the global knowledge the invariants are checked against.
// It learns only from what the peers do and is independent of the core.
type checker struct {
	err *Violation
	// leaders: the peer seen as leader in each term (election safety).
	leaders map[uint64]string
	// chains: the chain hash of every (index, term) ever handed over, by
	// any peer (log matching: same index and term, same prefix).
	chains map[[2]uint64]uint64
	// committed[i-1] is the entry committed at index i, as first seen.
	committed []commitRec
	// opsAt[k] is the index of the (k+1)-th ENTRY_TYPE_OP of the committed
	// log: the state machine's counter is k+1 once it applied that index.
	opsAt []uint64
	// cmdIndex: where each command was committed (each command once: a
	// definite refusal means the command was not appended).
	cmdIndex map[string]uint64
	// votes: the durable vote of each (peer, term).
	votes map[voteKey]string
	// sess replays the session table over the committed log (nil: the
	// schedule has no sessions); session.go.
	sess     *sessionRef
	sessOpts session.Options
}

type commitRec struct {
	e     *rafterpb.Entry
	hash  uint64
	chain uint64 // chain hash of the committed prefix up to this entry
	term  uint64 // the term of the peer that first reported the commit
	at    int64  // when (the write's linearization point)
	table uint64 // digest of the session table after this entry (session.go)
}

type voteKey struct {
	peer string
	term uint64
}

func newChecker() *checker {
	return &checker{
		leaders:  map[uint64]string{},
		chains:   map[[2]uint64]uint64{},
		cmdIndex: map[string]uint64{},
		votes:    map[voteKey]string{},
	}
}

func (c *checker) fail(format string, args ...any) {
	if c.err == nil {
		c.err = &Violation{What: fmt.Sprintf(format, args...)}
	}
}

// leader checks election safety (Raft §5.2: at most one leader per term)
// and, the first time a leader of a term is seen, leader completeness
// (§5.4: it holds every entry committed in an earlier term; those at or
// below its compaction point through its snapshot, whose chain hash must
// be the committed prefix's).
func (c *checker) leader(peer string, term uint64, view *logView) {
	prev, ok := c.leaders[term]
	if ok {
		if prev != peer {
			c.fail("two leaders in term %d: %s and %s", term, prev, peer)
		}
		return
	}
	c.leaders[term] = peer
	if off := view.off; off > 0 && off <= uint64(len(c.committed)) && c.committed[off-1].chain != view.base {
		c.fail("leader %s of term %d: its log after compaction point %d does not continue the committed prefix", peer, term, off)
		return
	}
	for i, rec := range c.committed {
		if rec.term >= term || uint64(i+1) <= view.off {
			continue
		}
		if r := view.rec(uint64(i + 1)); r == nil || r.hash != rec.hash {
			c.fail("leader %s of term %d lacks entry %d committed in term %d", peer, term, i+1, rec.term)
			return
		}
	}
}

// logWrite checks a peer's view after a write that starts at index from:
// log matching, and the entries the peer itself knows to be committed (up
// to commit) unchanged. Beyond its own commit index a peer may hold
// entries that differ from the committed ones (a stale leader appends in
// its old term, a follower keeps an old uncommitted suffix): Raft
// truncates them later, and leader completeness plus the commit check keep
// them from ever counting.
func (c *checker) logWrite(peer string, view *logView, from, commit uint64) {
	for i := from; i <= view.last(); i++ {
		rec := view.rec(i)
		key := [2]uint64{i, rec.e.GetTerm()}
		if ch, ok := c.chains[key]; !ok {
			c.chains[key] = rec.chain
		} else if ch != rec.chain {
			c.fail("log matching: %s holds index %d term %d with a different prefix or entry", peer, i, rec.e.GetTerm())
			return
		}
		if i <= commit && c.committed[i-1].hash != rec.hash {
			c.fail("committed entry %d changed on %s (term %d, committed term %d)", i, peer, rec.e.GetTerm(), c.committed[i-1].e.GetTerm())
			return
		}
	}
}

// commit records that peer (in term) reports commit index to, having
// checked up to from-1 before. Entries up to to must be in its view and
// equal whatever was committed there before; those at or below its
// compaction point came with a snapshot (checked by snapshotState) and
// must be known committed already.
func (c *checker) commit(peer string, term uint64, view *logView, from, to uint64, now int64) {
	for i := from; i <= to; i++ {
		if i <= view.off {
			if i > uint64(len(c.committed)) {
				c.fail("%s commits index %d through its snapshot (compaction point %d), not known committed", peer, i, view.off)
				return
			}
			continue
		}
		rec := view.rec(i)
		if rec == nil {
			c.fail("%s commits index %d past its last index %d", peer, to, view.last())
			return
		}
		if i <= uint64(len(c.committed)) {
			if c.committed[i-1].hash != rec.hash {
				c.fail("%s commits index %d (term %d), but another entry (term %d) was committed there",
					peer, i, rec.e.GetTerm(), c.committed[i-1].e.GetTerm())
				return
			}
			continue
		}
		if i != uint64(len(c.committed))+1 {
			c.fail("%s commits index %d; the committed prefix known ends at %d", peer, i, len(c.committed))
			return
		}
		chain := mix(c.chainAt(i-1), rec.hash)
		if chain != rec.chain {
			c.fail("%s commits index %d with a prefix that is not the committed one", peer, i)
			return
		}
		if c.sess != nil && session.IsSession(rec.e) {
			if c.sessionCommit(i, rec.e) {
				c.opsAt = append(c.opsAt, i)
			}
			c.committed = append(c.committed, commitRec{e: rec.e, hash: rec.hash, chain: chain, term: term, at: now, table: c.sess.digest})
			continue
		}
		var table uint64
		if c.sess != nil {
			table = c.sess.digest
		}
		c.committed = append(c.committed, commitRec{e: rec.e, hash: rec.hash, chain: chain, term: term, at: now, table: table})
		if rec.e.GetType() == rafterpb.EntryType_ENTRY_TYPE_OP {
			c.opsAt = append(c.opsAt, i)
			cmd := string(rec.e.GetCmd())
			if j, dup := c.cmdIndex[cmd]; dup {
				c.fail("command %q committed twice, at %d and %d (a definite refusal that was appended?)", cmd, j, i)
				return
			}
			c.cmdIndex[cmd] = i
		}
	}
}

// chainAt is the chain hash of the committed prefix up to index i (0 for
// 0). A store asks it for the base of a log compacted at i.
func (c *checker) chainAt(i uint64) uint64 {
	if i == 0 {
		return 0
	}
	if i > uint64(len(c.committed)) {
		c.fail("a log compacted at %d, which is not known committed (commit %d)", i, len(c.committed))
		return 0
	}
	return c.committed[i-1].chain
}

// snapshotState checks a snapshot file that peer saves, installs, restores
// from or restarts from: its index is committed with its term, and its
// counter equals that of a state machine that applied the committed
// prefix up to it.
func (c *checker) snapshotState(peer, what string, f *snapFile) {
	i, t := f.meta.GetIndex(), f.meta.GetTerm()
	if i == 0 || i > uint64(len(c.committed)) {
		c.fail("%s %s snapshot %d/%d, not known committed (commit %d)", peer, what, i, t, len(c.committed))
		return
	}
	if ct := c.committed[i-1].e.GetTerm(); ct != t {
		c.fail("%s %s snapshot %d/%d; the committed entry there has term %d", peer, what, i, t, ct)
		return
	}
	if want := c.opsUpTo(i); f.count != want {
		c.fail("%s %s snapshot %d whose state machine counted %d operations; the committed prefix holds %d",
			peer, what, i, f.count, want)
	}
	c.sessionSnapshot(peer, what, f)
}

// opsUpTo counts the operations of the committed prefix up to index i.
func (c *checker) opsUpTo(i uint64) uint64 {
	return uint64(sort.Search(len(c.opsAt), func(k int) bool { return c.opsAt[k] > i }))
}

// apply checks that peer's state machine applies index next, and that the
// entry is the committed one (every state machine applies one sequence).
func (c *checker) apply(peer string, applied uint64, e *rafterpb.Entry) {
	i := e.GetIndex()
	switch {
	case i != applied+1:
		c.fail("%s applies index %d after %d", peer, i, applied)
	case i > uint64(len(c.committed)):
		c.fail("%s applies index %d, not known committed (commit %d)", peer, i, len(c.committed))
	case c.committed[i-1].hash != entryHash(e):
		c.fail("%s applies at %d an entry of term %d; the committed one has term %d", peer, i, e.GetTerm(), c.committed[i-1].e.GetTerm())
	}
}

// ack checks a client's acknowledged proposal: it is the proposed command,
// committed at the index it was acknowledged with.
func (c *checker) ack(peer string, cmd string, e *rafterpb.Entry) {
	if string(e.GetCmd()) != cmd || e.GetType() != rafterpb.EntryType_ENTRY_TYPE_OP {
		c.fail("%s acknowledges proposal %q with entry %d holding %q", peer, cmd, e.GetIndex(), e.GetCmd())
		return
	}
	if j, ok := c.cmdIndex[cmd]; !ok || j != e.GetIndex() {
		c.fail("acknowledged proposal %q at %d is not in the committed log (committed at %d)", cmd, e.GetIndex(), j)
	}
}

// read checks linearizability of a read that returned counter value v and
// ran from invoke to now. The committed log is the order of writes; a
// write takes effect when its commit is first seen. The state with v
// operations lasts from the commit of the v-th operation to the commit of
// the (v+1)-th; it must overlap [invoke, now].
func (c *checker) read(peer string, v uint64, invoke, now int64) {
	if v > uint64(len(c.opsAt)) {
		c.fail("read on %s returned %d operations; only %d are committed", peer, v, len(c.opsAt))
		return
	}
	if v < uint64(len(c.opsAt)) {
		next := c.committed[c.opsAt[v]-1]
		if next.at < invoke {
			c.fail("stale read on %s: returned %d operations, but operation %d (index %d) committed at %d, before the read began at %d",
				peer, v, v+1, c.opsAt[v], next.at, invoke)
		}
	}
}

// durableVote checks that a peer never votes for two candidates in one term,
// even across crashes (the vote is durable before it is sent, Raft §5.2).
func (c *checker) durableVote(peer string, m *rafterpb.Meta) {
	if m.GetVotedFor().GetName() == "" {
		return
	}
	k := voteKey{peer, m.GetTerm()}
	cand := m.GetVotedFor().GetName() + "@" + m.GetVotedFor().GetNode()
	if prev, ok := c.votes[k]; ok && prev != cand {
		c.fail("%s voted for %s and %s in term %d", peer, prev, cand, m.GetTerm())
		return
	}
	c.votes[k] = cand
}

// acksHold is the final check: every acknowledged command is in the
// committed log at its acknowledged index.
func (c *checker) acksHold(acked []ackRec) {
	for _, a := range acked {
		if j, ok := c.cmdIndex[a.cmd]; !ok || a.index != j {
			c.fail("acknowledged proposal %q at %d is not in the final committed log", a.cmd, a.index)
		}
	}
}

type ackRec struct {
	cmd   string
	index uint64
}
