package rafter

import (
	"github.com/rafter-go/rafter/rafterpb"
)

// Role is a peer's Raft role as Status reports it.
type Role int

const (
	Follower Role = iota
	PreCandidate
	Candidate
	Leader
	// Stopped: the peer's consensus actor is shutting down.
	Stopped
)

func (r Role) String() string {
	switch r {
	case Follower:
		return "follower"
	case PreCandidate:
		return "pre-candidate"
	case Candidate:
		return "candidate"
	case Leader:
		return "leader"
	case Stopped:
		return "stopped"
	}
	return "unknown"
}

// Status is a snapshot of one peer's Raft state.
type Status struct {
	Self Peer
	Role Role
	Term uint64
	// Leader is the leader the peer knows; the zero Peer if none.
	Leader Peer
	// VotedFor is the peer's vote in Term; the zero Peer if none.
	VotedFor     Peer
	CommitIndex  uint64
	AppliedIndex uint64
	LastIndex    uint64
	LastTerm     uint64
	// Config is the latest configuration in the peer's log (nil or blank
	// for a peer that has none yet).
	Config *rafterpb.Config
	// RefusedMessages counts the Raft messages the peer refused as
	// malformed or contradictory (a faulty or hostile sender), each
	// logged; FollowersLostEntries the times it, as leader, found a
	// follower that had lost entries it acknowledged (logged as an error)
	// and probed it again. Both count from the peer's last (re)start.
	RefusedMessages      uint64
	FollowersLostEntries uint64
}

// Members returns the servers of the latest configuration: the new servers
// during a change (staging or transitional), else the old (stable) ones.
func (s Status) Members() []Peer {
	switch s.Config.GetState() {
	case rafterpb.ConfigState_CONFIG_STATE_STAGING, rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL:
		return PeersOf(s.Config.GetNewServers())
	}
	return PeersOf(s.Config.GetOldServers())
}

func statusFromPB(r *rafterpb.StatusReply) Status {
	return Status{
		Self:         peerFromPB(r.GetSelf()),
		Role:         roleFromPB(r.GetRole()),
		Term:         r.GetTerm(),
		Leader:       peerFromPB(r.GetLeader()),
		VotedFor:     peerFromPB(r.GetVotedFor()),
		CommitIndex:  r.GetCommitIndex(),
		AppliedIndex: r.GetAppliedIndex(),
		LastIndex:    r.GetLastIndex(),
		LastTerm:     r.GetLastTerm(),
		Config:       r.GetConfig(),

		RefusedMessages:      r.GetRefusedMessages(),
		FollowersLostEntries: r.GetFollowersLostEntries(),
	}
}

func roleFromPB(r rafterpb.Role) Role {
	switch r {
	case rafterpb.Role_ROLE_FOLLOWER:
		return Follower
	case rafterpb.Role_ROLE_PRE_CANDIDATE:
		return PreCandidate
	case rafterpb.Role_ROLE_CANDIDATE:
		return Candidate
	case rafterpb.Role_ROLE_LEADER:
		return Leader
	}
	return Stopped
}
