package consensus

import (
	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/internal/hoptrace"
	"github.com/rafter-go/rafter/rafterpb"
)

// The hops of sampled writes (internal/hoptrace, examples/bench -trace).
// Each call site loads the recorder first (one atomic load when tracing is
// off) and calls these only with one installed. A trace is keyed by log
// index and stamped with the peer's name.

// traceProposal opens a trace if this proposal is sampled; received is
// when the request was taken, lastBefore the log's last index before
// Propose (the core appended nothing if it is unchanged: not the leader).
func (a *consensusActor) traceProposal(r *hoptrace.Recorder, received int64, lastBefore uint64) {
	if last := a.core.Status().LastIndex; last > lastBefore {
		r.Begin(a.opts.Self.GetName(), last, received)
	}
}

// traceReady stamps a Ready about to run: its write leaving for the log
// server and the commit index it was built with.
func (a *consensusActor) traceReady(r *hoptrace.Recorder, rd *core.Ready) {
	me := a.opts.Self.GetName()
	if n := len(rd.Entries); n > 0 {
		r.Mark(me, hoptrace.ReadyOut, rd.Entries[0].GetIndex(), rd.Entries[n-1].GetIndex())
	}
	r.Upto(me, hoptrace.Committed, rd.Commit)
}

// traceApplied stamps the entries a Ready has just applied.
func (a *consensusActor) traceApplied(r *hoptrace.Recorder, committed []core.Committed) {
	if n := len(committed); n > 0 {
		r.Mark(a.opts.Self.GetName(), hoptrace.Applied, committed[0].Entry.GetIndex(), committed[n-1].Entry.GetIndex())
	}
}

// traceMessage stamps an AppendEntries sent or received (hop
// AppendSent or Received) and a success reply received.
func (a *consensusActor) traceMessage(r *hoptrace.Recorder, h hoptrace.Hop, m *rafterpb.RaftMessage) {
	me := a.opts.Self.GetName()
	if ae := m.GetAppendEntries(); ae != nil {
		if es := ae.GetEntries(); len(es) > 0 {
			r.Mark(me, h, es[0].GetIndex(), es[len(es)-1].GetIndex())
		}
		return
	}
	if rep := m.GetAppendEntriesReply(); rep != nil && rep.GetSuccess() && h == hoptrace.Received {
		r.Ack(me, m.GetFrom().GetName(), rep.GetIndex())
	}
}
