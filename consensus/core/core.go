package core

import (
	"fmt"
	"math/rand/v2"

	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/rafterpb"
)

// Defaults applied by New to zero-valued limits in Options.
const (
	DefaultMaxMsgEntries = 64
	DefaultMaxMsgBytes   = 1 << 20
	DefaultMaxInflight   = 256
	// DefaultSnapshotChunkBytes and DefaultMaxSnapshotInflight bound
	// InstallSnapshot: one chunk's bytes, and the chunks unanswered.
	DefaultSnapshotChunkBytes  = 1 << 20
	DefaultMaxSnapshotInflight = 4
)

var blankConfig = &rafterpb.Config{State: rafterpb.ConfigState_CONFIG_STATE_BLANK}

// Core is the deterministic Raft state machine of one peer. It is not safe
// for concurrent use: one owner (the consensus actor, or the simulator) calls
// it.
type Core struct {
	opts  Options
	id    *rafterpb.Peer
	idKey string
	rand  *rand.Rand

	// Hard state (Meta). metaDirty: changed since the last Ready.
	term      uint64
	votedFor  *rafterpb.Peer
	metaDirty bool

	role    Role
	leader  *rafterpb.Peer
	log     raftLog
	members *rafterpb.Config // the latest configuration (log, else pendingInit, else blank)
	commit  uint64
	// applying is the highest index handed to the shell in Ready.Committed;
	// applied the highest the shell reported applied (Advance). See the
	// ownership list in api.go.
	applying uint64
	applied  uint64

	electionElapsed   int
	heartbeatElapsed  int
	randomizedTimeout int

	// votes are the (pre-)vote answers of the running election, by PeerKey.
	votes map[string]bool

	leading leadingState

	// pendingInit is rafter's init_config: a blank peer was given its initial
	// configuration and campaigns to log it.
	pendingInit *initConfig
	// clusterSeen: this peer has evidence that a cluster already exists
	// (see sawCluster); while blank, it refuses initial configurations.
	clusterSeen bool
	// lostEntries counts followers found to have lost acknowledged entries
	// (followerLostEntries); Status reports it.
	lostEntries uint64

	// transferWait: this peer stepped down during a leadership transfer it
	// led; the request ends once it learns who leads (transfer.go).
	transferWait *transferWait
	// transferCampaign: this candidate campaigns because the leader sent
	// TimeoutNow; its RequestVotes ask voters to ignore their lease.
	transferCampaign bool

	// snaps is the snapshot bookkeeping (snapshot.go).
	snaps snapshots
	// bootstrapWaits are Bootstrap requests answered once the first
	// configuration entry is durable (bootstrap.go).
	bootstrapWaits []bootstrapWait

	// Outbox, drained by Ready.
	msgs      []*rafterpb.RaftMessage
	msgsAfter []*rafterpb.RaftMessage
	results   []Result
}

type initConfig struct {
	id   RequestID
	conf *rafterpb.Config
}

// New builds a core from what the peer's log server recovered. The core
// starts as a follower in the recovered term.
func New(opts Options, r Restored) (*Core, error) {
	if err := checkOptions(&opts); err != nil {
		return nil, err
	}
	if err := checkRestored(r); err != nil {
		return nil, err
	}
	c := &Core{
		opts:  opts,
		id:    opts.ID,
		idKey: config.PeerKey(opts.ID),
		rand:  rand.New(rand.NewPCG(uint64(opts.Seed), uint64(opts.Seed)^0x9e3779b97f4a7c15)),
		term:  r.Meta.GetTerm(),
		log:   newLog(r.Snapshot, r.Entries),
	}
	// The state machine was restored from the snapshot: it is applied, so
	// committed.
	if s := r.Snapshot; s != nil {
		c.snaps.last = s
		c.commit, c.applying, c.applied = s.GetIndex(), s.GetIndex(), s.GetIndex()
	}
	if v := r.Meta.GetVotedFor(); v != nil && v.GetName() != "" {
		c.votedFor = v
	}
	// A stored term means this peer heard from other peers before the
	// restart, possibly from a cluster it was added to (internal/sim
	// FINDINGS.md 1), unless the term is that of its own campaign for an
	// initial configuration (it voted for itself): such a peer is asked
	// again when that bootstrap was cut short by a crash, and refusing
	// would leave the cluster unable to start.
	c.clusterSeen = c.term > 0 && !c.isMe(c.votedFor)
	c.refreshConfig()
	c.becomeFollower(c.term, nil)
	return c, nil
}

