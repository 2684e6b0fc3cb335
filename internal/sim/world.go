package sim

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"runtime/debug"

	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/rafterpb"
)

// Result is the outcome of one schedule.
type Result struct {
	Seed uint64
	// Hash summarises the whole run (every event and message, and the
	// final logs): two runs of one seed have the same hash.
	Hash  uint64
	Stats Stats
	// Err is a *Violation, or nil.
	Err error
}

// Stats count what a schedule did, to show that it did something.
type Stats struct {
	Events, Messages, Dropped        int
	Committed, Acked, Reads, Configs int // entries committed, proposals acknowledged, reads answered, SetConfigs done
	Grow, Shrink, ReplaceLeader      int // membership changes done, by kind
	Transfers, TransfersFailed       int // leadership transfers that ended with success / ErrTransferFailed
	Crashes, Partitions, Leaders     int // crashes, partitions, terms with a leader
	StepErrors                       int // messages the core refused (ErrInvalidMessage, ErrUnsupported)
	GroupCommits                     int // fsyncs that acknowledged several writes at once
	// Bootstraps counts the Bootstrap requests the admin sent
	// (Options.Bootstrap), BootstrapCrashes the peers it crashed right
	// after asking them (bootstrap.go).
	Bootstraps, BootstrapCrashes int
	// Snapshots saved, saves that failed (injected disk errors, or stale:
	// an install overtook them), compactions, InstallSnapshot chunks sent
	// and dropped by the shell (their snapshot was replaced while held),
	// installs completed by a log server, and state machines restored
	// from one.
	Snapshots, SnapshotFailures, Compactions  int
	StaleSaves                                int // of the failures: an install overtook the save
	Chunks, ChunksDropped, Installs, Restores int
	// Crashes while a snapshot save was not yet durable, and while an
	// install was under way (a partial file, or chunks queued).
	CrashesMidSave, CrashesMidInstall int
	// Reconciled counts restarts whose log did not continue the snapshot
	// and was reset after it (an install or a compaction beyond the
	// durable log).
	Reconciled int
	// Learners: AddLearner / RemoveLearner done; Staged: joint
	// configurations a leader appended after staging (its new servers
	// caught up); CatchUpTimeouts: SetConfigs that ended with
	// ErrCatchUpTimeout; CrashesCatchingUp: crashes of a server a staging
	// configuration was catching up.
	LearnersAdded, LearnersRemoved, Staged, CatchUpTimeouts, CrashesCatchingUp int
	// Unanswered counts requests a leader took and had not answered at
	// the end although it still led in the same term (see unanswered).
	Unanswered int
	// Unconverged is 1 if, at the end of the settle phase (network healed,
	// every peer up), no leader had committed an entry of its own term: a
	// liveness problem (not a safety violation).
	Unconverged int
	// Sessions counts exactly-once session traffic (session.go).
	Sessions SessionStats
}

// Add sums two Stats.
func (s Stats) Add(o Stats) Stats {
	return Stats{
		Events: s.Events + o.Events, Messages: s.Messages + o.Messages, Dropped: s.Dropped + o.Dropped,
		Committed: s.Committed + o.Committed, Acked: s.Acked + o.Acked, Reads: s.Reads + o.Reads, Configs: s.Configs + o.Configs,
		Grow: s.Grow + o.Grow, Shrink: s.Shrink + o.Shrink, ReplaceLeader: s.ReplaceLeader + o.ReplaceLeader,
		Transfers: s.Transfers + o.Transfers, TransfersFailed: s.TransfersFailed + o.TransfersFailed,
		Crashes: s.Crashes + o.Crashes, Partitions: s.Partitions + o.Partitions, Leaders: s.Leaders + o.Leaders,
		Bootstraps: s.Bootstraps + o.Bootstraps, BootstrapCrashes: s.BootstrapCrashes + o.BootstrapCrashes,
		StepErrors: s.StepErrors + o.StepErrors, GroupCommits: s.GroupCommits + o.GroupCommits, Unanswered: s.Unanswered + o.Unanswered, Unconverged: s.Unconverged + o.Unconverged,
		Snapshots: s.Snapshots + o.Snapshots, SnapshotFailures: s.SnapshotFailures + o.SnapshotFailures, Compactions: s.Compactions + o.Compactions,
		StaleSaves: s.StaleSaves + o.StaleSaves,
		Chunks:     s.Chunks + o.Chunks, ChunksDropped: s.ChunksDropped + o.ChunksDropped, Installs: s.Installs + o.Installs, Restores: s.Restores + o.Restores,
		LearnersAdded: s.LearnersAdded + o.LearnersAdded, LearnersRemoved: s.LearnersRemoved + o.LearnersRemoved,
		Staged: s.Staged + o.Staged, CatchUpTimeouts: s.CatchUpTimeouts + o.CatchUpTimeouts, CrashesCatchingUp: s.CrashesCatchingUp + o.CrashesCatchingUp,
		CrashesMidSave: s.CrashesMidSave + o.CrashesMidSave, CrashesMidInstall: s.CrashesMidInstall + o.CrashesMidInstall, Reconciled: s.Reconciled + o.Reconciled,
		Sessions: s.Sessions.add(o.Sessions),
	}
}

