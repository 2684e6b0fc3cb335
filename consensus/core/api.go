package core

import (
	"errors"

	"github.com/rafter-go/rafter/rafterpb"
)

// This file fixes the contract between the core and its users: the consensus
// actor (package consensus) and the simulator (internal/sim). The methods of
// *Core are:
//
//	func New(cfg Config, r Restored) (*Core, error)
//	func (c *Core) Tick()
//	func (c *Core) Step(m *rafterpb.RaftMessage) error
//	func (c *Core) Propose(id RequestID, cmd []byte)
//	func (c *Core) Read(id RequestID)
//	func (c *Core) SetConfig(id RequestID, peers []*rafterpb.Peer)
//	func (c *Core) Persisted(index, term uint64)
//	func (c *Core) HasReady() bool
//	func (c *Core) Ready() Ready
//	func (c *Core) Advance(rd Ready)
//	func (c *Core) Status() Status

// RequestID identifies a client request in the shell. The shell picks the
// values; 0 means "no request" (for example a no-op entry, or an entry that
// another leader proposed).
type RequestID uint64

// Config configures one core. Time is measured in ticks: the shell calls Tick
// every HeartbeatInterval / HeartbeatTicks.
type Config struct {
	// ID is the local peer.
	ID *rafterpb.Peer
	// ElectionTicks is the minimum election timeout; each timeout is drawn
	// uniformly from [ElectionTicks, ElectionTicksMax) using Seed.
	ElectionTicks int
	// ElectionTicksMax is the exclusive upper bound of the election
	// timeout: 0 means 2*ElectionTicks (etcd's rule), any other value must
	// be greater than ElectionTicks. A wider range makes split votes rarer
	// in large clusters, at the cost of a slower election (Raft §9.3).
	ElectionTicksMax int
	// HeartbeatTicks is the leader's heartbeat period (< ElectionTicks).
	HeartbeatTicks int
	// Seed seeds the election jitter; a run with the same inputs and seed
	// produces the same outputs.
	Seed int64
	// MaxMsgEntries and MaxMsgBytes bound one AppendEntries (batching); at
	// least one entry is always sent.
	MaxMsgEntries int
	MaxMsgBytes   uint64
	// MaxInflight bounds the AppendEntries in flight to one follower in
	// replicate mode (pipelining).
	MaxInflight int
	// PreVote and CheckQuorum switch on those protocol extensions
	// (Raft thesis §9.6 and §6.2).
	PreVote     bool
	CheckQuorum bool
}

// Restored is what a peer recovered from its log server on (re)start.
type Restored struct {
	Meta    *rafterpb.Meta    // nil for a blank peer
	Entries []*rafterpb.Entry // the whole log, indexes 1..n contiguous
	// Applied is the index up to which the shell's state machine already
	// holds the effects (0 after a plain restart: the shell replays).
	Applied uint64
}

// Ready is a batch of effects. The shell executes it in this order, then
// calls Advance(rd):
//
//  1. Meta (if non-nil) and Entries go to the log server as one write. If
//     Entries[0].Index <= the last stored index, the log server first
//     truncates the stored suffix from that index (check-and-append).
//  2. Messages are sent now. MessagesAfterPersist are sent only after the log
//     server has acknowledged that step 1's write is durable (votes,
//     successful AppendEntries replies and anything in a newer term).
//  3. Committed entries are applied to the state machine in index order; an
//     entry with a non-zero ID answers that client request with the result.
//  4. Reads are answered: each ReadState's index has been committed and is
//     applied by step 3 of this or an earlier Ready.
//  5. Results are delivered (refusals, redirects, config results, lost
//     leadership).
//
// Later, the log server's acknowledgement comes back as Persisted(index, term).
type Ready struct {
	Meta                 *rafterpb.Meta
	Entries              []*rafterpb.Entry
	Messages             []*rafterpb.RaftMessage
	MessagesAfterPersist []*rafterpb.RaftMessage
	Committed            []Committed
	Reads                []ReadState
	Results              []Result
}

// Committed is a committed entry to apply, and the request that proposed it on
// this peer, if any.
type Committed struct {
	Entry *rafterpb.Entry
	ID    RequestID
}

// ReadState releases a linearizable read: answer request ID once the state
// machine has applied Index.
type ReadState struct {
	ID    RequestID
	Index uint64
}

// Result ends a request without an applied entry (or ends a SetConfig once
// its configuration is stable). Err is nil on success. Leader names the known
// leader when Err is ErrNotLeader (the shell forwards the request there).
type Result struct {
	ID     RequestID
	Err    error
	Leader *rafterpb.Peer
	Index  uint64
}

// Status is a snapshot of the core's soft and hard state.
type Status struct {
	ID          *rafterpb.Peer
	Role        Role
	Term        uint64
	VotedFor    *rafterpb.Peer
	Leader      *rafterpb.Peer
	CommitIndex uint64
	LastIndex   uint64
	LastTerm    uint64
	Config      *rafterpb.Config
}

// Role is the Raft role of a core.
type Role int

const (
	Follower Role = iota
	PreCandidate
	Candidate
	Leader
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
	}
	return "unknown"
}

// Errors carried by Result.Err. Definite errors mean the request's command
// was not appended to the log; ErrLeadershipLost means the outcome is unknown.
var (
	// ErrNotLeader: this peer is not the leader; Result.Leader names the
	// leader. The shell forwards the request. Definite.
	ErrNotLeader = errors.New("core: not the leader")
	// ErrNoLeader: no leader is known (and no election is running). Definite.
	ErrNoLeader = errors.New("core: no leader")
	// ErrElectionInProgress: an election is running. Definite.
	ErrElectionInProgress = errors.New("core: election in progress")
	// ErrNotMember: this peer has no configuration, or is not in it. Definite.
	ErrNotMember = errors.New("core: not a member of the configuration")
	// ErrNotModified: SetConfig with the current server list. Definite.
	ErrNotModified = errors.New("core: configuration not modified")
	// ErrConfigInProgress: another configuration change is running. Definite.
	ErrConfigInProgress = errors.New("core: configuration change in progress")
	// ErrInvalidInitialConfig: a blank peer got an initial configuration that
	// conflicts with one it already accepted, or that does not include it,
	// or after it has seen that a cluster exists (a stored term other than
	// its own campaign's, an AppendEntries, a RequestVote from a peer with
	// a log). Definite.
	ErrInvalidInitialConfig = errors.New("core: invalid initial configuration")
	// ErrLeadershipLost: the leader stepped down while the request was
	// pending. Unknown outcome: the entry may still commit.
	ErrLeadershipLost = errors.New("core: leadership lost")
	// ErrInvalidArgument: a malformed request (e.g. an empty or duplicate
	// server list). Definite.
	ErrInvalidArgument = errors.New("core: invalid argument")
)
