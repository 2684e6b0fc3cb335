package core

// pendingRead is a ReadIndex read waiting on the leader (Raft §8, thesis
// §6.4).
type pendingRead struct {
	id RequestID
	// index is the read index: the commit index when the read arrived, or,
	// if the leader had not yet committed an entry of its term, the commit
	// index once it has (until then an earlier leader may have committed
	// more than we know).
	index    uint64
	indexSet bool
	// clock is the send_clock round that must be echoed by a quorum: a
	// round that started after the read arrived.
	clock uint64
}

// Read asks for a linearizable read. The answer is a ReadState in a later
// Ready (or a Result with an error).
func (c *Core) Read(id RequestID) {
	if c.role != Leader {
		c.refuse(id)
		return
	}
	r := pendingRead{id: id, clock: c.leading.sendClock + 1}
	if c.leading.termCommitted {
		r.index, r.indexSet = c.commit, true
	}
	c.leading.reads = append(c.leading.reads, r)
}

// assignReadIndexes gives a read index to the reads that arrived before the
// leader's first commit of its term. rafter-divergence: rafter answers reads
// as soon as the send_clock round is confirmed, which can return stale data
// from a leader elected a moment ago.
func (c *Core) assignReadIndexes() {
	for i := range c.leading.reads {
		if !c.leading.reads[i].indexSet {
			c.leading.reads[i].index, c.leading.reads[i].indexSet = c.commit, true
		}
	}
}

// needReadRound: some read waits for a send_clock round not started yet. All
// reads that arrive before the next Ready share that one round.
func (c *Core) needReadRound() bool {
	n := len(c.leading.reads)
	return n > 0 && c.leading.reads[n-1].clock > c.leading.sendClock
}

// confirmedClock is the highest send_clock echoed by a quorum (rafter:
// maybe_send_read_replies/1 with quorum_max over send_clock_responses).
func (c *Core) confirmedClock() uint64 {
	return c.quorumMax(c.leading.sendClock, clockOf)
}

func clockOf(pr *progress) uint64 { return pr.clock }

// releaseReads hands out the reads that may be answered now
// (readsReleasable).
func (c *Core) releaseReads() []ReadState {
	n := c.readsReleasable()
	if n == 0 {
		return nil
	}
	out := make([]ReadState, n)
	for i, r := range c.leading.reads[:n] {
		out[i] = ReadState{ID: r.id, Index: r.index}
	}
	rest := copy(c.leading.reads, c.leading.reads[n:])
	clear(c.leading.reads[rest:])
	c.leading.reads = c.leading.reads[:rest]
	return out
}

// readsReleasable counts the reads, from the oldest, that may be answered:
// leadership confirmed by a quorum round that started after the read, an
// entry of the current term committed, and the read index applied by the
// shell (Advance). Reads queue in arrival order, and both their rounds and
// their indexes never decrease along the queue, so the releasable ones are
// a prefix.
func (c *Core) readsReleasable() int {
	if len(c.leading.reads) == 0 || !c.leading.termCommitted {
		return 0
	}
	clock := c.confirmedClock()
	for i, r := range c.leading.reads {
		if r.clock > clock || r.index > c.applied {
			return i
		}
	}
	return len(c.leading.reads)
}