// World is one running schedule: the peers, the network, the clients, the
// event queue and the checker. It is single-threaded and deterministic.
type World struct {
	o     Options
	rng   *rand.Rand
	now   int64
	queue eventQueue
	evSeq uint64
	hash  uint64
	stats Stats
	chk   *checker

	nodes   []*node
	byName  map[string]int
	initial []*rafterpb.Peer
	blocked [][]bool
	split   bool // a partition is in force
	chaos   bool // false once the settle phase began

	clients  []*client
	admin    *client
	booting  *bootstrapping // Options.Bootstrap: the admin's bootstrap (bootstrap.go)
	attempts map[core.RequestID]*attempt
	nextReq  uint64
	acked    []ackRec
}

// Run runs one schedule and checks it; it never panics (a panic of the
// core is reported as a violation).
func Run(o Options) (res Result) {
	o.Settle = max(o.Settle, 4*o.electionMax())
	w := newWorld(o)
	defer func() {
		if r := recover(); r != nil {
			res = w.result()
			res.Err = &Violation{Seed: o.Seed, Event: w.stats.Events, At: w.now,
				What: fmt.Sprintf("panic: %v\n%s", r, debug.Stack())}
		}
	}()
	w.start()
	end := int64(o.Ticks+o.Settle) * TickUnit
	for w.queue.Len() > 0 && w.chk.err == nil {
		e := heap.Pop(&w.queue).(*event)
		if e.at > end {
			break
		}
		w.now = e.at
		w.stats.Events++
		w.hash = mix(w.hash, uint64(e.at), uint64(e.kind), uint64(e.node), uint64(e.cl))
		if o.Trace != nil {
			fmt.Fprintf(o.Trace, "%6d %-9s %s\n", e.at, e.kind, w.describe(e))
		}
		w.handle(e)
	}
	if w.chk.err == nil {
		w.chk.acksHold(w.acked)
		w.unanswered()
	}
	if !w.converged() {
		w.stats.Unconverged = 1
	}
	if o.Trace != nil {
		w.dumpStatus()
	}
	return w.result()
}

func newWorld(o Options) *World {
	w := &World{
		o:        o,
		rng:      rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)),
		chk:      newChecker(),
		byName:   map[string]int{},
		attempts: map[core.RequestID]*attempt{},
		chaos:    true,
	}
	u := o.Peers + o.Spares
	w.blocked = make([][]bool, u)
	for i := range u {
		id := &rafterpb.Peer{Name: fmt.Sprintf("p%d", i+1)}
		w.nodes = append(w.nodes, &node{idx: i, id: id, name: id.Name})
		w.byName[id.Name] = i
		w.blocked[i] = make([]bool, u)
		if i < o.Peers {
			w.initial = append(w.initial, id)
		}
	}
	for i := range o.Clients {
		w.clients = append(w.clients, &client{idx: i, hint: -1})
	}
	if o.Sessions {
		w.chk.sess, w.chk.sessOpts = newSessionRef(o.SessionOptions), o.SessionOptions
	}
	w.admin = &client{idx: o.Clients, admin: true, hint: -1}
	w.clients = append(w.clients, w.admin)
	return w
}

