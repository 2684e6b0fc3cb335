package core

import (
	"errors"

	"github.com/rafter-go/rafter/rafterpb"
)

// This file fixes the contract between the core and its users: the consensus
// actor (package consensus) and the simulator (internal/sim). The methods of
// *Core are:
//
//	func New(opts Options, r Restored) (*Core, error)
//	func (c *Core) Tick()
//	func (c *Core) Step(m *rafterpb.RaftMessage) error
//	func (c *Core) Propose(id RequestID, cmd []byte)
//	func (c *Core) Read(id RequestID)
//	func (c *Core) SetConfig(id RequestID, peers []*rafterpb.Peer)
//	func (c *Core) AddLearner(id RequestID, p *rafterpb.Peer)
//	func (c *Core) RemoveLearner(id RequestID, p *rafterpb.Peer)
//	func (c *Core) TransferLeadership(id RequestID, to *rafterpb.Peer)
//	func (c *Core) Bootstrap(id RequestID, peers []*rafterpb.Peer, clusterID uint64)
//	func (c *Core) Persisted(index, term uint64)
//	func (c *Core) HasReady() bool
//	func (c *Core) Ready() Ready
//	func (c *Core) Advance(rd Ready)
//	func (c *Core) Status() Status
//	func (c *Core) Sendable(m *rafterpb.RaftMessage) bool
//	func (c *Core) Inflight(fn func(follower *rafterpb.Peer, n int))
//	func (c *Core) ForceSnapshot(id RequestID)
//	func (c *Core) SnapshotSaved(meta *rafterpb.SnapshotMeta, err error)
//	func (c *Core) InstallProgress(in InstallChunk, r InstallReply) (restore bool)
//
// Who owns which index. Each has one owner that decides or does it; the
// others are told, never keep a copy of their own:
//
//   - commit: the core decides it (Raft §5.3, §5.4.2). The shell learns it
//     from Ready.Commit and passes it to the log server inside the write, as
//     the floor below which the log server refuses to truncate.
//   - applying: the core, the highest index it has handed out in
//     Ready.Committed.
//   - applied: the shell applies; it reports that it has by calling
//     Advance(rd) once rd is executed, and the core records rd's last
//     committed index as applied. Reads are released (Ready.Reads) only at
//     an index <= applied, so the shell answers them at once, with no
//     buffer and no check of its own. Status.Applied reports it.
//   - persisted: the log server makes entries durable and reports it with
//     Persisted(index, term); the leader counts its own entry from there.
//   - last index, and which entries are not yet handed to the log server:
//     the core's log.
//   - the snapshot: the log server writes and keeps it; the core decides
//     when one is taken (Ready.Snapshot) and learns what was saved or
//     installed (SnapshotSaved, InstallProgress), and compacts its memory
//     and the disk (Ready.Compact) to TrailingEntries behind it.

// RequestID identifies a client request in the shell. The shell picks the
// values; 0 means "no request" (for example a no-op entry, or an entry that
// another leader proposed).
type RequestID uint64

// Options configures one core. Time is measured in ticks: the shell calls Tick
// every HeartbeatInterval / HeartbeatTicks.
type Options struct {
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
	// SnapshotEntries: ask for a snapshot (Ready.Snapshot) once this many
	// entries were applied since the last one; 0 never does (a state
	// machine that cannot snapshot).
	SnapshotEntries uint64
	// TrailingEntries: entries kept behind the snapshot, in memory and on
	// disk, for followers a little behind.
	TrailingEntries uint64
	// SnapshotMinTicks: after a snapshot, the next waits this many ticks
	// unless the log grows past 4*SnapshotEntries first (a busy cluster
	// with a large state would otherwise spend its disk on snapshots); 0:
	// no wait.
	SnapshotMinTicks int
	// SnapshotChunkBytes bounds one InstallSnapshot chunk (default 1 MiB);
	// MaxSnapshotInflight the chunks unanswered to one follower (default 4).
	SnapshotChunkBytes  uint64
	MaxSnapshotInflight int
	// CatchUpEntries: a SetConfig that adds servers moves from staging to
	// the joint configuration once each new server's log matches the
	// leader's to within this many entries of its last index (0: all of
	// it). CatchUpTicks: the leader gives the change up after this many
	// ticks in staging (ErrCatchUpTimeout); 0 waits for ever.
	CatchUpEntries uint64
	CatchUpTicks   int
}

// Restored is what a peer recovered from its log server on (re)start. The
// shell has restored its state machine from Snapshot (empty without one);
// every committed entry after it is handed out again in Ready.Committed.
type Restored struct {
	Meta     *rafterpb.Meta         // nil for a blank peer
	Snapshot *rafterpb.SnapshotMeta // the newest durable snapshot; nil: none
	// Entries is the log after the snapshot: indexes Snapshot.Index+1..n,
	// contiguous.
	Entries []*rafterpb.Entry
}

