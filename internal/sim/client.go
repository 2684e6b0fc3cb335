package sim

import (
	"errors"
	"fmt"

	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/rafterpb"
)

type opKind int

const (
	opWrite opKind = iota
	opRead
	opConfig
	opTransfer
)

// op is one client operation; it may take several attempts (redirects,
// retries after definite refusals) but keeps its invocation time.
type op struct {
	kind   opKind
	cmd    string           // opWrite: unique, so it can be found in the log
	peers  []*rafterpb.Peer // opConfig
	change changeKind       // opConfig
	to     *rafterpb.Peer   // opTransfer: the target (nil: the leader picks); opLearner: the learner
	remove bool             // opLearner: RemoveLearner
	invoke int64
	tries  int
	// A session command (session.go): its session and sequence; unknown
	// once an attempt ended without an answer (it may be applied).
	session, seq uint64
	unknown      bool
}

type changeKind int

const (
	changeInitial changeKind = iota
	changeGrow
	changeShrink
	changeReplaceLeader
	changeReplace // replace a member (no leader known)
)

// attempt is one request to one peer, under a fresh RequestID.
type attempt struct {
	op   *op
	node int
	cl   *client
	// Where the request landed: the peer's incarnation, and the term in
	// which it was leader (0 if it was not), for the unanswered-request
	// check at the end of a run.
	at         int64
	inc        int
	leaderTerm uint64
}

// client is closed-loop: one operation at a time. The admin client does
// the membership changes.
type client struct {
	idx   int
	admin bool
	seq   int
	cur   *op
	curID core.RequestID // the attempt in flight; 0 between attempts
	next  int            // the peer of the next attempt
	hint  int            // the last known leader; -1 if none
	// session is the client's session (0: none yet), sessionSeq the last
	// sequence it used (session.go).
	session, sessionSeq uint64
}

const (
	requestTimeout = 30 * TickUnit
	maxTries       = 10
)

func (w *World) clientAct(c *client) {
	if c.cur == nil {
		c.seq++
		o := &op{kind: opRead, invoke: w.now}
		if w.rng.IntN(10) < 6 {
			o.kind, o.cmd = opWrite, fmt.Sprintf("c%d-%d", c.idx, c.seq)
			w.sessionWrite(c, o)
		}
		c.cur, c.next = o, w.pickPeer(c)
	}
	w.request(c)
}

func (w *World) pickPeer(c *client) int {
	if c.hint >= 0 && w.rng.IntN(4) != 0 {
		return c.hint
	}
	return w.rng.IntN(len(w.nodes))
}

// request sends c's operation to peer c.next as a new attempt. A request
// to a crashed peer is lost; the client's timeout notices.
func (w *World) request(c *client) {
	o := c.cur
	o.tries++
	w.nextReq++
	id := core.RequestID(w.nextReq)
	n := w.nodes[c.next]
	a := &attempt{op: o, node: c.next, cl: c, at: w.now, inc: n.inc}
	if n.up {
		if st := n.core.Status(); st.Role == core.Leader {
			a.leaderTerm = st.Term
		}
	}
	w.attempts[id] = a
	c.curID = id
	w.after(requestTimeout, &event{kind: evTimeout, cl: c.idx, req: uint64(id)})
	if w.o.Trace != nil {
		fmt.Fprintf(w.o.Trace, "%6d request   client %d req %d to %s up %v: kind %d cmd %q peers %v\n",
			w.now, c.idx, id, n.name, n.up, o.kind, o.cmd, o.peers)
	}
	if !n.up {
		return
	}
	switch o.kind {
	case opWrite, opRegister:
		if o.session != 0 || o.kind == opRegister {
			w.proposeSession(n, id, o)
			break
		}
		n.core.Propose(id, []byte(o.cmd))
	case opRead:
		if w.o.Faults.LocalReads {
			w.answerRead(n, id, n.sm.count)
			return
		}
		n.core.Read(id)
	case opConfig:
		n.core.SetConfig(id, clonePeers(o.peers))
	case opTransfer:
		n.core.TransferLeadership(id, o.to)
	case opLearner:
		if o.remove {
			n.core.RemoveLearner(id, o.to)
		} else {
			n.core.AddLearner(id, o.to)
		}
	}
	w.drive(n)
}

