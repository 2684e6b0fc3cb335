package consensus

import (
	protoactor "github.com/asynkron/protoactor-go/actor"
)

// flush is the marker the actor sends itself to run the core's Ready.
//
// Batching per mailbox drain: instead of a Ready after every message, the
// first message that gives the core something to say queues one flush
// behind every message already in the mailbox. The proposals, peer messages
// and acknowledgements that arrived meanwhile are stepped first and then
// leave in one Ready: one LogWrite and one AppendEntries per follower for
// all of them. With an empty mailbox the flush is the very next message, so
// a lone request waits for nothing. The log server's syncNow does the same
// for fsync; etcd-io/raft's Ready likewise carries everything stepped since
// the previous one.
//
// gen is the incarnation that queued it: a marker sent just before a
// restart may reach the re-spawned instance (see incarnations), which drops
// it.
type flush struct{ gen uint64 }

// scheduleFlush queues a flush if the core has something to say and none is
// queued yet.
func (a *consensusActor) scheduleFlush(ctx protoactor.Context) {
	if a.flushQueued || !a.core.HasReady() {
		return
	}
	if a.flushMsg == nil { // one immutable marker per incarnation
		a.flushMsg = &flush{gen: a.incarnation}
	}
	a.flushQueued = true
	ctx.Send(a.self, a.flushMsg)
}

// onFlush runs the Ready the queued flush stands for.
func (a *consensusActor) onFlush(ctx protoactor.Context, f *flush) {
	if f.gen != a.incarnation {
		return
	}
	a.flushQueued = false
	a.drain(ctx)
}