// Ready is a batch of effects. The shell executes it in this order, then
// calls Advance(rd):
//
//  0. Snapshot (if non-nil): the shell takes a snapshot of its state
//     machine now, before applying Committed (the state machine is at
//     Snapshot.Index), and gives it to the log server; SnapshotSaved
//     reports the outcome.
//  1. Meta (if non-nil) and Entries go to the log server as one write, with
//     Commit as the write's commit floor. If Entries[0].Index <= the last
//     stored index, the log server first truncates the stored suffix from
//     that index (check-and-append); it refuses to truncate at or below the
//     highest floor it was given.
//  2. Messages are sent now. MessagesAfterPersist are sent only after the log
//     server has acknowledged that step 1's write is durable (votes,
//     successful AppendEntries replies and anything in a newer term), and
//     then only those that Sendable still allows.
//  3. Committed entries are applied to the state machine in index order; an
//     entry with a non-zero ID answers that client request with the result.
//  4. Reads are answered: each ReadState's index is already applied (an
//     earlier Advance reported it), so the shell reads its state machine now.
//  5. Results are delivered (refusals, redirects, config results, lost
//     leadership).
//  6. Compact (if non-zero) goes to the log server after the write: it may
//     delete the entries up to that index (a snapshot covers them).
//     Install chunks go to the log server in order; each answer comes back
//     as InstallProgress.
//
// A Message whose body is InstallSnapshot leaves without data: the shell
// reads bytes [offset, offset+SnapshotChunkBytes) of the snapshot file for
// last_included_index from its log server, sets data and done, and sends
// it; if that snapshot is gone, it drops the message (the core resends).
//
// Later, the log server's acknowledgement comes back as Persisted(index, term).
type Ready struct {
	// Commit is the commit index when the Ready was built.
	Commit               uint64
	Meta                 *rafterpb.Meta
	Entries              []*rafterpb.Entry
	Messages             []*rafterpb.RaftMessage
	MessagesAfterPersist []*rafterpb.RaftMessage
	Committed            []Committed
	Reads                []ReadState
	Results              []Result
	Snapshot             *rafterpb.SnapshotMeta // index, term and config; size unset
	Compact              uint64
	Install              []InstallChunk
}

// InstallChunk is an InstallSnapshot chunk received from the leader From in
// term Term, for the log server (LogInstallChunk).
type InstallChunk struct {
	From *rafterpb.Peer
	Term uint64
	Msg  *rafterpb.InstallSnapshot
}

