package core

import (
	"maps"
	"slices"

	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/rafterpb"
)

// leadingState is what only a leader keeps; it is reset by becomeLeader and
// dropped by abortLeadership.
type leadingState struct {
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
	// transfer is the leadership transfer in progress (transfer.go).
	transfer *transferState
	// stagingTicks counts this leader's ticks in a staging configuration,
	// from the staging entry it appended or from its election
	// (advanceStaging).
	stagingTicks int
}

type configRequest struct {
	id    RequestID
	index uint64 // index of the final stable entry; 0 until appended
	// err ends the request when that entry commits: ErrCatchUpTimeout
	// for the stable entry that gives a staging change up.
	err error
}

// becomeLeader: Raft §5.2; rafter: become_leader/1. The leader appends a
// no-op (Raft §8), or, when elected to log an initial configuration, that
// configuration (rafter: leader(timeout, #state{init_config=[Id, From]})).
func (c *Core) becomeLeader() {
	if c.role != Candidate {
		panic("core: only a candidate becomes leader")
	}
	clock := c.leading.sendClock
	c.role = Leader
	c.leader = c.id
	c.votes = nil
	c.transferCampaign = false
	c.leading = leadingState{
		progress:  make(map[string]*progress),
		proposals: make(map[uint64]RequestID),
		sendClock: clock,
	}
	c.electionElapsed, c.heartbeatElapsed = 0, 0
	c.refreshProgress()
	if init := c.pendingInit; init != nil {
		c.pendingInit = nil
		idx := c.appendEntry(&rafterpb.Entry{Type: rafterpb.EntryType_ENTRY_TYPE_CONFIG, Config: init.conf})
		c.leading.configReq = &configRequest{id: init.id, index: idx}
		return
	}
	c.appendEntry(&rafterpb.Entry{Type: rafterpb.EntryType_ENTRY_TYPE_NOOP})
}

// setOrder recomputes order and prs after progress changed, and makes
// scratch large enough for any server list of the configuration (the
// voters are among the followers and the leader).
func (c *Core) setOrder() {
	c.leading.order = slices.Sorted(maps.Keys(c.leading.progress))
	c.leading.prs = c.leading.prs[:0]
	for _, k := range c.leading.order {
		c.leading.prs = append(c.leading.prs, c.leading.progress[k])
	}
	if n := len(c.leading.prs) + 1; cap(c.leading.scratch) < n {
		c.leading.scratch = make([]uint64, 0, n)
	}
}

// quorumMax is the largest value that a quorum of the configuration holds,
// the leader's own being mine and each follower's of(progress).
func (c *Core) quorumMax(mine uint64, of func(*progress) uint64) uint64 {
	return config.QuorumMaxFunc(c.id, c.members, func(p *rafterpb.Peer) (uint64, bool) {
		if c.isMe(p) {
			return mine, true
		}
		for _, pr := range c.leading.prs {
			if config.SamePeer(pr.peer, p) {
				return of(pr), true
			}
		}
		return 0, false
	}, c.leading.scratch)
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

// abortLeadership fails everything pending on this leader with err,
// ErrLeadershipLost or ErrPeersNotResponding (the outcome of a proposal is
// unknown: its entry may still commit under the next leader). It leaves
// nothing pending, so a second call does nothing.
func (c *Core) abortLeadership(err error) {
	for _, idx := range slices.Sorted(maps.Keys(c.leading.proposals)) {
		c.results = append(c.results, Result{ID: c.leading.proposals[idx], Err: err, Index: idx})
	}
	for _, r := range c.leading.reads {
		c.results = append(c.results, Result{ID: r.id, Err: err})
	}
	if r := c.leading.configReq; r != nil {
		c.results = append(c.results, Result{ID: r.id, Err: err, Index: r.index})
	}
	if t := c.leading.transfer; t != nil {
		// Stepping down is what a transfer leads to: the request ends
		// when this peer learns who leads now.
		c.transferWait = &transferWait{id: t.id, to: t.to}
	}
	c.leading = leadingState{sendClock: c.leading.sendClock}
}

// tickLeader sends heartbeats and runs CheckQuorum (Raft thesis §6.2).
func (c *Core) tickLeader() {
	c.heartbeatElapsed++
	c.electionElapsed++
	if c.electionElapsed >= c.opts.ElectionTicks {
		c.electionElapsed = 0
		if c.opts.CheckQuorum && !c.quorumActive() {
			c.abortLeadership(ErrPeersNotResponding)
			c.becomeFollower(c.term, nil)
			return
		}
		c.forgetSilentLeavers()
		for _, pr := range c.leading.progress {
			pr.recentActive = false
		}
	}
	if c.heartbeatElapsed >= c.opts.HeartbeatTicks {
		c.heartbeatElapsed = 0
		c.broadcastHeartbeat()
	}
	c.tickTransfer()
	c.tickStaging()
}

func (c *Core) quorumActive() bool {
	active := map[string]bool{c.idKey: true}
	for k, pr := range c.leading.progress {
		active[k] = pr.recentActive
	}
	return config.Quorum(c.id, c.members, active)
}
