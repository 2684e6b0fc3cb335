package sim

import (
	"encoding/binary"
	"hash/fnv"

	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/consensus/session"
	"github.com/rafter-go/rafter/rafterpb"
)

// Exactly-once client sessions in the simulator: the same session table
// (consensus/session) the consensus actor runs sits in front of every
// replica's counter; clients register sessions, send (session, sequence)
// commands and retry them after timeouts and lost leaders, through any
// peer, with the same sequence. What is checked (checker.go, here):
//
//   - each (session, sequence) is applied to the state machine at most
//     once along the committed log, so on every replica (replicas apply
//     the committed log and their tables must agree);
//   - a retry's answer (a remembered result) equals the first answer;
//   - a refusal a client takes as definite (the command's only attempt)
//     is never of an applied command;
//   - every replica's session table equals, byte for byte, the table
//     replayed from the committed log at the same index, also after a
//     restart from a snapshot or an installed snapshot.

// SessionStats counts session traffic.
type SessionStats struct {
	Registered, Runs, Duplicates, Refused int // verdicts answered to clients
	Retries                               int // session commands sent again after an unknown outcome
}

func (s SessionStats) add(o SessionStats) SessionStats {
	return SessionStats{Registered: s.Registered + o.Registered, Runs: s.Runs + o.Runs,
		Duplicates: s.Duplicates + o.Duplicates, Refused: s.Refused + o.Refused, Retries: s.Retries + o.Retries}
}

// opRegister registers a session (after bootstrap.go's opBootstrap).
const opRegister = opBootstrap + 1

type sessKey struct{ session, seq uint64 }

// sessionRef is the checker's replay of the session table over the
// committed log, and what each (session, sequence) did there.
type sessionRef struct {
	table  *session.Table
	digest uint64             // of table, after the last committed entry
	runAt  map[sessKey]uint64 // the index where the command was applied
	result map[sessKey][]byte // its result
}

func newSessionRef(o session.Options) *sessionRef {
	t := session.New(o)
	return &sessionRef{table: t, digest: tableDigest(t), runAt: map[sessKey]uint64{}, result: map[sessKey][]byte{}}
}

func tableDigest(t *session.Table) uint64 {
	h := fnv.New64a()
	_, _ = h.Write(t.Encode())
	return h.Sum64()
}