// InstallReply is the log server's answer to an InstallChunk.
type InstallReply struct {
	NextOffset uint64
	// Done: the snapshot is installed and durable; the log server's log
	// was reset after it (Raft §7: kept only if it held the snapshot's
	// last entry with its term). Snapshot describes it.
	Done     bool
	Snapshot *rafterpb.SnapshotMeta
	// Err: the chunk was refused (nothing installed).
	Err error
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
	// Applied is the highest index the shell reported applied (Advance).
	Applied   uint64
	LastIndex uint64
	LastTerm  uint64
	Config    *rafterpb.Config
	// Member: this peer has a configuration and is in it, as a voter or
	// as a learner. A removed peer (not in its own latest configuration)
	// and a blank one are not members; a removed one answers client
	// requests with ErrNotMember.
	Member bool
	// Learner: this peer is a member without a vote (a learner of the
	// configuration, or a server a staging configuration catches up).
	Learner bool
	// SnapshotIndex and SnapshotTerm name the newest durable snapshot (0:
	// none); FirstIndex is the first index held in memory.
	SnapshotIndex uint64
	SnapshotTerm  uint64
	FirstIndex    uint64
	// SnapshotsSent counts the snapshots this leader finished sending;
	// RepeatedSnapshots those a follower needed right after finishing the
	// previous one (it fell behind the log while restoring: the shell logs
	// each).
	SnapshotsSent     uint64
	RepeatedSnapshots uint64
	// FollowerLostEntries counts, over this core's life, the times a leader
	// saw a follower reject entries it had acknowledged (its log lost its
	// tail) and probed it again from the follower's hint. The shell logs
	// each one: Raft assumes durable logs.
	FollowerLostEntries uint64
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

// Errors carried by Result.Err. Each carries the wire code that clients
// receive (Code): the one mapping from the core's verdicts to what a client
// sees is this list and the table in package rafter beside the wire enum.
// Definite errors mean the request's command was not appended to the log;
// ErrLeadershipLost and ErrPeersNotResponding mean the outcome is unknown.
var (
	// ErrNotLeader: this peer is not the leader; Result.Leader names the
	// leader. The shell forwards the request. Definite.
	ErrNotLeader = coded(rafterpb.ErrorCode_ERROR_CODE_REDIRECT, "core: not the leader")
	// ErrNoLeader: no leader is known (and no election is running). Definite.
	ErrNoLeader = coded(rafterpb.ErrorCode_ERROR_CODE_NO_LEADER, "core: no leader")
	// ErrElectionInProgress: an election is running. Definite.
	ErrElectionInProgress = coded(rafterpb.ErrorCode_ERROR_CODE_ELECTION_IN_PROGRESS, "core: election in progress")
	// ErrNotMember: this peer has no configuration, or is not in it. Definite.
	ErrNotMember = coded(rafterpb.ErrorCode_ERROR_CODE_NOT_MEMBER, "core: not a member of the configuration")
	// ErrNotModified: SetConfig with the current server list. Definite.
	ErrNotModified = coded(rafterpb.ErrorCode_ERROR_CODE_NOT_MODIFIED, "core: configuration not modified")
	// ErrConfigInProgress: another configuration change is running. Definite.
	ErrConfigInProgress = coded(rafterpb.ErrorCode_ERROR_CODE_CONFIG_IN_PROGRESS, "core: configuration change in progress")
	// ErrInvalidInitialConfig: a blank peer got an initial configuration that
	// conflicts with one it already accepted, or that does not include it,
	// or after it has seen that a cluster exists (a stored term other than
	// its own campaign's, an AppendEntries, a RequestVote from a peer with
	// a log). Definite.
	ErrInvalidInitialConfig = coded(rafterpb.ErrorCode_ERROR_CODE_INVALID_INITIAL_CONFIG, "core: invalid initial configuration")
	// ErrLeadershipLost: the leader stepped down (it saw a newer term, or
	// left the configuration) while the request was pending. Unknown
	// outcome: the entry may still commit.
	ErrLeadershipLost = coded(rafterpb.ErrorCode_ERROR_CODE_LEADERSHIP_LOST, "core: leadership lost")
	// ErrPeersNotResponding: the leader heard from no quorum for a whole
	// election timeout while the request was pending, and stepped down
	// (CheckQuorum). Unknown outcome, as for ErrLeadershipLost.
	ErrPeersNotResponding = coded(rafterpb.ErrorCode_ERROR_CODE_PEERS_NOT_RESPONDING,
		"core: no quorum answered for an election timeout; leader stepped down")
	// ErrTransferInProgress: the leader is handing its leadership over
	// (TransferLeadership) and takes no proposal or configuration change
	// until that ends. Definite.
	ErrTransferInProgress = coded(rafterpb.ErrorCode_ERROR_CODE_TRANSFER_IN_PROGRESS, "core: leadership transfer in progress")
	// ErrTransferFailed: a leadership transfer did not happen: the target
	// did not take over within an election timeout, or another peer leads.
	// Definite (nothing was appended).
	ErrTransferFailed = coded(rafterpb.ErrorCode_ERROR_CODE_TRANSFER_FAILED, "core: leadership transfer failed")
	// ErrAlreadyBootstrapped: Bootstrap reached a peer whose log holds
	// the configuration of another cluster, or a blank peer that
	// campaigns for an initial configuration given by SetConfig. Nothing
	// was written. Definite.
	ErrAlreadyBootstrapped = coded(rafterpb.ErrorCode_ERROR_CODE_ALREADY_BOOTSTRAPPED, "core: already bootstrapped")
	// ErrCatchUpTimeout: a SetConfig's new servers did not catch up
	// within CatchUpTicks; the leader logged the old configuration again
	// and the result came when that entry committed. Definite: the
	// requested configuration never took effect.
	ErrCatchUpTimeout = coded(rafterpb.ErrorCode_ERROR_CODE_CATCH_UP_TIMEOUT, "core: new servers did not catch up in time")
	// ErrInvalidArgument: a malformed request (e.g. an empty or duplicate
	// server list). Definite.
	ErrInvalidArgument = coded(rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, "core: invalid argument")
)

// codedError is a Result error with its wire code.
type codedError struct {
	code rafterpb.ErrorCode
	msg  string
}

func coded(code rafterpb.ErrorCode, msg string) error { return &codedError{code: code, msg: msg} }

func (e *codedError) Error() string { return e.msg }

// Code returns the wire code of a Result error (which may wrap one of the
// errors above); ERROR_CODE_INTERNAL for an error the core does not
// document, ERROR_CODE_NONE for nil.
func Code(err error) rafterpb.ErrorCode {
	if err == nil {
		return rafterpb.ErrorCode_ERROR_CODE_NONE
	}
	var ce *codedError
	if errors.As(err, &ce) {
		return ce.code
	}
	return rafterpb.ErrorCode_ERROR_CODE_INTERNAL
}
