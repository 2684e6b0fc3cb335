package sim

import (
	"container/heap"

	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/rafterpb"
)

type eventKind int

const (
	evTick eventKind = iota
	evDeliver
	evFsync   // a write becomes durable (and, normally, acknowledged)
	evAck     // Faults.AckBeforeDurable: the early acknowledgement
	evClient  // a client starts or resends a request
	evTimeout // a client gives up on an attempt
	evCrash
	evRestart
	evPartition
	evHeal
	evConfig      // the admin client's next membership change
	evEnd         // chaos ends: heal, restart everyone, settle
	evSnapSaved   // a snapshot save completes (or fails)
	evInstall     // the log server takes an install chunk
	evInstallDone // the log reset after an installed snapshot
)

var eventNames = [...]string{"tick", "deliver", "fsync", "ack", "client", "timeout",
	"crash", "restart", "partition", "heal", "config", "end", "snapsaved", "install", "installdone"}

func (k eventKind) String() string { return eventNames[k] }

// event is one scheduled happening. Events run in (at, seq) order, so the
// schedule is a pure function of the seed.
type event struct {
	at    int64
	seq   uint64
	kind  eventKind
	node  int    // target peer (tick, deliver, fsync, ack, crash, restart)
	inc   int    // the target's incarnation when scheduled (tick, fsync, ack)
	wseq  uint64 // the write (fsync, ack)
	msg   *rafterpb.RaftMessage
	cl    int                // client (client, timeout)
	req   uint64             // the attempt (timeout)
	err   error              // a save refused at once (snapsaved)
	chunk *core.InstallChunk // (install, installdone)
	reply *core.InstallReply // (installdone)
}

type eventQueue []*event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(*event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return e
}

func (w *World) schedule(e *event) {
	w.evSeq++
	e.seq = w.evSeq
	heap.Push(&w.queue, e)
}

func (w *World) after(d int64, e *event) {
	e.at = w.now + d
	w.schedule(e)
}
