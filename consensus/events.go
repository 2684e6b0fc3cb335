package consensus

import (
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/events"
	"github.com/rafter-go/rafter/rafterpb"
)

// The actor's events (Options.Events, package events), published from the
// same points that feed the metrics (metrics.go): the core's Status after
// each Ready (role, term, vote, commit, applied, configuration), each Ready's
// entries, each message sent and received, each tick (the election timer).
// Every hook first asks Events.On: with no subscriber that atomic load is
// the whole cost, and the actor keeps no event state up to date.

// eventState is what the last published events said, to publish changes
// only. It belongs to one incarnation (the zero value after a restart
// makes the first observation publish everything).
type eventState struct {
	seen     bool
	role     core.Role
	term     uint64
	leader   string
	voted    string
	commit   uint64
	applied  uint64
	config   *rafterpb.Config
	elapsed  int
	timeout  int
	timerSet bool
}

// eventName names a peer as events do (rafter.Peer.String).
func eventName(p *rafterpb.Peer) string {
	if p == nil || p.GetName() == "" {
		return ""
	}
	if p.GetNode() == "" {
		return p.GetName()
	}
	return p.GetName() + "@" + p.GetNode()
}

// eventStarted publishes the (re)start of the actor from what it loaded.
func (a *consensusActor) eventStarted(r core.Restored) {
	a.ev = eventState{}
	if !a.opts.Events.On() {
		return
	}
	last := r.Snapshot.GetIndex() // a log may end in its snapshot
	if n := len(r.Entries); n > 0 {
		last = r.Entries[n-1].GetIndex()
	}
	a.opts.Events.Publish(events.Event{Kind: events.KindStart, Incarnation: a.incarnation,
		Term: r.Meta.GetTerm(), Last: last})
	a.observeEvents()
}

// eventDown publishes that the actor is stopping.
func (a *consensusActor) eventDown() {
	if a.opts.Events.On() {
		a.opts.Events.Publish(events.Event{Kind: events.KindDown, Incarnation: a.incarnation})
	}
}

// observeEvents publishes what changed in the core's Status since the last
// call. Called after each executed Ready, like observe.
func (a *consensusActor) observeEvents() {
	if !a.opts.Events.On() {
		a.ev.seen = false // state may go stale while no one listens
		return
	}
	st := a.core.Status()
	ev, pub := &a.ev, a.opts.Events.Publish
	leader, voted := eventName(st.Leader), eventName(st.VotedFor)
	if !ev.seen || st.Role != ev.role || st.Term != ev.term || leader != ev.leader {
		pub(events.Event{Kind: events.KindRole, Role: st.Role.String(), Term: st.Term, Leader: leader})
	}
	if voted != "" && (!ev.seen || voted != ev.voted || st.Term != ev.term) {
		pub(events.Event{Kind: events.KindVote, Term: st.Term, To: voted})
	}
	if st.CommitIndex > ev.commit || (!ev.seen && st.CommitIndex > 0) {
		pub(events.Event{Kind: events.KindCommit, Term: st.Term, First: ev.commit + 1, Last: st.CommitIndex})
	}
	if st.Applied > ev.applied {
		pub(events.Event{Kind: events.KindApply, First: ev.applied + 1, Last: st.Applied})
	}
	if st.Config != nil && (!ev.seen || !proto.Equal(st.Config, ev.config)) {
		pub(configEvent(st.Config))
	}
	ev.seen, ev.role, ev.term, ev.leader, ev.voted = true, st.Role, st.Term, leader, voted
	ev.commit, ev.applied, ev.config = max(ev.commit, st.CommitIndex), max(ev.applied, st.Applied), st.Config
	a.eventTimer()
}

func configEvent(c *rafterpb.Config) events.Event {
	names := func(ps []*rafterpb.Peer) []string {
		out := make([]string, 0, len(ps))
		for _, p := range ps {
			out = append(out, eventName(p))
		}
		return out
	}
	return events.Event{Kind: events.KindConfig,
		State: strings.ToLower(strings.TrimPrefix(c.GetState().String(), "CONFIG_STATE_")),
		Old:   names(c.GetOldServers()), New: names(c.GetNewServers())}
}

