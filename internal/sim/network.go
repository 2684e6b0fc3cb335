package sim

import (
	"slices"

	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/rafterpb"
)

// send puts a message on the simulated network: it may be dropped (Loss,
// or a partition at send or delivery time), delayed (reordering follows
// from independent delays), delayed a lot (LongDelay) or duplicated (Dup).
func (w *World) send(n *node, m *rafterpb.RaftMessage) {
	if m.GetFrom().GetName() != n.name || m.GetFrom().GetNode() != n.id.GetNode() {
		w.chk.fail("%s sends a message from %v", n.name, m.GetFrom())
		return
	}
	to, ok := w.byName[m.GetTo().GetName()]
	if !ok || m.GetTo().GetNode() != "" {
		w.chk.fail("%s sends a message to unknown peer %v", n.name, m.GetTo())
		return
	}
	if in := m.GetInstallSnapshot(); in != nil {
		if !w.fillChunk(n, in) {
			w.stats.ChunksDropped++
			return
		}
		w.stats.Chunks++
	}
	if !w.o.Faults.NoSendCheck {
		w.checkDurableBeforeSend(n, m)
	}
	w.stats.Messages++
	w.hash = mix(w.hash, msgHash(m))
	copies := 1
	if w.rng.Float64() < w.o.Dup {
		copies = 2
	}
	for range copies {
		if w.blocked[n.idx][to] || w.rng.Float64() < w.o.Loss {
			w.stats.Dropped++
			continue
		}
		d := 1 + w.rng.Int64N(w.o.MaxDelay)
		if w.rng.Float64() < w.o.LongDelay {
			d += w.rng.Int64N(10 * w.o.MaxDelay)
		}
		// A copy per delivery: the receiver owns what it gets, as after
		// decoding from the wire.
		w.after(d, &event{kind: evDeliver, node: to, msg: cloneMsg(m)})
	}
}

// checkDurableBeforeSend: a granted vote and a successful AppendEntries
// reply may leave only once what they promise is durable (Raft §5.2,
// §5.3; logserver/doc.go: fsync before acknowledging).
func (w *World) checkDurableBeforeSend(n *node, m *rafterpb.RaftMessage) {
	switch b := m.GetBody().(type) {
	case *rafterpb.RaftMessage_Vote:
		if !b.Vote.GetGranted() || b.Vote.GetPreVote() {
			return
		}
		d := n.st.meta
		if d.GetTerm() < m.GetTerm() || (d.GetTerm() == m.GetTerm() && d.GetVotedFor().GetName() != m.GetTo().GetName()) {
			w.chk.fail("%s grants its vote in term %d to %s before the vote is durable (durable: term %d, vote %v)",
				n.name, m.GetTerm(), m.GetTo().GetName(), d.GetTerm(), d.GetVotedFor().GetName())
		}
	case *rafterpb.RaftMessage_AppendEntriesReply:
		r := b.AppendEntriesReply
		if !r.GetSuccess() || r.GetIndex() == 0 {
			return
		}
		i := r.GetIndex()
		// Only the length: a later write (still pending) may already have
		// replaced index i in the view; the reply speaks of the log as it
		// was when the reply was made.
		if i > n.st.logLast() {
			w.chk.fail("%s acknowledges index %d to %s before it is durable (durable last index %d)",
				n.name, i, m.GetTo().GetName(), n.st.logLast())
		}
	}
}

// partition cuts links for a while: one peer isolated, the leader
// isolated, a random split in two, or one direction of one peer's links.
func (w *World) partition() {
	if !w.chaos {
		return
	}
	w.after(w.jitter(w.o.PartitionEvery), &event{kind: evPartition})
	if w.split {
		return
	}
	u := len(w.nodes)
	cut := func(a, b int) { w.blocked[a][b], w.blocked[b][a] = true, true }
	switch w.rng.IntN(4) {
	case 0, 1:
		victim := w.rng.IntN(u)
		if l := w.leaderNode(); l >= 0 && w.rng.IntN(2) == 0 {
			victim = l
		}
		for j := range u {
			if j != victim {
				cut(victim, j)
			}
		}
	case 2:
		side := make([]bool, u)
		for i := range side {
			side[i] = w.rng.IntN(2) == 0
		}
		for i := range u {
			for j := range u {
				if side[i] != side[j] {
					w.blocked[i][j] = true
				}
			}
		}
	case 3:
		victim, in := w.rng.IntN(u), w.rng.IntN(2) == 0
		for j := range u {
			if j == victim {
				continue
			}
			if in {
				w.blocked[j][victim] = true
			} else {
				w.blocked[victim][j] = true
			}
		}
	}
	w.split = true
	w.stats.Partitions++
	w.after(5*TickUnit+w.rng.Int64N(35*TickUnit), &event{kind: evHeal})
}

func (w *World) heal() {
	for i := range w.blocked {
		clear(w.blocked[i])
	}
	w.split = false
}

// chaosCrash crashes a random live peer, usually keeping a majority of
// the universe up (so that the cluster can make progress), sometimes not.
func (w *World) chaosCrash() {
	if !w.chaos {
		return
	}
	w.after(w.jitter(w.o.CrashEvery), &event{kind: evCrash})
	var up []int
	for _, n := range w.nodes {
		if n.up {
			up = append(up, n.idx)
		}
	}
	down := len(w.nodes) - len(up)
	if len(up) == 0 || (2*(down+1) >= len(w.nodes) && w.rng.IntN(10) != 0) {
		return
	}
	victim := up[w.rng.IntN(len(up))]
	if l := w.leaderNode(); l >= 0 && w.rng.IntN(3) == 0 {
		victim = l
	}
	if w.o.Learners && w.rng.IntN(3) == 0 {
		if cu := w.catchingUp(); len(cu) > 0 {
			victim = cu[w.rng.IntN(len(cu))] // a learner mid catch-up
		}
	}
	if slices.Contains(w.catchingUp(), victim) {
		w.stats.CrashesCatchingUp++
	}
	w.crash(w.nodes[victim])
	w.after(2*TickUnit+w.rng.Int64N(30*TickUnit), &event{kind: evRestart, node: victim})
}

// leaderNode is a live peer that believes it leads, in the highest term;
// -1 if none.
func (w *World) leaderNode() int {
	best, term := -1, uint64(0)
	for _, n := range w.nodes {
		if n.up {
			if st := n.core.Status(); st.Role == core.Leader && st.Term >= term {
				best, term = n.idx, st.Term
			}
		}
	}
	return best
}
