package metrics

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/consensus/session"
	"github.com/rafter-go/rafter/rafterpb"
)

// roleNames are the values of the role label, indexed by core.Role.
var roleNames = [...]string{
	core.Follower: "follower", core.PreCandidate: "pre-candidate",
	core.Candidate: "candidate", core.Leader: "leader",
}

// Peer is the children of one peer's consensus actor, resolved once when
// the peer starts so the hot path does no label lookup. Every method is safe
// on a nil *Peer and then does nothing: nil means metrics are off, at the
// cost of that nil check. A Peer is used by one actor at a time (its
// consensus actor; Log by its log server), so the fields that remember the
// last observation need no lock.
type Peer struct {
	set  *Set
	name string

	term, commit, applied, last    prometheus.Gauge
	roles                          [len(roleNames)]prometheus.Gauge
	leaderChanges                  prometheus.Counter
	electionsStarted, electionsWon prometheus.Counter
	proposals, reads, staleReads   prometheus.Counter
	proposalSeconds, readSeconds   prometheus.Observer
	aeSent, aeReceived             prometheus.Observer

	snapshotIndex, firstIndex, snapshotBytes prometheus.Gauge
	snapshotSecs                             prometheus.Observer
	snapshotsOK, snapshotsFail, installs     prometheus.Counter
	chunksSent, chunksReceived               prometheus.Counter
	snapshotsSent, repeatedSnap              prometheus.Counter
	// sessionEntries by session.Kind (Plain's is nil: not counted).
	sessionEntries [session.Registered + 1]prometheus.Counter

	log *Log // the log server's part

	// What the last Observe saw, to count transitions. The core reports
	// states, not events; these are not indexes anyone decides on.
	roleSeen               int
	termSeen               uint64
	leaderName, leaderNode string
	// The core's snapshot transfer counts as last seen (they restart at
	// 0 with the consensus actor).
	sentSeen, repeatedSeen uint64
}

// Now returns the current time when metrics are on, the zero time when p is
// nil: the caller stamps a request's arrival without reading the clock when
// no one measures.
func (p *Peer) Now() time.Time {
	if p == nil {
		return time.Time{}
	}
	return time.Now()
}

// Observe publishes the core's Status: term, role, indexes, and counts the
// transitions since the previous Observe (elections started and won, leader
// changes). The consensus actor calls it after each Ready it executes, so no
// transition is missed: each election is at least one Tick and one Ready.
func (p *Peer) Observe(st core.Status) {
	if p == nil {
		return
	}
	p.term.Set(float64(st.Term))
	p.snapshotIndex.Set(float64(st.SnapshotIndex))
	p.firstIndex.Set(float64(st.FirstIndex))
	if st.SnapshotsSent < p.sentSeen || st.RepeatedSnapshots < p.repeatedSeen { // a new incarnation
		p.sentSeen, p.repeatedSeen = 0, 0
	}
	p.snapshotsSent.Add(float64(st.SnapshotsSent - p.sentSeen))
	p.repeatedSnap.Add(float64(st.RepeatedSnapshots - p.repeatedSeen))
	p.sentSeen, p.repeatedSeen = st.SnapshotsSent, st.RepeatedSnapshots
	p.commit.Set(float64(st.CommitIndex))
	p.applied.Set(float64(st.Applied))
	p.last.Set(float64(st.LastIndex))
	role := int(st.Role)
	newTerm := st.Term != p.termSeen
	campaigning := p.roleSeen == int(core.Candidate) && !newTerm
	switch {
	case st.Role == core.Candidate && !campaigning:
		p.electionsStarted.Inc()
	case st.Role == core.Leader && (p.roleSeen != role || newTerm):
		if !campaigning { // won within the Ready that started it (a single voter)
			p.electionsStarted.Inc()
		}
		p.electionsWon.Inc()
	}
	if role != p.roleSeen {
		if p.roleSeen == int(core.Leader) {
			p.set.inflight.DeletePartialMatch(prometheus.Labels{"peer": p.name})
		}
		for r, g := range p.roles {
			if r == role {
				g.Set(1)
			} else {
				g.Set(0)
			}
		}
	}
	p.roleSeen, p.termSeen = role, st.Term
	if l := st.Leader; l != nil && (l.GetName() != p.leaderName || l.GetNode() != p.leaderNode) {
		p.leaderChanges.Inc()
		p.leaderName, p.leaderNode = l.GetName(), l.GetNode()
	}
}