// eventTimer publishes an election timer that was reset or drawn anew (its
// elapsed ticks went down or its timeout changed). A leader has none.
func (a *consensusActor) eventTimer() {
	if !a.opts.Events.On() {
		return
	}
	if a.ev.role == core.Leader {
		a.ev.timerSet = false
		return
	}
	elapsed, timeout := a.core.ElectionTimer()
	ev := &a.ev
	if ev.timerSet && elapsed >= ev.elapsed && timeout == ev.timeout {
		ev.elapsed = elapsed
		return
	}
	ev.timerSet, ev.elapsed, ev.timeout = true, elapsed, timeout
	tick := a.opts.TickInterval
	a.opts.Events.Publish(events.Event{Kind: events.KindTimer,
		Remaining: time.Duration(timeout-elapsed) * tick, Timeout: time.Duration(timeout) * tick})
}

// eventAppend publishes the entries of a Ready, one event per run of one
// term.
func (a *consensusActor) eventAppend(es []*rafterpb.Entry) {
	if len(es) == 0 || !a.opts.Events.On() {
		return
	}
	start := 0
	for i := 1; i <= len(es); i++ {
		if i == len(es) || es[i].GetTerm() != es[start].GetTerm() {
			a.opts.Events.Publish(events.Event{Kind: events.KindAppend, First: es[start].GetIndex(),
				Last: es[i-1].GetIndex(), EntryTerm: es[start].GetTerm()})
			start = i
		}
	}
}

// eventMessage publishes a Raft message sent (verdict: the interceptor's,
// Deliver if none) or received.
func (a *consensusActor) eventMessage(kind events.Kind, msg proto.Message, verdict Action) {
	if !a.opts.Events.On() {
		return
	}
	m, ok := msg.(*rafterpb.RaftMessage)
	if !ok {
		return
	}
	e := events.Event{Kind: kind, From: eventName(m.GetFrom()), To: eventName(m.GetTo()), Term: m.GetTerm()}
	describeMessage(&e, m)
	switch verdict {
	case Drop:
		e.Verdict = "drop"
	case Delay:
		e.Verdict = "delay"
	case Duplicate:
		e.Verdict = "duplicate"
	}
	a.opts.Events.Publish(e)
}

// describeMessage sets an event's Msg, index range and Success from m.
func describeMessage(e *events.Event, m *rafterpb.RaftMessage) {
	switch b := m.GetBody().(type) {
	case *rafterpb.RaftMessage_RequestVote:
		e.Msg = "request_vote"
		if b.RequestVote.GetPreVote() {
			e.Msg = "pre_vote"
		}
		e.Last = b.RequestVote.GetLastLogIndex()
	case *rafterpb.RaftMessage_Vote:
		e.Msg, e.Success = "vote", b.Vote.GetGranted()
		if b.Vote.GetPreVote() {
			e.Msg = "pre_vote_reply"
		}
	case *rafterpb.RaftMessage_AppendEntries:
		e.Msg = "append_entries"
		if es := b.AppendEntries.GetEntries(); len(es) > 0 {
			e.First, e.Last = es[0].GetIndex(), es[len(es)-1].GetIndex()
		}
	case *rafterpb.RaftMessage_AppendEntriesReply:
		e.Msg, e.Success, e.Last = "append_entries_reply", b.AppendEntriesReply.GetSuccess(), b.AppendEntriesReply.GetIndex()
	case *rafterpb.RaftMessage_TimeoutNow:
		e.Msg = "timeout_now"
	case *rafterpb.RaftMessage_InstallSnapshot:
		e.Msg, e.Last = "install_snapshot", b.InstallSnapshot.GetLastIncludedIndex()
	case *rafterpb.RaftMessage_InstallSnapshotReply:
		// Success only for the answer that reports the snapshot
		// installed: the follower then holds Last (a chunk's answer says
		// nothing of the log).
		r := b.InstallSnapshotReply
		e.Msg, e.Last, e.Success = "install_snapshot_reply", r.GetLastIncludedIndex(), r.GetSuccess() && r.GetDone()
	}
}
