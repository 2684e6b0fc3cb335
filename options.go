package rafter

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/rafter-go/rafter/actor"
	"github.com/rafter-go/rafter/consensus/session"
)

// Options configures one peer. Start from DefaultOptions, set DataDir and
// StateMachine, and change what you need; StartNode calls Validate. The
// zero value does not validate.
type Options struct {
	// DataDir is the directory holding the peer's log and metadata (created
	// if missing). One directory per peer; a restart on the same directory
	// recovers the peer. Required; no default.
	DataDir string

	// StateMachine returns a fresh state machine. It is called on every
	// start and restart of the peer; the new instance is restored from the
	// peer's snapshot (if it implements Snapshotter) and then applies the
	// committed log after it. Required; no default.
	StateMachine func() StateMachine

	// HeartbeatInterval is how often a leader sends AppendEntries (empty
	// ones as heartbeats) to each follower. Unit: wall-clock duration, at
	// least 1 ms. Default: 50 ms. It is also the base of the peer's tick:
	// the consensus core counts time in ticks (see ticks).
	HeartbeatInterval time.Duration

	// ElectionTimeoutMin is the least time a follower waits without
	// hearing from a leader before it campaigns (Raft §5.2). Each timeout
	// is drawn uniformly from [ElectionTimeoutMin, ElectionTimeoutMax).
	// Must be greater than HeartbeatInterval (several times greater is
	// advisable). With CheckQuorum a leader that has not heard from a
	// quorum for this long steps down. Default: 500 ms.
	ElectionTimeoutMin time.Duration

	// ElectionTimeoutMax is the (exclusive) upper bound of the election
	// timeout. 0 means 2 × ElectionTimeoutMin (etcd's rule); any other
	// value must be greater than ElectionTimeoutMin. A wider range makes
	// split votes rarer in large clusters but elections slower (Raft
	// §9.3). It is rounded to the peer's tick, and kept at least one tick
	// above the minimum. Default: 1 s (2 × the default minimum).
	ElectionTimeoutMax time.Duration

	// MaxAppendEntries bounds the number of entries in one AppendEntries
	// message (batching); at least one entry is always sent. Unit: entries,
	// at least 1. Default: 64.
	MaxAppendEntries int

	// MaxAppendBytes bounds the total command bytes of one AppendEntries
	// message; a single larger entry is still sent alone. Unit: bytes,
	// from 1 to 16 MiB (a quarter of the network's message limit,
	// actor.DefaultMaxMessageBytes, so a batch always fits a frame).
	// Default: 1 MiB.
	MaxAppendBytes uint64

	// MaxCommandBytes bounds the size of one Op command. A larger command
	// fails with ErrTooLarge (definite) before it is sent from this
	// peer's System, and before it is appended when it arrives from
	// elsewhere. Unit: bytes, from 1 to MaxCommandBytesLimit (16 MiB less
	// 4 KiB: an entry must fit the log's record limit and the network's
	// frame, actor.DefaultMaxMessageBytes). Default: 8 MiB.
	MaxCommandBytes int

	// MaxInflight bounds the AppendEntries messages in flight to one
	// follower that is keeping up (pipelining). Unit: messages, at least 1.
	// Default: 64.
	MaxInflight int

	// PreVote makes a peer ask whether it could win before it starts an
	// election, so a peer that was cut off does not disturb the cluster
	// when it returns (Raft thesis §9.6). Default: true.
	PreVote bool

	// CheckQuorum makes a leader step down when it has not heard from a
	// quorum within an election timeout, so a partitioned leader stops
	// acknowledging requests (Raft thesis §6.2). Default: true.
	CheckQuorum bool

	// StopTransferTimeout bounds how long StopNode of a leader first tries
	// to hand its leadership to the most up-to-date voter
	// (TransferLeadership), so that a planned stop costs no election
	// timeout. 0 stops at once, as a crash would. Default: 4 ×
	// HeartbeatInterval (200 ms).
	StopTransferTimeout time.Duration

	// SnapshotEntries: once this many entries were applied since the last
	// snapshot, the peer snapshots its state machine and compacts its log
	// (memory and disk) behind it. Only a StateMachine that implements
	// Snapshotter is ever snapshotted. Unit: entries; 0 never snapshots.
	// Default: 8192.
	SnapshotEntries uint64

	// SnapshotMinInterval: after a snapshot, the next waits at least this
	// long, unless 4 × SnapshotEntries entries are applied first (so memory
	// stays bounded): a busy cluster with a large state does not spend its
	// disk rewriting it every SnapshotEntries entries (hashicorp/raft's
	// SnapshotInterval plays this part). 0: no wait. Default: 10 s.
	SnapshotMinInterval time.Duration

	// TrailingEntries is how many entries are kept behind a snapshot, in
	// memory and on disk, so that a follower a little behind gets entries
	// rather than the whole snapshot. Unit: entries. Default: 10240.
	TrailingEntries uint64

	// SnapshotChunkBytes bounds one chunk of a snapshot a leader streams to
	// a follower (InstallSnapshot); four chunks at most are unanswered.
	// Unit: bytes, from 1 to 4 MiB (a frame holds a chunk). Default: 1 MiB.
	SnapshotChunkBytes uint64

	// CatchUpEntries: a SetConfig that adds servers first makes them
	// learners (staging) and moves to the joint configuration, where they
	// vote, only once each holds the leader's log to within this many
	// entries of its last index, so that the new quorum does not wait for
	// a server still far behind. Unit: entries; 0 means the whole log (a
	// busy cluster may then never be caught up with). Default: 1000.
	CatchUpEntries uint64

	// CatchUpTimeout: the leader gives such a change up if the new servers
	// have not caught up after this long in staging: it logs the old
	// configuration again and SetConfig fails with ErrCatchUpTimeout
	// (definite). A leader elected during staging counts from its
	// election. 0 waits for ever. Default: 60 s.
	CatchUpTimeout time.Duration

	// SegmentBytes is the size at which the log server starts a new log
	// segment file. Unit: bytes, at least 4 KiB. Default: 64 MiB. The
	// current segment's file runs up to 1 MiB ahead of its entries in
	// zeros (never past SegmentBytes), so that an fsync need not also
	// record a new file length; a full segment holds only its entries.
	SegmentBytes int64

	// SessionTimeout: a client session (NewSession) that sent no command
	// for this long expires, and its commands then fail with
	// ErrSessionExpired. Time here is logged time: the leader stamps its
	// clock on session entries and every replica expires a session at the
	// same entry, whatever its own clock says. 0: sessions never expire
	// (only MaxSessions ends them). Must be equal on every peer. Unit:
	// wall-clock duration, a whole number of milliseconds. Default: 1 h.
	SessionTimeout time.Duration

	// MaxSessions bounds the client sessions each replica holds;
	// registering one more evicts the least recently used one (by logged
	// time). Must be equal on every peer. Unit: sessions, from 1 to
	// 1,048,576. Default: 4096.
	MaxSessions int

	// MaxSessionResults bounds the results each replica remembers per
	// session to answer retries; a session with more commands unanswered
	// at once loses the oldest result, and a retry of that command fails
	// with ErrSessionExpired. The remembered bytes per session are bounded
	// too, at 1 MiB (the newest result is kept whatever its size). Must be
	// equal on every peer. Unit: results, from 1 to 65,536. Default: 128.
	MaxSessionResults int

	// Seed seeds the election jitter. 0 picks a seed from the clock.
	// Default: 0.
	Seed int64

	// Logger receives the peer's logs. nil means the System's logger.
	// Default: nil.
	Logger *slog.Logger
}