func checkOptions(o *Options) error {
	if o.ID.GetName() == "" {
		return fmt.Errorf("%w: ID has no name", ErrInvalidOptions)
	}
	if o.HeartbeatTicks <= 0 || o.ElectionTicks <= o.HeartbeatTicks {
		return fmt.Errorf("%w: need 0 < HeartbeatTicks (%d) < ElectionTicks (%d)",
			ErrInvalidOptions, o.HeartbeatTicks, o.ElectionTicks)
	}
	switch {
	case o.ElectionTicksMax == 0:
		o.ElectionTicksMax = 2 * o.ElectionTicks
	case o.ElectionTicksMax <= o.ElectionTicks:
		return fmt.Errorf("%w: need ElectionTicksMax (%d) > ElectionTicks (%d), or 0",
			ErrInvalidOptions, o.ElectionTicksMax, o.ElectionTicks)
	}
	if o.MaxMsgEntries < 0 || o.MaxInflight < 0 {
		return fmt.Errorf("%w: negative limit", ErrInvalidOptions)
	}
	if o.MaxMsgEntries == 0 {
		o.MaxMsgEntries = DefaultMaxMsgEntries
	}
	if o.MaxMsgBytes == 0 {
		o.MaxMsgBytes = DefaultMaxMsgBytes
	}
	if o.MaxInflight == 0 {
		o.MaxInflight = DefaultMaxInflight
	}
	if o.MaxSnapshotInflight < 0 || o.SnapshotMinTicks < 0 {
		return fmt.Errorf("%w: negative MaxSnapshotInflight or SnapshotMinTicks", ErrInvalidOptions)
	}
	if o.CatchUpTicks < 0 {
		return fmt.Errorf("%w: negative CatchUpTicks", ErrInvalidOptions)
	}
	if o.SnapshotChunkBytes == 0 {
		o.SnapshotChunkBytes = DefaultSnapshotChunkBytes
	}
	if o.MaxSnapshotInflight == 0 {
		o.MaxSnapshotInflight = DefaultMaxSnapshotInflight
	}
	return nil
}

func checkRestored(r Restored) error {
	base, prevTerm := r.Snapshot.GetIndex(), r.Snapshot.GetTerm()
	if s := r.Snapshot; s != nil && (s.GetIndex() == 0 || s.GetTerm() == 0 || s.GetTerm() > r.Meta.GetTerm()) {
		return fmt.Errorf("%w: snapshot at index %d, term %d (meta term %d)",
			ErrInvalidRestored, s.GetIndex(), s.GetTerm(), r.Meta.GetTerm())
	}
	for i, e := range r.Entries {
		if e.GetIndex() != base+uint64(i)+1 {
			return fmt.Errorf("%w: restored entry %d has index %d", ErrInvalidRestored, base+uint64(i)+1, e.GetIndex())
		}
		if e.GetTerm() < prevTerm || e.GetTerm() > r.Meta.GetTerm() {
			return fmt.Errorf("%w: restored entry %d has term %d (previous %d, meta %d)",
				ErrInvalidRestored, e.GetIndex(), e.GetTerm(), prevTerm, r.Meta.GetTerm())
		}
		prevTerm = e.GetTerm()
	}
	return nil
}

// Status returns a snapshot of the core's state.
func (c *Core) Status() Status {
	return Status{
		ID:                  c.id,
		Role:                c.role,
		Term:                c.term,
		VotedFor:            c.votedFor,
		Leader:              c.leader,
		CommitIndex:         c.commit,
		Applied:             c.applied,
		LastIndex:           c.log.lastIndex(),
		LastTerm:            c.log.lastTerm(),
		Config:              c.members,
		Member:              c.members.GetState() != rafterpb.ConfigState_CONFIG_STATE_BLANK && !c.removed(),
		Learner:             config.IsLearner(c.id, c.members),
		FollowerLostEntries: c.lostEntries,
		SnapshotIndex:       c.snaps.last.GetIndex(),
		SnapshotTerm:        c.snaps.last.GetTerm(),
		FirstIndex:          c.log.firstIndex(),
		SnapshotsSent:       c.snaps.sent,
		RepeatedSnapshots:   c.snaps.repeated,
	}
}

// Persisted is the log server's acknowledgement that everything up to index
// is durable, index having term term. An acknowledgement for an entry that a
// truncation has since replaced (its term no longer matches) is ignored.
// The leader counts its own entries toward commit only from here (Raft
// thesis §10.2.1).
func (c *Core) Persisted(index, term uint64) {
	if index <= c.log.persisted || !c.log.matchTerm(index, term) {
		return
	}
	c.log.persisted = index
	if c.role == Leader {
		c.maybeCommit()
	}
	c.settleBootstrap()
}

// Sendable reports whether a message of Ready.MessagesAfterPersist may
// still leave once the write it waited for is durable: only if it is of the
// current term. A vote or reply of an older term answers a candidate or
// leader that a newer term has deposed, and once the newer term's leader
// has made this peer truncate its log, a held success reply may claim
// entries that are gone (the simulator found it: seed 106762). Dropping it
// is a loss Raft already tolerates.
func (c *Core) Sendable(m *rafterpb.RaftMessage) bool { return m.GetTerm() == c.term }

func (c *Core) isMe(p *rafterpb.Peer) bool { return config.SamePeer(p, c.id) }

func (c *Core) newMessage(to *rafterpb.Peer) *rafterpb.RaftMessage {
	return &rafterpb.RaftMessage{From: c.id, To: to, Term: c.term, ClusterId: c.clusterID()}
}

// send queues m. afterPersist marks messages that depend on this Ready's write
// (votes granted, successful AppendEntries replies).
func (c *Core) send(m *rafterpb.RaftMessage, afterPersist bool) {
	if afterPersist {
		c.msgsAfter = append(c.msgsAfter, m)
	} else {
		c.msgs = append(c.msgs, m)
	}
}

func (c *Core) setTerm(term uint64) {
	if term == c.term {
		return
	}
	if term < c.term {
		panic(fmt.Sprintf("core: term going back from %d to %d", c.term, term))
	}
	c.term, c.votedFor, c.metaDirty = term, nil, true
}

func (c *Core) vote(p *rafterpb.Peer) {
	c.votedFor, c.metaDirty = p, true
}
