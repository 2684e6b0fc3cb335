package core

import "github.com/rafter-go/rafter/rafterpb"

// Inflight calls fn for each follower a leader replicates to, in send order,
// with the number of AppendEntries sent to it and not yet answered: the
// window in replicate mode, 1 or 0 in probe mode. It does nothing on a
// peer that is not leader. Metrics sample it (package metrics); it changes
// nothing.
func (c *Core) Inflight(fn func(follower *rafterpb.Peer, n int)) {
	if c.role != Leader {
		return
	}
	for _, pr := range c.leading.prs {
		n := pr.inflight.count
		if pr.state == probe && pr.paused {
			n = 1
		}
		fn(pr.peer, n)
	}
}