func countBytes(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// sessionCommit replays committed entry e (at index i) through the
// reference table. It returns whether e is an operation the state machine
// applies (a Run), for the counter's prefix.
func (c *checker) sessionCommit(i uint64, e *rafterpb.Entry) bool {
	r := c.sess
	v := r.table.Apply(e)
	defer func() { r.digest = tableDigest(r.table) }()
	k := sessKey{e.GetClientId(), e.GetSequence()}
	switch v.Kind {
	case session.Run:
		if j, dup := r.runAt[k]; dup {
			c.fail("session %d sequence %d applied twice, at %d and %d", k.session, k.seq, j, i)
			return false
		}
		res := countBytes(uint64(len(c.opsAt)) + 1)
		r.table.Record(e, session.Result{Value: res})
		r.runAt[k], r.result[k] = i, res
		if j, dup := c.cmdIndex[string(e.GetCmd())]; dup {
			c.fail("command %q applied twice, at %d and %d", e.GetCmd(), j, i)
			return false
		}
		c.cmdIndex[string(e.GetCmd())] = i
		return true
	case session.Duplicate:
		if string(v.Result.Value) != string(r.result[k]) {
			c.fail("session %d sequence %d remembered %x, applied with %x", k.session, k.seq, v.Result.Value, r.result[k])
		}
	}
	return false
}

// sessionApplied checks a replica's table after it applied index i.
func (c *checker) sessionApplied(peer string, i uint64, t *session.Table) {
	if c.sess == nil || i == 0 || i > uint64(len(c.committed)) {
		return
	}
	if d := tableDigest(t); d != c.committed[i-1].table {
		c.fail("%s's session table after index %d differs from the one replayed from the committed log: %x vs %x", peer, i, t.Encode(), c.sess.table.Encode())
	}
}

// sessionSnapshot checks the table a snapshot file holds.
func (c *checker) sessionSnapshot(peer, what string, f *snapFile) {
	if c.sess == nil {
		return
	}
	t, err := session.Decode(f.table, c.sessOpts)
	if err != nil {
		c.fail("%s %s snapshot %d with an unreadable session table: %v", peer, what, f.meta.GetIndex(), err)
		return
	}
	if tableDigest(t) != c.committed[f.meta.GetIndex()-1].table {
		c.fail("%s %s snapshot %d whose session table is not the one replayed from the committed log", peer, what, f.meta.GetIndex())
	}
}

// newCounter is a state machine at index applied with count operations
// and the session table encoded in table (nil: empty).
func (w *World) newCounter(applied, count uint64, table []byte) counter {
	sm := counter{applied: applied, count: count, sessions: session.New(w.o.SessionOptions)}
	if len(table) > 0 {
		t, err := session.Decode(table, w.o.SessionOptions)
		if err != nil {
			w.chk.fail("a snapshot's session table does not decode: %v", err)
			return sm
		}
		sm.sessions = t
	}
	return sm
}

// applyEntry is Ready step 3 for one committed entry: the session table
// decides, the counter counts what it lets through, and the request that
// proposed the entry here is answered.
func (w *World) applyEntry(n *node, c core.Committed) {
	e := c.Entry
	w.chk.apply(n.name, n.sm.applied, e)
	n.sm.applied = e.GetIndex()
	v := n.sm.sessions.Apply(e)
	if v.Kind == session.Duplicate && w.o.Faults.SessionReapply {
		v.Kind = session.Run
	}
	var res []byte
	switch v.Kind {
	case session.Plain:
		if e.GetType() == rafterpb.EntryType_ENTRY_TYPE_OP {
			n.sm.count++
		}
	case session.Run:
		n.sm.count++
		res = countBytes(n.sm.count)
		n.sm.sessions.Record(e, session.Result{Value: res})
	case session.Duplicate:
		res = v.Result.Value
	}
	if w.o.Sessions {
		w.chk.sessionApplied(n.name, e.GetIndex(), n.sm.sessions)
	}
	switch {
	case c.ID == 0:
	case v.Kind == session.Plain:
		w.answerWrite(n, c.ID, e)
	default:
		w.answerSession(n, c.ID, e, v, res)
	}
}

// snapTable is the session table a snapshot of n holds.
func (w *World) snapTable(n *node) []byte {
	if w.o.Faults.SessionLessSnapshot {
		return session.New(w.o.SessionOptions).Encode() // an empty table
	}
	return n.sm.sessions.Encode()
}

// stamp is the leader's clock for a session entry: simulated time with a
// fixed skew per peer (up to ±200 units), so leaders disagree on the time
// and the table's logged time must not go back.
func (w *World) stamp(n *node) uint64 {
	skew := int64((w.o.Seed*uint64(2*n.idx+7))%401) - 200
	return uint64(max(0, w.now+skew))
}

// proposeSession sends a registration or a session command to peer n.
func (w *World) proposeSession(n *node, id core.RequestID, o *op) {
	if o.kind == opRegister {
		n.core.ProposeSession(id, &rafterpb.Entry{Type: rafterpb.EntryType_ENTRY_TYPE_SESSION, Stamp: w.stamp(n)})
		return
	}
	n.core.ProposeSession(id, &rafterpb.Entry{Type: rafterpb.EntryType_ENTRY_TYPE_OP, Cmd: []byte(o.cmd),
		ClientId: o.session, Sequence: o.seq, SessionFloor: o.seq, Stamp: w.stamp(n)})
}

// sessionWrite turns c's next write into a session command, or into a
// registration if c has no session; false if c does not use sessions.
func (w *World) sessionWrite(c *client, o *op) bool {
	if !w.o.Sessions || c.idx%3 == 2 { // a third of the clients never use one
		return false
	}
	if c.session == 0 {
		o.kind, o.cmd = opRegister, ""
		return true
	}
	c.sessionSeq++
	o.session, o.seq = c.session, c.sessionSeq
	return true
}

// retrySession sends a session command again after an unknown outcome,
// with the same sequence, to a random peer; false if it is not one, or it
// was tried too often.
func (w *World) retrySession(c *client) bool {
	o := c.cur
	if o.session == 0 || o.tries >= maxTries {
		return false
	}
	o.unknown = true
	w.stats.Sessions.Retries++
	w.retry(c, w.rng.IntN(len(w.nodes)), 1+w.rng.Int64N(3*TickUnit))
	return true
}

// answerSession handles the answer to a registration or a session
// command.
func (w *World) answerSession(n *node, id core.RequestID, e *rafterpb.Entry, v session.Verdict, res []byte) {
	a := w.take(n, id, -1)
	if a == nil {
		return
	}
	o, cl := a.op, a.cl
	if v.Kind == session.Registered {
		if o.kind != opRegister {
			w.chk.fail("%s answers request %d (kind %d) with a session registration", n.name, id, o.kind)
			return
		}
		w.stats.Sessions.Registered++
		if cl.curID == id {
			cl.session, cl.sessionSeq = e.GetIndex(), 0
			w.finish(cl)
		}
		return
	}
	k := sessKey{o.session, o.seq}
	if o.kind != opWrite || o.session == 0 || e.GetClientId() != k.session || e.GetSequence() != k.seq || string(e.GetCmd()) != o.cmd {
		w.chk.fail("%s answers session request %d (%q, session %d seq %d) with entry %d (%q, session %d seq %d)",
			n.name, id, o.cmd, o.session, o.seq, e.GetIndex(), e.GetCmd(), e.GetClientId(), e.GetSequence())
		return
	}
	ref := w.chk.sess
	switch v.Kind {
	case session.Refused:
		w.stats.Sessions.Refused++
		if j, ok := ref.runAt[k]; ok && !o.unknown {
			w.chk.fail("%s refuses %q (session %d seq %d) on its only attempt, but it was applied at %d", n.name, o.cmd, k.session, k.seq, j)
			return
		}
		if cl.curID == id {
			cl.session = 0 // the session is gone: register a new one
			w.finish(cl)
		}
		return
	case session.Run:
		w.stats.Sessions.Runs++
	case session.Duplicate:
		w.stats.Sessions.Duplicates++
	}
	if string(res) != string(ref.result[k]) {
		w.chk.fail("%s answers %q (session %d seq %d) with %x; its first application gave %x", n.name, o.cmd, k.session, k.seq, res, ref.result[k])
		return
	}
	w.acked = append(w.acked, ackRec{cmd: o.cmd, index: ref.runAt[k]})
	w.stats.Acked++
	if cl.curID == id {
		cl.hint = n.idx
		w.finish(cl)
	}
}