func (w *World) start() {
	for _, n := range w.nodes {
		w.boot(n)
	}
	for _, c := range w.clients[:len(w.clients)-1] {
		w.after(1+w.rng.Int64N(5*TickUnit), &event{kind: evClient, cl: c.idx})
	}
	w.after(1, &event{kind: evConfig})
	if w.o.CrashEvery > 0 {
		w.after(w.jitter(w.o.CrashEvery), &event{kind: evCrash})
	}
	if w.o.PartitionEvery > 0 {
		w.after(w.jitter(w.o.PartitionEvery), &event{kind: evPartition})
	}
	w.schedule(&event{at: int64(w.o.Ticks) * TickUnit, kind: evEnd})
}

// jitter draws a delay around mean ticks: uniform in [mean/2, 3*mean/2).
func (w *World) jitter(mean int) int64 {
	return int64(mean)*TickUnit/2 + w.rng.Int64N(int64(mean)*TickUnit+1)
}

func (w *World) handle(e *event) {
	switch e.kind {
	case evTick:
		w.tick(e)
	case evDeliver:
		w.deliver(e)
	case evFsync:
		w.fsync(e)
	case evAck:
		w.earlyAck(e)
	case evClient:
		w.clientAct(w.clients[e.cl])
	case evTimeout:
		w.timeout(w.clients[e.cl], core.RequestID(e.req))
	case evCrash:
		w.chaosCrash()
	case evRestart:
		if n := w.nodes[e.node]; !n.up {
			w.restart(n)
		}
	case evPartition:
		w.partition()
	case evHeal:
		w.heal()
	case evConfig:
		w.configAct()
	case evSnapSaved:
		w.snapSaved(e)
	case evInstall:
		w.installChunk(e)
	case evInstallDone:
		w.installDone(e)
	case evEnd:
		w.settle()
		if w.o.Trace != nil {
			w.dumpStatus()
		}
	}
}

// settle ends the chaos: the network heals (no partition, no loss, no
// long delays) and every peer comes back. Messages and writes then take
// at most a quarter of the election timeout, Raft's timing requirement
// (broadcast time well below the election timeout): a cluster that still
// elects no leader is a liveness failure, not a schedule whose round trip
// outlasts every election.
func (w *World) settle() {
	w.chaos = false
	w.o.Loss, w.o.LongDelay = 0, 0
	bound := max(1, int64(w.o.ElectionTicks)*TickUnit/4)
	w.o.MaxDelay, w.o.MaxFsync = min(w.o.MaxDelay, bound), min(w.o.MaxFsync, bound)
	w.heal()
	for _, n := range w.nodes {
		if !n.up {
			w.restart(n)
		}
	}
}

// unanswered counts requests that a leader took and never answered although
// it is still the leader of the same term, in the same incarnation, long
// after: in the settle phase the network is healthy, so such a request was
// dropped silently. The attempts are visited in request order (map order
// would make the count's first report differ between runs).
func (w *World) unanswered() {
	for id := core.RequestID(1); id <= core.RequestID(w.nextReq); id++ {
		a, ok := w.attempts[id]
		if !ok || a.leaderTerm == 0 || w.now-a.at < int64(w.o.Settle/2)*TickUnit {
			continue
		}
		n := w.nodes[a.node]
		if !n.up || n.inc != a.inc {
			continue
		}
		if st := n.core.Status(); st.Role == core.Leader && st.Term == a.leaderTerm {
			w.stats.Unanswered++
			if w.o.Trace != nil {
				fmt.Fprintf(w.o.Trace, "unanswered: request %d (kind %d) to leader %s of term %d at %d\n",
					id, a.op.kind, n.name, st.Term, a.at)
			}
		}
	}
}

