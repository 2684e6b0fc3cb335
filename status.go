package rafter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rafter-go/rafter/actor"
	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/rafterpb"
)

// Role is a peer's Raft role as Status reports it: the core's roles
// (consensus/core.Role, same values and names) and Stopped.
type Role int

const (
	Follower     = Role(core.Follower)
	PreCandidate = Role(core.PreCandidate)
	Candidate    = Role(core.Candidate)
	Leader       = Role(core.Leader)
	// Stopped: the peer's consensus actor is shutting down.
	Stopped = Leader + 1
)

func (r Role) String() string {
	if r == Stopped {
		return "stopped"
	}
	return core.Role(r).String()
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
	// malformed or contradictory (a faulty or hostile sender) or as
	// another cluster's (same peer names, wired by mistake), each
	// logged; FollowersLostEntries the times it, as leader, found a
	// follower that had lost entries it acknowledged (logged as an error)
	// and probed it again. Both count from the peer's last (re)start.
	RefusedMessages      uint64
	FollowersLostEntries uint64
	// SnapshotIndex and SnapshotTerm name the peer's newest durable
	// snapshot (0: none); FirstIndex is the first index its log holds in
	// memory (entries below it are compacted; on disk TrailingEntries
	// more may remain, see LogStats for the bytes of log and snapshot).
	SnapshotIndex uint64
	SnapshotTerm  uint64
	FirstIndex    uint64
	// SnapshotsSent counts the snapshots the peer, as leader, finished
	// sending to followers; RepeatedSnapshots those a follower needed right
	// after finishing the previous one (its Restore was slower than the
	// log's growth: see TrailingEntries). Both count from the last
	// (re)start of the peer's consensus actor.
	SnapshotsSent     uint64
	RepeatedSnapshots uint64
	// LogBytes and SnapshotBytes are the bytes on disk of the peer's log
	// segments and current snapshot file, as of its log server's latest
	// answer to its consensus actor: the load at start, an acknowledged
	// write, a snapshot saved or installed, a compaction.
	LogBytes      uint64
	SnapshotBytes uint64
}

// ClusterID returns the identity of the peer's cluster, from its latest
// configuration: 0 for a blank peer (and for a cluster created before
// cluster IDs existed).
func (s Status) ClusterID() uint64 { return s.Config.GetClusterId() }

// Members returns the servers of the latest configuration: the new servers
// during a change (staging or transitional), else the old (stable) ones.
// Learners that no change promotes are not among them (Learners).
func (s Status) Members() []Peer {
	switch s.Config.GetState() {
	case rafterpb.ConfigState_CONFIG_STATE_STAGING, rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL:
		return PeersOf(s.Config.GetNewServers())
	}
	return PeersOf(s.Config.GetOldServers())
}

// Learners returns the members of the latest configuration that vote in
// nothing: read replicas (AddLearner) and, while a SetConfig is staging,
// the new servers still catching up with the leader's log.
func (s Status) Learners() []Peer {
	var out []Peer
	for _, p := range config.AllLearners(s.Config) {
		out = append(out, peerFromPB(p))
	}
	return out
}

// Learner reports whether the peer is a learner of its latest
// configuration (one of Learners): it receives the log, serves
// StaleReadOp, forwards the rest to the leader, and never votes or
// campaigns.
func (s Status) Learner() bool { return config.IsLearner(s.Self.pb(), s.Config) }

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
		SnapshotIndex:        r.GetSnapshotIndex(),
		SnapshotTerm:         r.GetSnapshotTerm(),
		FirstIndex:           r.GetFirstIndex(),
		SnapshotsSent:        r.GetSnapshotsSent(),
		RepeatedSnapshots:    r.GetRepeatedSnapshots(),
		LogBytes:             r.GetLogBytes(),
		SnapshotBytes:        r.GetSnapshotBytes(),
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

// LogStats returns the counters of the log server of peer p, a peer of
// this System: writes and entries appended, fsync rounds and how many
// writes each acknowledged (group commit). Diagnostics stay local: log
// servers do not answer other Systems, so p must be local. Errors:
// ErrInvalidArgument for a peer of another System, ErrStopped, ErrTimeout.
func (s *System) LogStats(ctx context.Context, p Peer) (*rafterpb.LogStatsReply, error) {
	if !s.isLocal(p) {
		return nil, fmt.Errorf("rafter: log stats of %s: %w: log servers answer only their own System", p, ErrInvalidArgument)
	}
	if _, err := s.running(p.Name); err != nil {
		return nil, fmt.Errorf("rafter: log stats of %s: %w", p, err)
	}
	r, err := actor.Call[*rafterpb.LogStatsReply](ctx, s.actors, s.actors.PIDOf(p.Name+"/log", ""), &rafterpb.LogGetStats{})
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return nil, fmt.Errorf("rafter: log stats of %s: %w: %w", p, ErrTimeout, err)
	case err != nil:
		return nil, fmt.Errorf("rafter: log stats of %s: %w: %w", p, ErrStopped, err)
	}
	return r, nil
}

// LocalPeers returns the peers started in this System and not stopped, in
// name order. A peer whose supervisor gave up is not listed.
func (s *System) LocalPeers() []Peer {
	s.mu.Lock()
	defer s.mu.Unlock()
	peers := make([]Peer, 0, len(s.nodes))
	for _, n := range s.nodes {
		select {
		case <-n.done:
			continue
		default:
		}
		peers = append(peers, n.peer)
	}
	slices.SortFunc(peers, func(a, b Peer) int { return strings.Compare(a.Name, b.Name) })
	return peers
}