// Inflight samples the AppendEntries in flight to each follower of a leader
// (the core's progress owns the number).
func (p *Peer) Inflight(c *core.Core) {
	if p == nil || p.roleSeen != int(core.Leader) {
		return
	}
	c.Inflight(func(follower *rafterpb.Peer, n int) {
		p.set.inflight.WithLabelValues(p.name, peerLabel(follower)).Set(float64(n))
	})
}

// peerLabel names a peer as package rafter's Peer.String does: "name", or
// "name@host:port" for a peer of another System.
func peerLabel(p *rafterpb.Peer) string {
	if p.GetNode() == "" {
		return p.GetName()
	}
	return p.GetName() + "@" + p.GetNode()
}

// LogServer returns the log server's part of p; nil if p is nil.
func (p *Peer) LogServer() *Log {
	if p == nil {
		return nil
	}
	return p.log
}

// Proposed counts an Op handed to the core.
func (p *Peer) Proposed() {
	if p != nil {
		p.proposals.Inc()
	}
}

// Read counts a linearizable read handed to the core.
func (p *Peer) Read() {
	if p != nil {
		p.reads.Inc()
	}
}

// StaleRead counts a stale read answered locally.
func (p *Peer) StaleRead() {
	if p != nil {
		p.staleReads.Inc()
	}
}

// Request kinds, for Answered and Forwarded.
const (
	RequestOp        = "op"
	RequestRead      = "read"
	RequestSetConfig = "set_config"
	RequestTransfer  = "transfer"
	RequestSnapshot  = "snapshot"
	RequestBootstrap = "bootstrap"
)

// Answered records a client request this peer answered: its latency since
// arrived (for ops and reads) and, if code is not ERROR_CODE_NONE, the
// error by kind and code.
func (p *Peer) Answered(request string, arrived time.Time, code rafterpb.ErrorCode) {
	if p == nil {
		return
	}
	if !arrived.IsZero() {
		switch request {
		case RequestOp:
			p.proposalSeconds.Observe(time.Since(arrived).Seconds())
		case RequestRead:
			p.readSeconds.Observe(time.Since(arrived).Seconds())
		}
	}
	if code != rafterpb.ErrorCode_ERROR_CODE_NONE {
		p.set.requestErrors.WithLabelValues(p.name, errorKind(code), codeName(code)).Inc()
	}
}

// errorKind says whether a wire code means the request was certainly not
// applied ("definite") or may still be ("unknown"); the same split as
// package rafter's Definite.
func errorKind(code rafterpb.ErrorCode) string {
	switch code {
	case rafterpb.ErrorCode_ERROR_CODE_LEADERSHIP_LOST, rafterpb.ErrorCode_ERROR_CODE_PEERS_NOT_RESPONDING,
		rafterpb.ErrorCode_ERROR_CODE_INTERNAL, rafterpb.ErrorCode_ERROR_CODE_TIMEOUT,
		// Not applied by this attempt; an earlier one may have been (only
		// the client can tell: rafter.Session.Op).
		rafterpb.ErrorCode_ERROR_CODE_SESSION_EXPIRED:
		return "unknown"
	}
	return "definite"
}

// codeName is the wire code as a label value: "no_leader" for
// ERROR_CODE_NO_LEADER.
func codeName(code rafterpb.ErrorCode) string {
	return strings.ToLower(strings.TrimPrefix(code.String(), "ERROR_CODE_"))
}

