package core

import (
	"fmt"

	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/rafterpb"
)

// Leadership transfer, Raft thesis §3.10. The leader stops taking
// proposals and configuration changes (ErrTransferInProgress), brings the
// target's log up to its own last index, then sends it TimeoutNow; the
// target campaigns at once, skipping PreVote, and its RequestVote carries
// transfer so that voters ignore their leader lease. The request ends when
// this peer sees the target lead, or with ErrTransferFailed after an
// election timeout (the leader then takes proposals again) or when another
// peer leads. rafter-divergence: rafter has no transfer.

// transferState is the leader's transfer in progress.
type transferState struct {
	id      RequestID
	to      *rafterpb.Peer
	elapsed int // ticks since it started
}

// transferWait is a transfer whose leader stepped down (the target's
// campaign reached it): the request ends once this peer learns who leads.
type transferWait struct {
	id      RequestID
	to      *rafterpb.Peer
	elapsed int
}

// TransferLeadership asks the leader to hand its leadership to to (nil or
// unnamed: the voter whose log is the most up to date). A non-leader
// answers as for Propose (the shell forwards to the leader); to == the
// leader itself succeeds at once. The Result comes later.
func (c *Core) TransferLeadership(id RequestID, to *rafterpb.Peer) {
	if !c.leaderTakes(id) {
		return
	}
	if to.GetName() == "" {
		to = c.bestTransferee()
		if to == nil {
			c.fail(id, fmt.Errorf("%w: no other voter to transfer leadership to", ErrInvalidArgument))
			return
		}
	}
	if c.isMe(to) {
		c.results = append(c.results, Result{ID: id})
		return
	}
	pr := c.leading.progress[config.PeerKey(to)]
	if pr == nil || pr.leaving || !config.HasVote(to, c.members) {
		c.fail(id, fmt.Errorf("%w: %s is not a voter of the configuration", ErrInvalidArgument, config.PeerKey(to)))
		return
	}
	c.leading.transfer = &transferState{id: id, to: pr.peer}
	c.maybeTimeoutNow(pr)
}

// bestTransferee is the voter other than this leader with the highest
// match index (the first in the deterministic order on a tie), or nil.
func (c *Core) bestTransferee() *rafterpb.Peer {
	var best *progress
	for _, pr := range c.leading.prs {
		if pr.leaving || !config.HasVote(pr.peer, c.members) {
			continue
		}
		if best == nil || pr.match > best.match {
			best = pr
		}
	}
	if best == nil {
		return nil
	}
	return best.peer
}

// maybeTimeoutNow sends TimeoutNow to the transfer's target once its log
// matches the leader's last index. Called when the transfer starts, on
// every success reply of the target and on every heartbeat (a lost
// TimeoutNow is sent again; the target campaigns only once per term).
func (c *Core) maybeTimeoutNow(pr *progress) {
	t := c.leading.transfer
	if t == nil || !config.SamePeer(t.to, pr.peer) || pr.match != c.log.lastIndex() {
		return
	}
	c.sendTimeoutNow(pr.peer)
}

func (c *Core) sendTimeoutNow(to *rafterpb.Peer) {
	m := c.newMessage(to)
	m.Body = &rafterpb.RaftMessage_TimeoutNow{TimeoutNow: &rafterpb.TimeoutNow{}}
	c.send(m, false)
}

// tickTransfer gives up a transfer that has not ended within an election
// timeout: the leader takes proposals again.
func (c *Core) tickTransfer() {
	t := c.leading.transfer
	if t == nil {
		return
	}
	t.elapsed++
	if t.elapsed >= c.opts.ElectionTicks {
		c.fail(t.id, fmt.Errorf("%w: %s did not take over within an election timeout", ErrTransferFailed, config.PeerKey(t.to)))
		c.leading.transfer = nil
		return
	}
	if pr := c.leading.progress[config.PeerKey(t.to)]; pr != nil && c.heartbeatElapsed == 0 {
		c.maybeTimeoutNow(pr)
	}
}

// handleTimeoutNow: the leader of this term asks this peer to campaign now.
// A peer without a vote, or one that already left this term's follower
// role, ignores it.
func (c *Core) handleTimeoutNow(m *rafterpb.RaftMessage) {
	if c.role != Follower || !c.promotable() || (c.leader != nil && !config.SamePeer(c.leader, m.GetFrom())) {
		return
	}
	c.transferCampaign = true
	c.becomeCandidate()
}

// settleTransferWait ends a transfer whose leader stepped down, once this
// peer learns who leads: success if it is the target, ErrTransferFailed if
// another peer (possibly this one again) leads or no leader shows up
// within two election timeouts.
func (c *Core) settleTransferWait(ticked bool) {
	w := c.transferWait
	if w == nil {
		return
	}
	if ticked {
		w.elapsed++
	}
	switch {
	case c.leader != nil && config.SamePeer(c.leader, w.to):
		c.results = append(c.results, Result{ID: w.id})
	case c.leader != nil:
		c.fail(w.id, fmt.Errorf("%w: %s leads instead of %s", ErrTransferFailed,
			config.PeerKey(c.leader), config.PeerKey(w.to)))
	case w.elapsed >= 2*c.opts.ElectionTicks:
		c.fail(w.id, fmt.Errorf("%w: no leader within two election timeouts", ErrTransferFailed))
	default:
		return
	}
	c.transferWait = nil
}
