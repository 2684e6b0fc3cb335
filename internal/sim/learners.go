package sim

import (
	"maps"
	"slices"

	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/rafterpb"
)

// Learners in the simulator: the admin's AddLearner / RemoveLearner, and
// the invariants that would catch a learner counted where only voters
// count. The staging phase of SetConfig runs in every schedule that grows
// or replaces a server (config changes add servers through it).

// opLearner is an AddLearner, or a RemoveLearner with op.remove (after
// session.go's opRegister).
const opLearner = opRegister + 1

// nextLearnerChange picks a learner change from the stable configuration
// of the live peer with the highest commit index: add a peer that is
// neither voter nor learner, or remove a learner; nil if there is none to
// make.
func (w *World) nextLearnerChange() *op {
	cur := w.freshestConfig()
	if cur.GetState() != rafterpb.ConfigState_CONFIG_STATE_STABLE {
		return nil
	}
	var outside []*rafterpb.Peer
	for _, n := range w.nodes {
		if !config.IsMember(n.id, cur) {
			outside = append(outside, n.id)
		}
	}
	learners := config.Learners(cur)
	o := &op{kind: opLearner, invoke: w.now}
	switch {
	case len(learners) > 0 && (len(outside) == 0 || w.rng.IntN(3) == 0):
		o.remove, o.to = true, clonePeers(learners)[w.rng.IntN(len(learners))]
	case len(outside) > 0:
		o.to = clonePeers(outside)[w.rng.IntN(len(outside))]
	default:
		return nil
	}
	return o
}

// freshestConfig is the configuration of the live peer with the highest
// commit index (nil if none is up).
func (w *World) freshestConfig() *rafterpb.Config {
	var cur *rafterpb.Config
	var best uint64
	for _, n := range w.nodes {
		if n.up {
			if st := n.core.Status(); cur == nil || st.CommitIndex > best {
				cur, best = st.Config, st.CommitIndex
			}
		}
	}
	return cur
}

// catchingUp lists the live peers that the leader's staging configuration
// is catching up (none without a leader in staging).
func (w *World) catchingUp() []int {
	l := w.leaderNode()
	if l < 0 {
		return nil
	}
	var out []int
	for _, p := range config.CatchingUp(w.nodes[l].core.Status().Config) {
		if i, ok := w.byName[p.GetName()]; ok && w.nodes[i].up {
			out = append(out, i)
		}
	}
	return out
}

// checkRoleOfLearner: a learner (of its own latest configuration) never
// campaigns nor leads: it has no vote to give itself.
func (w *World) checkRoleOfLearner(n *node, st core.Status) {
	if st.Role != core.Follower && config.IsLearner(n.id, st.Config) {
		w.chk.fail("learner %s is %v in term %d (config %v)", n.name, st.Role, st.Term, st.Config)
	}
}

// checkElectionQuorum: the first time a leader of a term is seen, the
// durable votes for it in that term (and its own) form a quorum of its
// configuration's voters. A vote counted from a learner or a stranger, or
// a quorum counted wrong, makes a leader without one. Votes are durable
// before they leave (checked elsewhere), so every vote the candidate
// counted is known here, unless a harness fault breaks that.
func (w *World) checkElectionQuorum(n *node, st core.Status) {
	if _, seen := w.chk.leaders[st.Term]; seen || w.o.Faults.SendBeforePersist || w.o.Faults.AckBeforeDurable {
		return
	}
	votes := map[string]bool{}
	me := config.PeerKey(n.id)
	for _, m := range w.nodes {
		if cand, ok := w.chk.votes[voteKey{m.name, st.Term}]; ok && cand == me {
			votes[config.PeerKey(m.id)] = true
		}
	}
	if !config.Quorum(n.id, st.Config, votes) {
		w.chk.fail("%s leads term %d with the votes of %v, no quorum of the voters %v",
			n.name, st.Term, keysOf(votes), peerNames(config.Voters(st.Config)))
	}
}

