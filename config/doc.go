// Package config is the membership arithmetic of rafter for Go: pure
// functions over a *rafterpb.Config, a port of rafter's rafter_config.erl.
//
// A configuration is in one of four states (rafter's #config{}):
//
//	blank         no configuration yet: a fresh peer. No quorum, no voters.
//	stable        old_servers vote; a quorum is a majority of them.
//	staging       old_servers vote; new_servers is the requested list, whose
//	              servers not among old_servers catch up as non-voters
//	              (CatchingUp): they receive entries (Followers), but do
//	              not count.
//	transitional  joint consensus (Raft §6): every server of old_servers and
//	              new_servers votes, and a quorum needs a majority of old
//	              AND a majority of new.
//
// In every state but blank, the learners list names read replicas: members
// that receive entries (Followers) and vote in nothing (learners.go).
// IsLearner, IsMember and HasVote tell a peer's part; no quorum function
// ever counts a learner.
//
// A change runs blank → stable (rafter's initial configuration, Reconfig),
// or stable → transitional (Reconfig) → stable with the new servers once the
// transitional entry commits (Finish). A change that adds servers goes
// stable → staging (Stage) first, and on to transitional once the new
// servers have caught up, or back to the old stable configuration (Abort).
// AddLearner and RemoveLearner change a stable configuration's learners.
// AllowChange refuses a second change while one runs (ErrConfigInProgress)
// and a change to the current servers (ErrNotModified).
//
// Peers are identified by PeerKey ("name@node"); the vote and match maps
// given to Quorum and QuorumMax are keyed by it. The consensus core
// (consensus/core) uses Quorum to count votes and read confirmations, and
// QuorumMaxFunc (QuorumMax without the map, and without allocating) as its
// commit rule. Nothing here does I/O or keeps state.
//
// Example:
//
//	me := &rafterpb.Peer{Name: "a"}
//	c := config.Reconfig(&rafterpb.Config{}, peers)  // blank → stable
//	config.Quorum(me, c, map[string]bool{"b@": true}) // a (implicit) + b of 3: true
//	config.QuorumMax(me, c, map[string]uint64{"a@": 7, "b@": 5, "c@": 2}) // 5
package config