// Defaults, exported through DefaultOptions.
const (
	defaultHeartbeat      = 50 * time.Millisecond
	defaultElectionMin    = 500 * time.Millisecond
	defaultMaxAppendEnts  = 64
	defaultMaxAppendBytes = 1 << 20
	defaultMaxInflight    = 64
	defaultMaxCommand     = 8 << 20
	defaultSegmentBytes   = 64 << 20
	defaultSnapshotEvery  = 8192
	defaultTrailing       = 10240
	defaultChunkBytes     = 1 << 20
	defaultCatchUpEntries = 1000
	defaultCatchUpTimeout = 60 * time.Second

	maxAppendBytesLimit = actor.DefaultMaxMessageBytes / 4
	minSegmentBytes     = 4 << 10
)

// MaxCommandBytesLimit is the largest MaxCommandBytes: an entry holding the
// command must fit one log record (the log server's 16 MiB entry limit) with
// room for its header, and so one network frame. System.Op refuses a larger
// command for any peer, local or not, before sending it.
const MaxCommandBytesLimit = 16<<20 - 4<<10

// DefaultOptions returns Options with every default filled in; DataDir and
// StateMachine are left for the caller.
func DefaultOptions() Options {
	return Options{
		HeartbeatInterval:   defaultHeartbeat,
		ElectionTimeoutMin:  defaultElectionMin,
		ElectionTimeoutMax:  2 * defaultElectionMin,
		MaxAppendEntries:    defaultMaxAppendEnts,
		MaxAppendBytes:      defaultMaxAppendBytes,
		MaxInflight:         defaultMaxInflight,
		MaxCommandBytes:     defaultMaxCommand,
		PreVote:             true,
		CheckQuorum:         true,
		SegmentBytes:        defaultSegmentBytes,
		SnapshotEntries:     defaultSnapshotEvery,
		SnapshotMinInterval: 10 * time.Second,
		TrailingEntries:     defaultTrailing,
		SnapshotChunkBytes:  defaultChunkBytes,
		CatchUpEntries:      defaultCatchUpEntries,
		CatchUpTimeout:      defaultCatchUpTimeout,

		StopTransferTimeout: 4 * defaultHeartbeat,

		SessionTimeout:    time.Hour,
		MaxSessions:       session.DefaultMaxSessions,
		MaxSessionResults: session.DefaultMaxResults,
	}
}