func (w *World) timeout(c *client, id core.RequestID) {
	if c.curID == id && !w.retrySession(c) {
		w.finish(c) // unknown outcome: give the operation up
	}
}

// finish ends c's operation and schedules its next one.
func (w *World) finish(c *client) {
	c.cur, c.curID = nil, 0
	if !c.admin {
		w.after(1+w.rng.Int64N(2*TickUnit), &event{kind: evClient, cl: c.idx})
	}
}

// retry sends c's operation again, to peer to, after delay; or gives it up.
func (w *World) retry(c *client, to int, delay int64) {
	c.curID = 0
	if c.cur.tries >= maxTries {
		w.finish(c)
		return
	}
	c.next = to
	w.after(delay, &event{kind: evClient, cl: c.idx})
}

// take looks an attempt up for an answer from peer n; nil (after a
// violation) if the core answers a request it was not given.
func (w *World) take(n *node, id core.RequestID, kind opKind) *attempt {
	a := w.attempts[id]
	switch {
	case a == nil:
		w.chk.fail("%s answers unknown or already answered request %d", n.name, id)
		return nil
	case a.node != n.idx:
		w.chk.fail("%s answers request %d that was sent to %s", n.name, id, w.nodes[a.node].name)
		return nil
	case kind >= 0 && a.op.kind != kind:
		w.chk.fail("%s answers request %d with the wrong kind of answer", n.name, id)
		return nil
	}
	delete(w.attempts, id)
	return a
}

func (w *World) answerWrite(n *node, id core.RequestID, e *rafterpb.Entry) {
	a := w.take(n, id, opWrite)
	if a == nil {
		return
	}
	w.chk.ack(n.name, a.op.cmd, e)
	w.acked = append(w.acked, ackRec{cmd: a.op.cmd, index: e.GetIndex()})
	w.stats.Acked++
	if a.cl.curID == id {
		a.cl.hint = n.idx
		w.finish(a.cl)
	}
}

func (w *World) answerRead(n *node, id core.RequestID, v uint64) {
	a := w.take(n, id, opRead)
	if a == nil {
		return
	}
	w.chk.read(n.name, v, a.op.invoke, w.now)
	w.stats.Reads++
	if a.cl.curID == id {
		a.cl.hint = n.idx
		w.finish(a.cl)
	}
}

