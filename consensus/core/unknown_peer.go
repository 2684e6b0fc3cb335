package core

import (
	"fmt"

	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/rafterpb"
)

// checkSender refuses, before anything changes, a message from a peer that
// this peer's latest configuration does not list (issue 7: "a message from a
// System not in the configuration arrives: ignored and logged"). Answering
// such a peer's RequestVote told it the members' term, and a stranger with a
// higher term made a member step down. The error wraps ErrUnknownPeer; the
// core sends nothing and changes nothing. rafter-divergence: rafter answers
// any sender.
//
// What is filtered, and why not more:
//
//   - A blank peer (no configuration entry in its log; a pending initial
//     configuration does not count) filters nothing: blank peers vote for
//     the candidate that logs the initial configuration, which they cannot
//     know yet.
//   - AppendEntries are never filtered (nor TimeoutNow and InstallSnapshot
//     once they are handled): a member whose configuration lags legitimately
//     hears from a leader that its stale configuration does not list yet (a
//     server added by a change it has not received), and only that leader
//     can bring it up to date. Raft thesis §4.2.3 protects against
//     disruptive servers through RequestVote only, for the same reason;
//     etcd-io/raft and hashicorp/raft likewise accept a leader's appends
//     whatever their own configuration says.
//   - A Vote is dropped: this peer asked only the voters of its latest
//     configuration, so an answer from anyone else is stale or stray and
//     counts toward no quorum.
//   - An AppendEntriesReply is dropped, except on a leader that still
//     tracks the sender (a removed peer kept as leaving until it holds the
//     configuration that removes it, see refreshProgress): the leader sent
//     it entries and needs its answers to stop tracking it.
//   - A RequestVote (pre or real) is dropped only when the candidate's log
//     is not at least as up to date as ours (Raft §5.4.1), that is, when we
//     would refuse the vote anyway; see the liveness note below.
//
// Liveness. Dropping every unknown candidate's RequestVote can stop
// elections for good. Grow {a,b,c} to {a,b,c,d,e} while c is partitioned:
// the transitional entry commits on a, b (old majority) and a, b, d (new
// majority), the final stable entry on a, d, e. Then a and b crash and c
// returns. c, d, e are a majority of the committed configuration, so Raft
// must elect one of them. But c's latest configuration is still {a,b,c}: if
// c dropped d's and e's requests, d and e could never collect three votes,
// and c cannot win with a and b gone — no leader, ever, and nobody left to
// send c the entries that would list d and e. Restricting the rule to
// "peers in no configuration of the member's log" does not help: c's log
// holds no configuration naming d or e. The argument "a member lagging
// behind the candidate's configuration does not matter" is wrong precisely
// because a committed configuration needs only a majority of its own
// servers, so a lagging member may be part of every remaining majority.
//
// What holds instead: a member grants a vote only to a candidate whose log
// is at least as up to date as its own, so dropping the requests it would
// refuse anyway removes no vote that any election could have used; every
// election that could succeed without the filter succeeds with it. The
// candidate in the example has a longer log than c and is served normally.
// What the filter takes away is the side effect of a refused request: the
// reply that reveals the term, and the newer term that would make the
// member step down (the disruptive server of thesis §4.2.3, which is
// either a stranger, typically blank with an empty log, or a removed server
// that lacks the entry removing it). A stranger with a longer log than a
// member's is answered; such a log would belong to another cluster whose
// members share names with ours, which the core cannot tell apart.
func (c *Core) checkSender(m *rafterpb.RaftMessage) error {
	if conf, _ := c.log.lastConfig(); conf == nil {
		return nil
	}
	from := m.GetFrom()
	if config.Contains(c.members.GetOldServers(), from) || config.Contains(c.members.GetNewServers(), from) ||
		config.Contains(c.members.GetLearners(), from) {
		return nil
	}
	var kind string
	switch b := m.GetBody().(type) {
	case *rafterpb.RaftMessage_RequestVote:
		if c.log.upToDate(b.RequestVote.GetLastLogIndex(), b.RequestVote.GetLastLogTerm()) {
			return nil
		}
		kind = "request_vote"
		if b.RequestVote.GetPreVote() {
			kind = "pre_vote request"
		}
	case *rafterpb.RaftMessage_Vote:
		kind = "vote"
	case *rafterpb.RaftMessage_AppendEntriesReply:
		if c.role == Leader && c.leading.progress[config.PeerKey(from)] != nil {
			return nil
		}
		kind = "append_entries_reply"
	default:
		return nil
	}
	return fmt.Errorf("%w: %s from %s in term %d", ErrUnknownPeer, kind, config.PeerKey(from), m.GetTerm())
}
