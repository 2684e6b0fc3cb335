package sim

import (
	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/rafterpb"
)

// Bootstrap, the other way a world creates its cluster (Options.Bootstrap):
// the admin asks every initial peer, with one cluster ID, to make the first
// configuration durable (core.Bootstrap), as System.Bootstrap does, and
// asks again those that have not confirmed (down, or crashed before the
// write was durable) until every one has; only then does it change the
// membership. Sometimes a peer crashes right after it was asked, keeping
// none, all or a torn part of its write. Besides the usual invariants:
// a confirmation comes only once the configuration is durable, every
// initial peer's first entry is the same, and no peer is refused (every
// ask carries the same ID, so ErrAlreadyBootstrapped would be a bug).

// opBootstrap is an attempt of the bootstrap (answered by answerBootstrap).
const opBootstrap = opTransfer + 1

// bootstrapping is the admin's bootstrap in progress.
type bootstrapping struct {
	clusterID uint64
	confirmed []bool // by initial peer
	first     *rafterpb.Entry
}

// bootstrapAct is the admin's turn while the cluster is being
// bootstrapped: it asks every live initial peer that has not confirmed yet
// and reports true; false once every initial peer has confirmed.
func (w *World) bootstrapAct() bool {
	b := w.booting
	if b == nil {
		b = &bootstrapping{clusterID: w.rng.Uint64() | 1, confirmed: make([]bool, len(w.initial))}
		w.booting = b
	}
	pending := false
	for i := range w.initial {
		if b.confirmed[i] {
			continue
		}
		pending = true
		if n := w.nodes[i]; n.up {
			w.askBootstrap(n)
		}
	}
	if pending {
		w.after(int64(w.o.ElectionTicks)*TickUnit, &event{kind: evConfig})
	}
	return pending
}

// askBootstrap sends one Bootstrap to n, and sometimes crashes n at once.
func (w *World) askBootstrap(n *node) {
	b := w.booting
	w.nextReq++
	id := core.RequestID(w.nextReq)
	w.attempts[id] = &attempt{op: &op{kind: opBootstrap, invoke: w.now}, node: n.idx, cl: w.admin, at: w.now, inc: n.inc}
	w.stats.Bootstraps++
	n.core.Bootstrap(id, clonePeers(w.initial), b.clusterID)
	w.drive(n)
	if w.chaos && w.o.CrashEvery > 0 && n.up && w.rng.IntN(4) == 0 {
		w.stats.BootstrapCrashes++
		w.crash(n)
		w.after(TickUnit+w.rng.Int64N(10*TickUnit), &event{kind: evRestart, node: n.idx})
	}
}

// answerBootstrap checks a Bootstrap's answer: success only with the
// configuration durable, the same first entry on every initial peer.
func (w *World) answerBootstrap(n *node, r core.Result) {
	b := w.booting
	if r.Err != nil {
		// Every ask carries the world's one cluster ID and list.
		w.chk.fail("%s refuses the bootstrap: %v", n.name, r.Err)
		return
	}
	if n.st.logOff > 0 {
		// Entry 1 is compacted: a durable snapshot of this cluster holds
		// it (the leader's log had it before; the entries checks cover
		// its content).
		var snap *rafterpb.SnapshotMeta
		if n.st.snap != nil {
			snap = n.st.snap.meta
		}
		if snap.GetConfig().GetClusterId() != b.clusterID || r.Index != 1 {
			w.chk.fail("%s confirms the bootstrap at index %d with entry 1 compacted and snapshot %v",
				n.name, r.Index, snap)
		} else if n.idx < len(b.confirmed) {
			b.confirmed[n.idx] = true
		}
		return
	}
	if len(n.st.log) == 0 {
		w.chk.fail("%s confirms the bootstrap with nothing durable", n.name)
		return
	}
	e := n.st.log[0]
	conf := e.GetConfig()
	switch {
	case r.Index != 1:
		w.chk.fail("%s confirms the bootstrap at index %d", n.name, r.Index)
	case e.GetType() != rafterpb.EntryType_ENTRY_TYPE_CONFIG || conf.GetClusterId() != b.clusterID:
		w.chk.fail("%s confirms the bootstrap but its durable entry 1 is %v", n.name, e)
	case b.first != nil && entryHash(b.first) != entryHash(e):
		w.chk.fail("%s's first entry %v differs from another member's %v", n.name, e, b.first)
	}
	if b.first == nil {
		b.first = cloneEntry(e)
	}
	if n.idx < len(b.confirmed) {
		b.confirmed[n.idx] = true
	}
}

// isBootstrapAnswer reports whether r answers a bootstrap attempt, and
// handles it if so.
func (w *World) isBootstrapAnswer(n *node, a *attempt, r core.Result) bool {
	if a.op.kind != opBootstrap {
		return false
	}
	w.answerBootstrap(n, r)
	return true
}