// answerResult handles a refusal, a redirect or a finished SetConfig.
func (w *World) answerResult(n *node, r core.Result) {
	a := w.take(n, r.ID, -1)
	if a == nil {
		return
	}
	if w.o.Trace != nil {
		fmt.Fprintf(w.o.Trace, "%6d result    %s req %d: %v leader %v index %d\n", w.now, n.name, r.ID, r.Err, r.Leader, r.Index)
	}
	if w.isBootstrapAnswer(n, a, r) {
		return
	}
	if r.Err == nil && a.op.kind != opConfig && a.op.kind != opTransfer && a.op.kind != opLearner {
		w.chk.fail("%s ends request %d (not a SetConfig, a learner change or a transfer) with a Result and no error", n.name, r.ID)
		return
	}
	if errors.Is(r.Err, core.ErrInvalidArgument) && a.op.kind != opTransfer && a.op.kind != opLearner {
		// (A transfer's target may have left the configuration since the
		// admin picked it; a learner may have become a voter, or been
		// removed, since the admin looked.)
		w.chk.fail("%s refuses a valid request %d: %v", n.name, r.ID, r.Err)
		return
	}
	if a.op.kind == opTransfer {
		switch {
		case r.Err == nil:
			w.stats.Transfers++
		case errors.Is(r.Err, core.ErrTransferFailed):
			w.stats.TransfersFailed++
		}
	}
	if r.Err == nil && a.op.kind == opLearner {
		if a.op.remove {
			w.stats.LearnersRemoved++
		} else {
			w.stats.LearnersAdded++
		}
	}
	if errors.Is(r.Err, core.ErrCatchUpTimeout) {
		if a.op.kind != opConfig {
			w.chk.fail("%s ends request %d (not a SetConfig) with %v", n.name, r.ID, r.Err)
			return
		}
		w.stats.CatchUpTimeouts++
	}
	if r.Err == nil && a.op.kind == opConfig {
		w.stats.Configs++
		switch a.op.change {
		case changeGrow:
			w.stats.Grow++
		case changeShrink:
			w.stats.Shrink++
		case changeReplaceLeader:
			w.stats.ReplaceLeader++
		}
	}
	c := a.cl
	if c.curID != r.ID {
		return // the client gave this attempt up already
	}
	leader, known := w.byName[r.Leader.GetName()]
	switch {
	case (errors.Is(r.Err, core.ErrLeadershipLost) || errors.Is(r.Err, core.ErrPeersNotResponding)) && w.retrySession(c):
	case r.Err == nil, errors.Is(r.Err, core.ErrNotModified), errors.Is(r.Err, core.ErrInvalidInitialConfig),
		errors.Is(r.Err, core.ErrLeadershipLost), errors.Is(r.Err, core.ErrPeersNotResponding),
		errors.Is(r.Err, core.ErrTransferFailed), errors.Is(r.Err, core.ErrInvalidArgument),
		errors.Is(r.Err, core.ErrCatchUpTimeout):
		w.finish(c)
	case errors.Is(r.Err, core.ErrTransferInProgress):
		if a.op.kind == opTransfer {
			w.finish(c) // one transfer at a time: the admin tries later
			return
		}
		w.retry(c, n.idx, TickUnit+w.rng.Int64N(3*TickUnit))
	case errors.Is(r.Err, core.ErrNotLeader) && known && leader != n.idx:
		c.hint = leader
		w.retry(c, leader, 1) // forwarding, as the consensus actor does
	case errors.Is(r.Err, core.ErrConfigInProgress):
		w.retry(c, n.idx, 2*TickUnit+w.rng.Int64N(5*TickUnit))
	case errors.Is(r.Err, core.ErrNotLeader), errors.Is(r.Err, core.ErrNoLeader),
		errors.Is(r.Err, core.ErrElectionInProgress), errors.Is(r.Err, core.ErrNotMember):
		c.hint = -1
		to := w.rng.IntN(len(w.nodes))
		if c.admin {
			if to = w.configured(); to < 0 || !w.bootstrapped() {
				w.finish(c) // the admin starts over at its next turn
				return
			}
		}
		w.retry(c, to, 1+w.rng.Int64N(5*TickUnit))
	default:
		w.chk.fail("%s ends request %d with an undocumented error: %v", n.name, r.ID, r.Err)
	}
}

// configAct is the admin client: first the initial configuration (rafter:
// SetConfig on a blank peer of the list), then from time to time a
// membership change: grow by two, shrink by two, or replace the leader.
func (w *World) configAct() {
	if w.o.Bootstrap && w.bootstrapAct() {
		return
	}
	c := w.admin
	booted := w.bootstrapped()
	switch {
	case !booted:
		w.after(3*int64(w.o.ElectionTicks)*TickUnit, &event{kind: evConfig})
	case w.o.ConfigEvery > 0 && w.chaos:
		w.after(w.jitter(w.o.ConfigEvery), &event{kind: evConfig})
	}
	if c.cur != nil {
		return
	}
	if !booted {
		c.cur = &op{kind: opConfig, peers: w.initial, invoke: w.now}
		c.next = w.rng.IntN(len(w.initial))
		if w.o.BootstrapAll && w.now == 1 {
			w.bootstrapOthers(c.next)
		}
		w.request(c)
		return
	}
	if w.o.ConfigEvery == 0 || !w.chaos {
		return
	}
	to := w.configured()
	if to < 0 {
		return
	}
	if w.rng.IntN(3) == 0 {
		// A leadership transfer, to a random voter of the latest
		// configuration or to the leader's pick; random crashes and
		// partitions hit the target mid-way.
		o := &op{kind: opTransfer, invoke: w.now}
		if voters := config.Voters(w.nodes[to].core.Status().Config); len(voters) > 0 && w.rng.IntN(2) == 0 {
			o.to = voters[w.rng.IntN(len(voters))]
		}
		c.cur, c.next = o, to
		w.request(c)
		return
	}
	if w.o.Learners && w.rng.IntN(3) == 0 {
		if o := w.nextLearnerChange(); o != nil {
			c.cur, c.next = o, to
			w.request(c)
		}
		return
	}
	if peers, kind := w.nextConfig(); peers != nil {
		c.cur = &op{kind: opConfig, peers: peers, change: kind, invoke: w.now}
		c.next = to
		w.request(c)
	}
}

