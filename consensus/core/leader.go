package core

import (
	"maps"
	"slices"

	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/rafterpb"
)

// leaderState is what only a leader keeps; it is reset by becomeLeader and
// dropped by abortLeadership.
type leaderState struct {
	progress map[string]*progress // by PeerKey; followers of the latest config
	order    []string             // the keys of progress, sorted: a deterministic send order
	prs      []*progress          // progress[order[i]] for each i (setOrder)
	// scratch is QuorumMaxFunc's working space, so that counting a quorum
	// on every AppendEntries reply does not allocate.
	scratch []uint64
	// proposals maps a log index to the request that proposed it.
	proposals map[uint64]RequestID
	// termCommitted: an entry of the current term is committed, so the
	// commit index is as high as any earlier leader's (needed by reads).
	termCommitted bool
	// sendClock is rafter's send_clock, incremented for every heartbeat
	// round; it never goes back, even across terms.
	sendClock uint64
	reads     []pendingRead
	// configReq is the SetConfig waiting for its final stable entry.
	configReq *configRequest
}

type configRequest struct {
	id    RequestID
	index uint64 // index of the final stable entry; 0 until appended
}

// becomeLeader: Raft §5.2; rafter: become_leader/1. The leader appends a
// no-op (Raft §8), or, when elected to log an initial configuration, that
// configuration (rafter: leader(timeout, #state{init_config=[Id, From]})).
func (c *Core) becomeLeader() {
	if c.role != Candidate {
		panic("core: only a candidate becomes leader")
	}
	clock := c.lead.sendClock
	c.role = Leader
	c.leader = c.id
	c.votes = nil
	c.lead = leaderState{
		progress:  make(map[string]*progress),
		proposals: make(map[uint64]RequestID),
		sendClock: clock,
	}
	c.electionElapsed, c.heartbeatElapsed = 0, 0
	c.refreshProgress()
	if init := c.pendingInit; init != nil {
		c.pendingInit = nil
		idx := c.appendEntry(&rafterpb.Entry{Type: rafterpb.EntryType_ENTRY_TYPE_CONFIG, Config: init.conf})
		c.lead.configReq = &configRequest{id: init.id, index: idx}
		return
	}
	c.appendEntry(&rafterpb.Entry{Type: rafterpb.EntryType_ENTRY_TYPE_NOOP})
}

// refreshProgress makes the progress set the followers of the latest
// configuration (in staging and transitional, the new servers too). A peer
// that the latest configuration removed stays as a leaving follower until it
// holds that configuration entry, so that it learns it has no vote and does
// not campaign (rafter-divergence: rafter simply stops sending to it).
func (c *Core) refreshProgress() {
	want := make(map[string]*rafterpb.Peer)
	for _, p := range config.Followers(c.id, c.conf) {
		want[config.PeerKey(p)] = p
	}
	_, confIdx := c.log.lastConfig()
	for k, pr := range c.lead.progress {
		if want[k] == nil {
			if pr.match >= confIdx {
				delete(c.lead.progress, k)
				continue
			}
			pr.leaving = true
		} else {
			pr.leaving = false
		}
	}
	for k, p := range want {
		if c.lead.progress[k] == nil {
			c.lead.progress[k] = &progress{
				peer:     p,
				next:     c.log.lastIndex() + 1,
				inflight: newInflights(c.cfg.MaxInflight),
				// A new follower counts as active until the first
				// CheckQuorum round has given it a chance to answer.
				recentActive: true,
			}
		}
	}
	c.setOrder()
}

// setOrder recomputes order and prs after progress changed, and makes
// scratch large enough for any server list of the configuration (the
// voters are among the followers and the leader).
func (c *Core) setOrder() {
	c.lead.order = slices.Sorted(maps.Keys(c.lead.progress))
	c.lead.prs = c.lead.prs[:0]
	for _, k := range c.lead.order {
		c.lead.prs = append(c.lead.prs, c.lead.progress[k])
	}
	if n := len(c.lead.prs) + 1; cap(c.lead.scratch) < n {
		c.lead.scratch = make([]uint64, 0, n)
	}
}

// quorumMax is the largest value that a quorum of the configuration holds,
// the leader's own being mine and each follower's of(progress).
func (c *Core) quorumMax(mine uint64, of func(*progress) uint64) uint64 {
	return config.QuorumMaxFunc(c.id, c.conf, func(p *rafterpb.Peer) (uint64, bool) {
		if c.isMe(p) {
			return mine, true
		}
		for _, pr := range c.lead.prs {
			if config.SamePeer(pr.peer, p) {
				return of(pr), true
			}
		}
		return 0, false
	}, c.lead.scratch)
}

// appendEntry appends one entry of the current term to the leader's log and
// returns its index. It is sent on the next Ready.
func (c *Core) appendEntry(e *rafterpb.Entry) uint64 {
	e.Term = c.term
	e.Index = c.log.lastIndex() + 1
	c.log.append(e)
	if e.GetType() == rafterpb.EntryType_ENTRY_TYPE_CONFIG {
		c.refreshConfig()
	}
	// A single voter commits alone, once its own write is durable.
	return e.Index
}

// abortLeadership fails everything pending on this leader with
// ErrLeadershipLost (the outcome of a proposal is unknown: its entry may
// still commit under the next leader).
func (c *Core) abortLeadership() {
	for _, idx := range slices.Sorted(maps.Keys(c.lead.proposals)) {
		c.results = append(c.results, Result{ID: c.lead.proposals[idx], Err: ErrLeadershipLost, Index: idx})
	}
	for _, r := range c.lead.reads {
		c.results = append(c.results, Result{ID: r.id, Err: ErrLeadershipLost})
	}
	if r := c.lead.configReq; r != nil {
		c.results = append(c.results, Result{ID: r.id, Err: ErrLeadershipLost, Index: r.index})
	}
	c.lead = leaderState{sendClock: c.lead.sendClock}
}

// tickLeader sends heartbeats and runs CheckQuorum (Raft thesis §6.2).
func (c *Core) tickLeader() {
	c.heartbeatElapsed++
	c.electionElapsed++
	if c.electionElapsed >= c.cfg.ElectionTicks {
		c.electionElapsed = 0
		if c.cfg.CheckQuorum && !c.quorumActive() {
			c.becomeFollower(c.term, nil)
			return
		}
		c.forgetSilentLeavers()
		for _, pr := range c.lead.progress {
			pr.recentActive = false
		}
	}
	if c.heartbeatElapsed >= c.cfg.HeartbeatTicks {
		c.heartbeatElapsed = 0
		c.broadcastHeartbeat()
	}
}

func (c *Core) quorumActive() bool {
	active := map[string]bool{c.idKey: true}
	for k, pr := range c.lead.progress {
		active[k] = pr.recentActive
	}
	return config.Quorum(c.id, c.conf, active)
}

// forgetSilentLeavers stops sending to removed peers that did not answer for
// a whole election timeout.
func (c *Core) forgetSilentLeavers() {
	changed := false
	for k, pr := range c.lead.progress {
		if pr.leaving && !pr.recentActive {
			delete(c.lead.progress, k)
			changed = true
		}
	}
	if changed {
		c.setOrder()
	}
}