// checkCommitQuorum: when a leader's commit index rises to i, a quorum of
// its configuration's voters holds entry i durably (the leader counts
// itself once its write is durable too): the commit rule never counts a
// learner's copy. A copy below a peer's compaction point counts (it was
// committed before the snapshot). The configuration the leader counted
// with was its latest when it committed; by the time the checker looks,
// the commit may have made it append newer ones (the joint configuration
// after staging, the final one after the joint), so any configuration of
// its log from the latest at or below i on will do.
func (w *World) checkCommitQuorum(n *node, st core.Status) {
	if w.o.Faults.AckBeforeDurable || w.o.Faults.SendBeforePersist || w.o.Faults.NoSendCheck {
		return
	}
	i := st.CommitIndex
	rec := n.st.view.rec(i)
	if rec == nil {
		return // at or below the leader's own compaction point: committed earlier
	}
	holders := map[string]bool{}
	for _, m := range w.nodes {
		holders[config.PeerKey(m.id)] = m.st.durablyHolds(i, rec.hash)
	}
	var snapConf *rafterpb.Config
	if n.st.snap != nil {
		snapConf = n.st.snap.meta.GetConfig()
	}
	confs := n.st.view.configsFrom(i, snapConf)
	if len(confs) == 0 {
		return
	}
	for _, c := range confs {
		if config.Quorum(n.id, c, holders) {
			return
		}
	}
	w.chk.fail("leader %s commits %d (term %d) held durably by %v, no quorum of the voters %v",
		n.name, i, st.Term, keysOf(holders), peerNames(config.Voters(confs[0])))
}

// configsFrom returns the configurations of the view's entries from the
// latest one at or below i to the last. If none at or below i is in the
// view (compacted), the snapshot's configuration, the latest at the
// compaction point, is the first of them.
func (v *logView) configsFrom(i uint64, snapConf *rafterpb.Config) []*rafterpb.Config {
	var out []*rafterpb.Config
	for j := v.last(); j > v.off; j-- {
		e := v.rec(j).e
		if e.GetType() != rafterpb.EntryType_ENTRY_TYPE_CONFIG {
			continue
		}
		out = append(out, e.GetConfig())
		if j <= i {
			return out
		}
	}
	if snapConf != nil {
		out = append(out, snapConf)
	}
	return out
}

// durablyHolds: the durable log (or snapshot) holds entry i with hash h.
func (s *store) durablyHolds(i, h uint64) bool {
	if i <= s.logOff || i <= s.snap.index() {
		return true
	}
	if i > s.logLast() {
		return false
	}
	return entryHash(s.log[i-s.logOff-1]) == h
}

// checkJoint: a leader appends a joint configuration that adds servers only
// after a staging configuration, and only when each added server holds the
// leader's log up to its last index minus CatchUpEntries (its durable log
// matches there; what the leader knew from its answers can only be less).
func (w *World) checkJoint(n *node, es []*rafterpb.Entry) {
	for _, e := range es {
		conf := e.GetConfig()
		if e.GetType() != rafterpb.EntryType_ENTRY_TYPE_CONFIG || conf.GetState() != rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL {
			continue
		}
		var added []*rafterpb.Peer
		for _, p := range conf.GetNewServers() {
			if !config.Contains(conf.GetOldServers(), p) {
				added = append(added, p)
			}
		}
		if len(added) == 0 {
			continue
		}
		if prev := n.st.view.prevConfig(e.GetIndex()); prev != nil && prev.GetState() != rafterpb.ConfigState_CONFIG_STATE_STAGING {
			w.chk.fail("leader %s appends joint configuration %d adding %v without staging (previous %v)",
				n.name, e.GetIndex(), peerNames(added), prev.GetState())
			return
		}
		w.stats.Staged++
		if e.GetIndex() <= 1+w.o.CatchUpEntries {
			continue
		}
		need := e.GetIndex() - 1 - w.o.CatchUpEntries
		r := n.st.view.rec(need)
		if r == nil {
			continue // compacted on the leader: committed, so held by a snapshot
		}
		for _, p := range added {
			m := w.nodes[w.byName[p.GetName()]]
			if !m.st.durablyHolds(need, r.hash) {
				w.chk.fail("leader %s appends joint configuration %d: %s does not hold entry %d (catch-up window %d)",
					n.name, e.GetIndex(), p.GetName(), need, w.o.CatchUpEntries)
				return
			}
		}
	}
}

// prevConfig is the latest configuration entry before index i in the view,
// nil if there is none in it (compacted).
func (v *logView) prevConfig(i uint64) *rafterpb.Config {
	for j := min(i-1, v.last()); j > v.off; j-- {
		if e := v.rec(j).e; e.GetType() == rafterpb.EntryType_ENTRY_TYPE_CONFIG {
			return e.GetConfig()
		}
	}
	return nil
}

func sortedKeys(m map[string]bool) []string { return slices.Sorted(maps.Keys(m)) }

func keysOf(m map[string]bool) []string {
	var out []string
	for _, n := range sortedKeys(m) {
		if m[n] {
			out = append(out, n)
		}
	}
	return out
}

func peerNames(ps []*rafterpb.Peer) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.GetName()
	}
	return out
}