// bootstrapOthers gives the initial configuration to the initial peers
// other than skip (which gets the admin's own request), all at once, as an
// operator who starts every peer with the same list does. Their answers are
// checked and otherwise ignored.
func (w *World) bootstrapOthers(skip int) {
	for i := range w.initial {
		if i == skip || !w.nodes[i].up {
			continue
		}
		w.nextReq++
		id := core.RequestID(w.nextReq)
		o := &op{kind: opConfig, peers: w.initial, invoke: w.now}
		w.attempts[id] = &attempt{op: o, node: i, cl: w.admin}
		n := w.nodes[i]
		n.core.SetConfig(id, clonePeers(w.initial))
		w.drive(n)
	}
}

// bootstrapped reports whether any peer, up or down, holds a log: then the
// cluster exists and an initial configuration must never be sent again
// (a blank peer takes any SetConfig for one and would start a second
// cluster; see FINDINGS.md).
func (w *World) bootstrapped() bool {
	for _, n := range w.nodes {
		if n.st.view.last() > 0 || n.st.logLast() > 0 || n.st.snap != nil {
			return true
		}
	}
	return false
}

// configured picks a live peer that has a configuration (the operator's
// contract: a change goes through a member of the cluster), preferring the
// leader; -1 if none.
func (w *World) configured() int {
	if l := w.leaderNode(); l >= 0 {
		return l
	}
	var ok []int
	for _, n := range w.nodes {
		if n.up && n.core.Status().Config.GetState() != rafterpb.ConfigState_CONFIG_STATE_BLANK {
			ok = append(ok, n.idx)
		}
	}
	if len(ok) == 0 {
		return -1
	}
	return ok[w.rng.IntN(len(ok))]
}

// nextConfig picks a change from the configuration of the live peer with
// the highest commit index; nil if that configuration is not stable.
func (w *World) nextConfig() ([]*rafterpb.Peer, changeKind) {
	cur := w.freshestConfig()
	if cur.GetState() != rafterpb.ConfigState_CONFIG_STATE_STABLE {
		return nil, 0
	}
	old := cur.GetOldServers()
	var spares []*rafterpb.Peer
	for _, n := range w.nodes {
		if !config.Contains(old, n.id) {
			spares = append(spares, n.id)
		}
	}
	shuffle := func(ps []*rafterpb.Peer) []*rafterpb.Peer {
		ps = clonePeers(ps)
		w.rng.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
		return ps
	}
	switch k := w.rng.IntN(3); {
	case k == 0 && len(old) <= 5 && len(spares) >= 2: // grow 3→5, 5→7
		return append(clonePeers(old), shuffle(spares)[:2]...), changeGrow
	case k == 1 && len(old) >= 5: // shrink 5→3, 7→5
		return shuffle(old)[:len(old)-2], changeShrink
	default: // replace the leader (or, without one, some member)
		if len(spares) == 0 {
			return nil, 0
		}
		gone, kind := w.rng.IntN(len(old)), changeReplace
		if l := w.leaderNode(); l >= 0 && config.Contains(old, w.nodes[l].id) {
			gone, kind = 0, changeReplaceLeader
			for i, p := range old {
				if p.GetName() == w.nodes[l].name {
					gone = i
				}
			}
		}
		out := clonePeers(old)
		out[gone] = shuffle(spares)[0]
		return out, kind
	}
}

func clonePeers(ps []*rafterpb.Peer) []*rafterpb.Peer {
	out := make([]*rafterpb.Peer, len(ps))
	for i, p := range ps {
		out[i] = &rafterpb.Peer{Name: p.GetName(), Node: p.GetNode()}
	}
	return out
}