// Forwarded counts a client request forwarded to the leader.
func (p *Peer) Forwarded(request string) {
	if p != nil {
		p.set.forwarded.WithLabelValues(p.name, request).Inc()
	}
}

// Drop reasons, for Dropped.
const (
	DropUnknownPeer  = "unknown_peer"
	DropOtherCluster = "other_cluster"
	DropContradicts  = "contradiction"
	DropInvalid      = "invalid"
	DropUnsupported  = "unsupported"
	DropRefused      = "refused"
	DropMalformed    = "malformed"
	DropMisaddressed = "misaddressed"
)

// Dropped counts a Raft message dropped for reason.
func (p *Peer) Dropped(reason string) {
	if p != nil {
		p.set.dropped.WithLabelValues(p.name, reason).Inc()
	}
}

// Sent records a Raft message sent: AppendEntries count with their entries.
func (p *Peer) Sent(m *rafterpb.RaftMessage) {
	if p == nil {
		return
	}
	if ae := m.GetAppendEntries(); ae != nil {
		p.aeSent.Observe(float64(len(ae.GetEntries())))
	}
}

// Received records a Raft message received (before the core judges it).
func (p *Peer) Received(m *rafterpb.RaftMessage) {
	if p == nil {
		return
	}
	if ae := m.GetAppendEntries(); ae != nil {
		p.aeReceived.Observe(float64(len(ae.GetEntries())))
	}
}

// Log is the children of one peer's log server. Its methods are safe on a
// nil *Log (metrics off) and do nothing then.
type Log struct {
	writeSeconds, syncSeconds, syncEntries prometheus.Observer
	slowHeld                               prometheus.Counter
}

// Now returns the current time, or the zero time when l is nil.
func (l *Log) Now() time.Time {
	if l == nil {
		return time.Time{}
	}
	return time.Now()
}

// Written records a LogWrite acknowledged, arrived being when it came in.
func (l *Log) Written(arrived time.Time) {
	if l != nil && !arrived.IsZero() {
		l.writeSeconds.Observe(time.Since(arrived).Seconds())
	}
}

// Synced records one group-commit Sync that began at start and made
// entries durable.
func (l *Log) Synced(start time.Time, entries int) {
	if l == nil {
		return
	}
	l.syncSeconds.Observe(time.Since(start).Seconds())
	l.syncEntries.Observe(float64(entries))
}

// SlowHeldSync counts an fdatasync that kept its P and was slow enough to
// turn keeping it off (logserver's Sync warns of it too).
func (l *Log) SlowHeldSync() {
	if l != nil {
		l.slowHeld.Inc()
	}
}

// SnapshotSaved records a snapshot of the state machine: durable after
// took, of bytes bytes, or failed.
func (p *Peer) SnapshotSaved(bytes uint64, took time.Duration, failed bool) {
	if p == nil {
		return
	}
	if failed {
		p.snapshotsFail.Inc()
		return
	}
	p.snapshotsOK.Inc()
	p.snapshotBytes.Set(float64(bytes))
	p.snapshotSecs.Observe(took.Seconds())
}

// SnapshotInstalled records a snapshot installed from a leader and restored.
func (p *Peer) SnapshotInstalled() {
	if p != nil {
		p.installs.Inc()
	}
}

// SessionEntry counts a session entry the peer applied by what the session
// table decided for it (Plain entries are not counted).
func (p *Peer) SessionEntry(k session.Kind) {
	if p == nil || k < 0 || int(k) >= len(p.sessionEntries) || p.sessionEntries[k] == nil {
		return
	}
	p.sessionEntries[k].Inc()
}

// ChunkSent and ChunkReceived count InstallSnapshot chunks.
func (p *Peer) ChunkSent() {
	if p != nil {
		p.chunksSent.Inc()
	}
}

func (p *Peer) ChunkReceived() {
	if p != nil {
		p.chunksReceived.Inc()
	}
}