// OptionError names an Options field with a bad value and says why. It
// wraps ErrInvalidOptions.
type OptionError struct {
	Field  string
	Value  any
	Reason string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("rafter: invalid options: %s = %v: %s", e.Field, e.Value, e.Reason)
}

func (e *OptionError) Unwrap() error { return ErrInvalidOptions }

// Validate reports the first bad field as an *OptionError, or nil.
func (o Options) Validate() error {
	bad := func(field string, v any, why string, args ...any) error {
		return &OptionError{Field: field, Value: v, Reason: fmt.Sprintf(why, args...)}
	}
	switch {
	case strings.TrimSpace(o.DataDir) == "":
		return bad("DataDir", fmt.Sprintf("%q", o.DataDir), "a data directory is required")
	case o.StateMachine == nil:
		return bad("StateMachine", "nil", "a state machine constructor is required")
	case o.HeartbeatInterval < time.Millisecond:
		return bad("HeartbeatInterval", o.HeartbeatInterval, "must be at least 1ms")
	case o.ElectionTimeoutMin <= o.HeartbeatInterval:
		return bad("ElectionTimeoutMin", o.ElectionTimeoutMin,
			"must be greater than HeartbeatInterval (%v), or followers campaign against a live leader", o.HeartbeatInterval)
	case o.ElectionTimeoutMax != 0 && o.ElectionTimeoutMax <= o.ElectionTimeoutMin:
		return bad("ElectionTimeoutMax", o.ElectionTimeoutMax,
			"must be 0 (2 × ElectionTimeoutMin) or greater than ElectionTimeoutMin (%v): timeouts are drawn from [min, max)",
			o.ElectionTimeoutMin)
	case o.MaxAppendEntries < 1:
		return bad("MaxAppendEntries", o.MaxAppendEntries, "must be at least 1")
	case o.MaxAppendBytes < 1 || o.MaxAppendBytes > maxAppendBytesLimit:
		return bad("MaxAppendBytes", o.MaxAppendBytes, "must be between 1 and %d bytes", maxAppendBytesLimit)
	case o.MaxInflight < 1:
		return bad("MaxInflight", o.MaxInflight, "must be at least 1")
	case o.MaxCommandBytes < 1 || o.MaxCommandBytes > MaxCommandBytesLimit:
		return bad("MaxCommandBytes", o.MaxCommandBytes, "must be between 1 and %d bytes", MaxCommandBytesLimit)
	case o.SegmentBytes < minSegmentBytes:
		return bad("SegmentBytes", o.SegmentBytes, "must be at least %d bytes", minSegmentBytes)
	case o.SnapshotChunkBytes < 1 || o.SnapshotChunkBytes > maxAppendBytesLimit:
		return bad("SnapshotChunkBytes", o.SnapshotChunkBytes, "must be between 1 and %d bytes", maxAppendBytesLimit)
	case o.SnapshotMinInterval < 0:
		return bad("SnapshotMinInterval", o.SnapshotMinInterval, "must be 0 (no wait) or positive")
	case o.TrailingEntries > 1<<40:
		return bad("TrailingEntries", o.TrailingEntries, "must be at most 2^40")
	case o.CatchUpEntries > 1<<40:
		return bad("CatchUpEntries", o.CatchUpEntries, "must be at most 2^40")
	case o.CatchUpTimeout < 0:
		return bad("CatchUpTimeout", o.CatchUpTimeout, "must be 0 (wait for ever) or positive")
	case o.StopTransferTimeout < 0:
		return bad("StopTransferTimeout", o.StopTransferTimeout, "must be 0 (stop at once) or positive")
	}
	return o.validateSessions()
}

