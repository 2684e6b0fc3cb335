package consensus

import (
	"fmt"

	protoactor "github.com/asynkron/protoactor-go/actor"

	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/rafterpb"
)

// heldMessages are a Ready's MessagesAfterPersist, waiting for the LogWritten
// of the write with sequence number seq.
type heldMessages struct {
	seq  uint64
	msgs []*rafterpb.RaftMessage
}

// execute runs one Ready in the order core/api.go fixes.
func (a *consensusActor) execute(ctx protoactor.Context, rd core.Ready) {
	// 1. One write to the log server. A Ready with messages that must wait
	// for durability but nothing to write still gets an (empty) write: the
	// log server acknowledges writes in order, so its LogWritten tells that
	// everything before it is durable too (Raft §5.1: persist before
	// responding; thesis §10.2.1 for the leader writing in parallel).
	if rd.Meta != nil || len(rd.Entries) > 0 || len(rd.MessagesAfterPersist) > 0 {
		a.writeSeq++
		ctx.Request(a.opts.Log, &rafterpb.LogWrite{Seq: a.writeSeq, Meta: rd.Meta, Entries: rd.Entries})
		if len(rd.MessagesAfterPersist) > 0 {
			a.held = append(a.held, heldMessages{seq: a.writeSeq, msgs: rd.MessagesAfterPersist})
		}
	}
	// 2. Messages that do not depend on the write leave now.
	for _, m := range rd.Messages {
		a.sendPeer(ctx, m)
	}
	// 3. Apply, 4. release reads, 5. deliver results.
	a.applyCommitted(ctx, rd.Committed)
	a.reads = append(a.reads, rd.Reads...)
	a.releaseReads(ctx)
	for _, r := range rd.Results {
		a.deliverResult(ctx, r)
	}
}

// onLogWritten feeds the log server's durability acknowledgement back to the
// core and releases the messages that waited for it.
func (a *consensusActor) onLogWritten(ctx protoactor.Context, m *rafterpb.LogWritten) {
	if m.GetError() != nil {
		// The disk refused a write the core counts on: an invariant break.
		// Panic so the supervisor restarts the pair from what is on disk.
		panic(fmt.Errorf("%w: seq %d: %s", ErrLogWrite, m.GetSeq(), m.GetError().GetMessage()))
	}
	if m.GetSeq()>>32 != a.incarnation {
		a.logger.Debug("consensus: dropped the ack of a previous incarnation's write", "seq", m.GetSeq())
		return
	}
	a.core.Persisted(m.GetLastIndex(), m.GetLastTerm())
	n := 0
	for _, h := range a.held {
		if h.seq > m.GetSeq() {
			break
		}
		for _, msg := range h.msgs {
			a.sendPeer(ctx, msg)
		}
		n++
	}
	a.held = a.held[n:]
}

// applyCommitted applies OP entries to the state machine in index order and
// answers the requests that proposed them. NOOP and CONFIG entries advance the
// applied index but are not given to the state machine.
func (a *consensusActor) applyCommitted(ctx protoactor.Context, committed []core.Committed) {
	if len(committed) == 0 {
		return
	}
	for _, c := range committed {
		e := c.Entry
		if e.GetIndex() <= a.applied {
			continue // already applied (a replay after a core restart)
		}
		if e.GetIndex() != a.applied+1 {
			panic(fmt.Sprintf("consensus: committed entry %d follows applied index %d", e.GetIndex(), a.applied))
		}
		var result []byte
		var applyErr error
		if e.GetType() == rafterpb.EntryType_ENTRY_TYPE_OP {
			result, applyErr = a.sm.Apply(e.GetIndex(), e.GetCmd())
		}
		a.applied = e.GetIndex()
		if c.ID != 0 {
			a.answerApplied(ctx, c.ID, e, result, applyErr)
		}
	}
	if a.applied > a.commitFloor {
		// The log server must never truncate below a committed index.
		a.commitFloor = a.applied
		ctx.Send(a.opts.Log, &rafterpb.LogSetCommitFloor{Index: a.commitFloor})
	}
}

// answerApplied answers the Op that proposed entry e.
func (a *consensusActor) answerApplied(ctx protoactor.Context, id core.RequestID, e *rafterpb.Entry, result []byte, applyErr error) {
	p, ok := a.pending[id]
	if !ok {
		return
	}
	if _, isOp := p.req.(*rafterpb.OpRequest); !isOp {
		return // a SetConfig ends with a Result once its configuration is stable
	}
	delete(a.pending, id)
	reply := &rafterpb.OpReply{Result: result, Index: e.GetIndex()}
	if applyErr != nil {
		reply.ApplyError = applyErr.Error()
	}
	a.reply(ctx, p.sender, reply)
}

// releaseReads answers the released reads whose index the state machine has
// applied, in release order.
func (a *consensusActor) releaseReads(ctx protoactor.Context) {
	n := 0
	for _, rs := range a.reads {
		if rs.Index > a.applied {
			break
		}
		n++
		p, ok := a.pending[rs.ID]
		if !ok {
			continue
		}
		delete(a.pending, rs.ID)
		req, isRead := p.req.(*rafterpb.ReadOpRequest)
		if !isRead {
			a.logger.Error("consensus: read released for a request that is not a read", "id", rs.ID)
			continue
		}
		result, err := a.sm.Read(req.GetQuery())
		reply := &rafterpb.ReadOpReply{Result: result}
		if err != nil {
			reply.ReadError = err.Error()
		}
		a.reply(ctx, p.sender, reply)
	}
	a.reads = a.reads[n:]
}
