package core

import "github.com/rafter-go/rafter/rafterpb"

// progressState is how the leader replicates to one follower (the design of
// etcd-io/raft's tracker).
type progressState int

const (
	// probe: the leader does not know where the follower's log matches; it
	// sends one AppendEntries at a time and waits for the answer.
	probe progressState = iota
	// replicate: the follower matched; the leader streams AppendEntries
	// optimistically, at most MaxInflight unanswered at once.
	replicate
	// snapshot: the follower needs entries the leader has compacted; the
	// leader streams it its snapshot file in chunks (snapshot.go).
	snapshot
)

// progress is the leader's view of one follower. rafter keeps only
// next_index per follower (the followers dict) and moves it by one.
type progress struct {
	peer  *rafterpb.Peer
	match uint64 // highest index known to match the leader's log
	// matchClock is the send_clock echoed by the success that last raised
	// match: a rejection at or below match from a later round means the
	// follower lost entries (followerLostEntries).
	matchClock uint64
	next       uint64 // next index to send
	state      progressState
	// paused: in probe, an AppendEntries is out and unanswered.
	paused   bool
	inflight inflights
	// recentActive: heard from the follower since the last CheckQuorum round.
	recentActive bool
	// progressed: match advanced since the last heartbeat (stall detection
	// in replicate mode: lost messages leave the window full).
	progressed bool
	// leaving: the latest configuration removed this peer; it is sent
	// entries until it holds that configuration, and never counts.
	leaving bool
	// clock is the highest send_clock the follower echoed in this term.
	clock uint64
	// send is the snapshot transfer in snapshot state.
	send snapshotSend
	// lastSnapshot is the index of the last snapshot this follower
	// finished receiving in this term (0: none, or it has replicated since):
	// needing another one right after is a repeated snapshot.
	lastSnapshot uint64
}

func (pr *progress) becomeProbe() {
	if pr.state == snapshot {
		pr.next = max(pr.next, pr.send.index+1)
		pr.send = snapshotSend{}
	}
	pr.state = probe
	pr.paused = false
	pr.next = max(pr.next, pr.match+1)
	pr.inflight.reset()
}

func (pr *progress) becomeReplicate() {
	pr.send = snapshotSend{}
	pr.state = replicate
	pr.paused = false
	pr.next = pr.match + 1
	pr.inflight.reset()
}

// canSend: the leader may send this follower an AppendEntries with entries
// now (lastIndex is the leader's last index).
func (pr *progress) canSend(lastIndex uint64) bool {
	switch pr.state {
	case probe:
		return !pr.paused
	case snapshot:
		return pr.send.canSend()
	}
	return pr.next <= lastIndex && !pr.inflight.full()
}

// inflights is a ring of the last indexes of unanswered AppendEntries, in
// send order, bounding the pipeline (etcd-io/raft's Inflights idea).
type inflights struct {
	buf   []uint64
	start int
	count int
}

func newInflights(n int) inflights { return inflights{buf: make([]uint64, n)} }

func (in *inflights) full() bool { return in.count == len(in.buf) }

func (in *inflights) add(last uint64) {
	if in.full() {
		panic("core: inflights overflow")
	}
	in.buf[(in.start+in.count)%len(in.buf)] = last
	in.count++
}

// freeTo forgets the messages whose last index is <= index: answered.
func (in *inflights) freeTo(index uint64) {
	for in.count > 0 && in.buf[in.start] <= index {
		in.start = (in.start + 1) % len(in.buf)
		in.count--
	}
}

func (in *inflights) reset() { in.start, in.count = 0, 0 }
