package core

import (
	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/rafterpb"
)

// Tick advances the logical clock by one tick.
func (c *Core) Tick() {
	defer c.settleTransferWait(true)
	c.snaps.ticks++
	if c.role == Leader {
		c.tickLeader()
		return
	}
	c.electionElapsed++
	if c.electionElapsed >= c.randomizedTimeout && c.promotable() {
		c.campaign()
	}
}

// promotable: only a voter of the latest configuration stands for election.
// rafter: follower(timeout, ...) checks rafter_config:has_vote/2. A peer
// whose log server is installing a snapshot waits for it: as a leader it
// would append to a log about to be reset.
func (c *Core) promotable() bool {
	return config.HasVote(c.id, c.members) && c.snaps.installing == 0
}

func (c *Core) resetElectionTimer() {
	c.electionElapsed = 0
	// Raft §5.2: randomized timeouts in [ElectionTicks, ElectionTicksMax)
	// (checkOptions made a zero ElectionTicksMax 2*ElectionTicks, so the
	// draws of older configurations are unchanged).
	c.randomizedTimeout = c.opts.ElectionTicks + c.rand.IntN(c.opts.ElectionTicksMax-c.opts.ElectionTicks)
}

// campaign starts an election, through a pre-vote round when PreVote is on
// (Raft thesis §9.6).
func (c *Core) campaign() {
	if c.opts.PreVote {
		c.becomePreCandidate()
	} else {
		c.becomeCandidate()
	}
}

// becomeFollower moves to term (never back) as a follower of lead (nil:
// unknown). A leader stepping down fails its pending requests.
func (c *Core) becomeFollower(term uint64, lead *rafterpb.Peer) {
	if c.role == Leader {
		c.abortLeadership(ErrLeadershipLost)
	}
	c.setTerm(term)
	c.role = Follower
	c.leader = lead
	if c.removed() {
		c.leader = nil // removed means removed (refreshConfig)
	}
	c.votes = nil
	c.transferCampaign = false
	c.resetElectionTimer()
}

func (c *Core) becomePreCandidate() {
	if c.role == Leader {
		panic("core: leader becoming pre-candidate")
	}
	// A pre-vote changes neither term nor vote: the request carries term+1.
	c.role = PreCandidate
	c.leader = nil
	c.votes = map[string]bool{c.idKey: true}
	c.resetElectionTimer()
	if config.Quorum(c.id, c.members, c.votes) {
		c.becomeCandidate()
		return
	}
	c.requestVotes(true)
}

func (c *Core) becomeCandidate() {
	if c.role == Leader {
		panic("core: leader becoming candidate")
	}
	// Raft §5.2; rafter: become_candidate/1. Term and vote reach the Ready's
	// Meta, so the RequestVotes leave only once they are durable.
	c.setTerm(c.term + 1)
	c.vote(c.id)
	c.role = Candidate
	c.leader = nil
	c.votes = map[string]bool{c.idKey: true}
	c.resetElectionTimer()
	if config.Quorum(c.id, c.members, c.votes) {
		c.becomeLeader()
		return
	}
	c.requestVotes(false)
}

func (c *Core) requestVotes(pre bool) {
	term := c.term
	if pre {
		term++
	}
	for _, p := range config.Voters(c.members) {
		if c.isMe(p) {
			continue
		}
		m := c.newMessage(p)
		m.Term = term
		m.Body = &rafterpb.RaftMessage_RequestVote{RequestVote: &rafterpb.RequestVote{
			LastLogIndex: c.log.lastIndex(),
			LastLogTerm:  c.log.lastTerm(),
			PreVote:      pre,
			Transfer:     !pre && c.transferCampaign,
		}}
		c.send(m, false)
	}
}

// inLease reports whether a RequestVote must be ignored because this peer
// heard from a live leader less than an election timeout ago: Raft thesis
// §4.2.3 (disruptive servers). Pre-votes are checked when PreVote is on
// (thesis §9.6), real votes when CheckQuorum is on (as etcd-io/raft does).
// A leadership transfer bypasses the lease.
func (c *Core) inLease(rv *rafterpb.RequestVote) bool {
	if rv.GetTransfer() || c.leader == nil || c.electionElapsed >= c.opts.ElectionTicks {
		return false
	}
	if rv.GetPreVote() {
		return c.opts.PreVote
	}
	return c.opts.CheckQuorum
}

// handleRequestVote answers a (pre-)vote in any role. Raft §5.2 and §5.4.1;
// rafter: vote/2.
func (c *Core) handleRequestVote(m *rafterpb.RaftMessage) {
	rv := m.GetRequestVote()
	canVote := config.SamePeer(c.votedFor, m.GetFrom()) ||
		(c.votedFor == nil && c.leader == nil) ||
		(rv.GetPreVote() && m.GetTerm() > c.term)
	grant := canVote && c.log.upToDate(rv.GetLastLogIndex(), rv.GetLastLogTerm())
	reply := c.newMessage(m.GetFrom())
	reply.Body = &rafterpb.RaftMessage_Vote{Vote: &rafterpb.Vote{Granted: grant, PreVote: rv.GetPreVote()}}
	if rv.GetPreVote() {
		if grant {
			// The granted pre-vote echoes the future term it was asked for.
			reply.Term = m.GetTerm()
		}
		c.send(reply, false)
		return
	}
	if grant {
		c.vote(m.GetFrom())
		c.resetElectionTimer()
	}
	c.send(reply, grant)
}

// handleVote counts a (pre-)vote answer of the running election.
func (c *Core) handleVote(m *rafterpb.RaftMessage) {
	v := m.GetVote()
	if v.GetPreVote() != (c.role == PreCandidate) {
		return // an answer to an earlier round
	}
	c.votes[config.PeerKey(m.GetFrom())] = v.GetGranted()
	if config.Quorum(c.id, c.members, c.votes) {
		if c.role == PreCandidate {
			c.becomeCandidate()
		} else {
			c.becomeLeader()
		}
		return
	}
	// Give up early once the refusals make a quorum impossible.
	possible := make(map[string]bool, len(c.votes))
	for _, p := range config.Voters(c.members) {
		k := config.PeerKey(p)
		g, ok := c.votes[k]
		possible[k] = !ok || g
	}
	if !config.Quorum(c.id, c.members, possible) {
		c.becomeFollower(c.term, nil)
	}
}