// dumpStatus writes every peer's status to the trace.
func (w *World) dumpStatus() {
	for _, n := range w.nodes {
		if !n.up {
			fmt.Fprintf(w.o.Trace, "status %s: down\n", n.name)
			continue
		}
		st := n.core.Status()
		fmt.Fprintf(w.o.Trace, "status %s: %v term %d voted %v leader %v commit %d first %d last %d/%d applied %d snapshot %d/%d config %v\n",
			n.name, st.Role, st.Term, st.VotedFor.GetName(), st.Leader.GetName(), st.CommitIndex,
			st.FirstIndex, st.LastIndex, st.LastTerm, n.sm.applied, st.SnapshotIndex, st.SnapshotTerm, st.Config)
	}
}

// converged reports whether a live leader has committed an entry of its
// own term.
func (w *World) converged() bool {
	l := w.leaderNode()
	if l < 0 {
		return false
	}
	n := w.nodes[l]
	st := n.core.Status()
	t, ok := n.st.view.term(st.CommitIndex)
	return st.CommitIndex > 0 && ok && t == st.Term
}

func (w *World) result() Result {
	h := w.hash
	for _, n := range w.nodes {
		h = mix(h, n.st.meta.GetTerm(), n.st.logOff, uint64(len(n.st.log)), n.st.snap.index())
		for _, e := range n.st.log {
			h = mix(h, entryHash(e))
		}
	}
	w.stats.Committed = len(w.chk.committed)
	w.stats.Leaders = len(w.chk.leaders)
	r := Result{Seed: w.o.Seed, Hash: h, Stats: w.stats}
	if w.chk.err != nil {
		v := *w.chk.err
		v.Seed, v.Event, v.At = w.o.Seed, w.stats.Events, w.now
		r.Err = &v
	}
	return r
}

func (w *World) describe(e *event) string {
	switch e.kind {
	case evDeliver:
		m := e.msg
		s := fmt.Sprintf("%s -> %s term %d ", m.GetFrom().GetName(), m.GetTo().GetName(), m.GetTerm())
		switch b := m.GetBody().(type) {
		case *rafterpb.RaftMessage_RequestVote:
			return s + fmt.Sprintf("RequestVote last %d/%d pre %v", b.RequestVote.GetLastLogIndex(), b.RequestVote.GetLastLogTerm(), b.RequestVote.GetPreVote())
		case *rafterpb.RaftMessage_Vote:
			return s + fmt.Sprintf("Vote granted %v pre %v", b.Vote.GetGranted(), b.Vote.GetPreVote())
		case *rafterpb.RaftMessage_AppendEntries:
			a := b.AppendEntries
			return s + fmt.Sprintf("AppendEntries prev %d/%d n %d commit %d clock %d", a.GetPrevLogIndex(), a.GetPrevLogTerm(), len(a.GetEntries()), a.GetCommitIndex(), a.GetSendClock())
		case *rafterpb.RaftMessage_AppendEntriesReply:
			r := b.AppendEntriesReply
			return s + fmt.Sprintf("AppendEntriesReply ok %v index %d hint %d/%d clock %d", r.GetSuccess(), r.GetIndex(), r.GetRejectHintIndex(), r.GetRejectHintTerm(), r.GetSendClock())
		case *rafterpb.RaftMessage_InstallSnapshot:
			in := b.InstallSnapshot
			return s + fmt.Sprintf("InstallSnapshot %d/%d offset %d n %d of %d done %v", in.GetLastIncludedIndex(),
				in.GetLastIncludedTerm(), in.GetOffset(), len(in.GetData()), in.GetTotalSize(), in.GetDone())
		case *rafterpb.RaftMessage_InstallSnapshotReply:
			r := b.InstallSnapshotReply
			return s + fmt.Sprintf("InstallSnapshotReply %d/%d ok %v offset %d next %d done %v", r.GetLastIncludedIndex(),
				r.GetLastIncludedTerm(), r.GetSuccess(), r.GetOffset(), r.GetNextOffset(), r.GetDone())
		}
		return s + fmt.Sprintf("%T", m.GetBody())
	case evClient, evTimeout:
		return fmt.Sprintf("client %d req %d", e.cl, e.req)
	case evTick, evFsync, evAck, evRestart:
		return fmt.Sprintf("%s inc %d write %d", w.nodes[e.node].name, e.inc, e.wseq)
	}
	return ""
}