// validateSessions checks the session options.
func (o Options) validateSessions() error {
	bad := func(field string, v any, why string) error { return &OptionError{Field: field, Value: v, Reason: why} }
	switch {
	case o.SessionTimeout < 0 || o.SessionTimeout%time.Millisecond != 0:
		return bad("SessionTimeout", o.SessionTimeout, "must be 0 (never expire) or a positive whole number of milliseconds")
	case o.MaxSessions < 1 || o.MaxSessions > 1<<20:
		return bad("MaxSessions", o.MaxSessions, "must be between 1 and 1048576")
	case o.MaxSessionResults < 1 || o.MaxSessionResults > 1<<16:
		return bad("MaxSessionResults", o.MaxSessionResults, "must be between 1 and 65536")
	}
	return nil
}

// ticks maps the wall-clock options to the core's tick units: the core
// fires its timers in whole ticks (core.Config), and the consensus actor
// ticks every tick. The tick is the heartbeat interval divided into h equal
// parts, h the least that makes a tick at most a tenth of the minimum
// election timeout, so the election jitter has at least ten steps.
func (o Options) ticks() (tick time.Duration, heartbeatTicks, electionTicks int) {
	h := 1
	for o.HeartbeatInterval/time.Duration(h) > o.ElectionTimeoutMin/10 {
		h++
	}
	tick = o.HeartbeatInterval / time.Duration(h)
	electionTicks = int((o.ElectionTimeoutMin + tick/2) / tick)
	if electionTicks <= h {
		electionTicks = h + 1 // the core needs HeartbeatTicks < ElectionTicks
	}
	return tick, h, electionTicks
}

// catchUpTicks maps CatchUpTimeout to core.Options.CatchUpTicks: 0 stays
// 0 (no timeout), anything else is at least one tick.
func (o Options) catchUpTicks(tick time.Duration) int {
	if o.CatchUpTimeout == 0 {
		return 0
	}
	return max(int(o.CatchUpTimeout/tick), 1)
}

// electionTicksMax maps ElectionTimeoutMax to core.Config.ElectionTicksMax
// for the tick and ElectionTicks that ticks returned: 0 stays 0 (the core's
// 2 × ElectionTicks), anything else is rounded to whole ticks and kept
// above electionTicks, as the core requires.
func (o Options) electionTicksMax(tick time.Duration, electionTicks int) int {
	if o.ElectionTimeoutMax == 0 {
		return 0
	}
	return max(int((o.ElectionTimeoutMax+tick/2)/tick), electionTicks+1)
}
