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
	r := pendingRead{id: id, clock: c.lead.sendClock + 1}
	if c.lead.termCommitted {
		r.index, r.indexSet = c.commit, true
	}
	c.lead.reads = append(c.lead.reads, r)
}

// assignReadIndexes gives a read index to the reads that arrived before the
// leader's first commit of its term. rafter-divergence: rafter answers reads
// as soon as the send_clock round is confirmed, which can return stale data
// from a leader elected a moment ago.
func (c *Core) assignReadIndexes() {
	for i := range c.lead.reads {
		if !c.lead.reads[i].indexSet {
			c.lead.reads[i].index, c.lead.reads[i].indexSet = c.commit, true
		}
	}
}

// needReadRound: some read waits for a send_clock round not started yet. All
// reads that arrive before the next Ready share that one round.
func (c *Core) needReadRound() bool {
	n := len(c.lead.reads)
	return n > 0 && c.lead.reads[n-1].clock > c.lead.sendClock
}

// confirmedClock is the highest send_clock echoed by a quorum (rafter:
// maybe_send_read_replies/1 with quorum_max over send_clock_responses).
func (c *Core) confirmedClock() uint64 {
	return c.quorumMax(c.lead.sendClock, clockOf)
}

func clockOf(pr *progress) uint64 { return pr.clock }

// releaseReads returns the reads that may be answered: leadership confirmed
// by a quorum round that started after the read, an entry of the current
// term committed, and the read index handed to the shell for applying.
func (c *Core) releaseReads() []ReadState {
	if len(c.lead.reads) == 0 || !c.lead.termCommitted {
		return nil
	}
	clock := c.confirmedClock()
	var out []ReadState
	kept := c.lead.reads[:0]
	for _, r := range c.lead.reads {
		if r.clock <= clock && r.index <= c.applied {
			out = append(out, ReadState{ID: r.id, Index: r.index})
		} else {
			kept = append(kept, r)
		}
	}
	clear(c.lead.reads[len(kept):])
	c.lead.reads = kept
	return out
}

func (c *Core) canReleaseReads() bool {
	if len(c.lead.reads) == 0 || !c.lead.termCommitted {
		return false
	}
	r := c.lead.reads[0]
	return r.clock <= c.confirmedClock() && r.index <= c.commit
}
