package sim

import (
	"io"
	"math/rand/v2"

	"github.com/rafter-go/rafter/consensus/session"
)

// Time in the simulator is an integer clock. A peer's Tick comes every
// TickUnit time units (with ±1 jitter, so peers drift), message delays and
// fsync delays are drawn in time units.
const TickUnit = 10

// Options shape one schedule. RandomOptions derives them from a seed; a
// test may also build them by hand.
type Options struct {
	Seed uint64
	// Peers is the initial cluster size (3, 5 or 7). Spares more peers run
	// blank, for membership changes to add.
	Peers, Spares int
	// Ticks is how long the chaos lasts; Settle more ticks follow with the
	// network healed and every peer up, so that the cluster can converge.
	Ticks, Settle int
	// Loss and Dup are the probabilities that a message is dropped or
	// delivered twice. MaxDelay bounds a message's delay (time units); a
	// few messages (LongDelay of them) wait up to 10*MaxDelay.
	Loss, Dup, LongDelay float64
	MaxDelay             int64
	// MaxFsync bounds the delay of one write to become durable (time units).
	// With GroupCommit, writes whose fsyncs are due together are
	// acknowledged together, by one Persisted.
	MaxFsync    int64
	GroupCommit bool
	// CrashEvery, PartitionEvery and ConfigEvery are the mean number of
	// ticks between crashes, partitions and membership changes; 0 disables.
	CrashEvery, PartitionEvery, ConfigEvery int
	// BootstrapAll gives the initial configuration to every initial peer at
	// once, not to one.
	BootstrapAll bool
	// Bootstrap creates the cluster with core.Bootstrap on every initial
	// peer (System.Bootstrap's way) instead of SetConfig on a blank peer
	// (rafter's, the legacy path); BootstrapAll is then unused.
	Bootstrap bool
	// Clients is the number of closed-loop clients proposing and reading.
	Clients int
	// ElectionTicks and HeartbeatTicks configure every core; so do PreVote
	// and CheckQuorum (the core must be safe with and without them) and
	// MaxMsgBytes (0: the core's default).
	// ElectionTicksMax (0: the core's default, 2*ElectionTicks) is the
	// exclusive bound of the election timeout draws.
	ElectionTicks, HeartbeatTicks, ElectionTicksMax int
	PreVote, CheckQuorum                            bool
	MaxMsgBytes                                     uint64
	// SnapshotEntries, TrailingEntries, SnapshotChunkBytes and
	// MaxSnapshotInflight configure every core's snapshots (Raft §7):
	// SnapshotEntries 0 takes none; SnapshotChunkBytes 0 is the core's
	// default.
	SnapshotEntries, TrailingEntries, SnapshotChunkBytes uint64
	MaxSnapshotInflight                                  int
	// MaxSnapshotSave bounds the time a snapshot save takes to become
	// durable (time units): a large state machine's save can outlast an
	// install, which then makes it stale.
	MaxSnapshotSave int64
	// SnapshotMinTicks is the core's wait between snapshots (0: none).
	SnapshotMinTicks int
	// Sessions: clients use exactly-once sessions (session.go), with
	// SessionOptions on every replica (Timeout in time units).
	Sessions       bool
	SessionOptions session.Options
	// CatchUpEntries and CatchUpTicks configure every core's staging
	// phase: a SetConfig that adds servers goes joint once each is within
	// CatchUpEntries of the leader's last index, or gives up after
	// CatchUpTicks (0: never).
	CatchUpEntries uint64
	CatchUpTicks   int
	// Learners: the admin also adds and removes learners (read
	// replicas), and crashes prefer a server catching up in staging.
	Learners bool
	// Faults break the harness on purpose, to prove that the checker sees
	// it. All false in real runs.
	Faults Faults
	// Trace, if set, receives one line per event.
	Trace io.Writer
}

// Faults are deliberate harness bugs (test hooks for the checker's tests).
type Faults struct {
	// AckBeforeDurable: Persisted and MessagesAfterPersist go out as soon as
	// a write is handed over; a crash still loses the write.
	AckBeforeDurable bool
	// SendBeforePersist: MessagesAfterPersist leave with Messages (the
	// Ready ordering of step 2 is dropped); Persisted stays honest.
	SendBeforePersist bool
	// LocalReads: reads are answered from the contacted peer's state
	// machine at once, without the core's ReadIndex round.
	LocalReads bool
	// LateSnapshot: a snapshot holds the state machine as it is when the
	// save completes, not at its index (api.go step 0 done lazily).
	LateSnapshot bool
	// InstallKeepsLog: an install keeps the log after the snapshot's index
	// if the log reaches it, whatever the term there (Raft §7 broken).
	InstallKeepsLog bool
	// NoRestore: the state machine is not restored from an installed
	// snapshot when InstallProgress asks for it.
	NoRestore bool
	// SessionReapply: a retried session command is applied again instead
	// of answered from the session table.
	SessionReapply bool
	// SessionLessSnapshot: snapshots leave the session table out.
	SessionLessSnapshot bool
	// CompactUnsynced: a compaction deletes entries while writes handed
	// over before it are not durable yet (the log server's compaction
	// without its sync first).
	CompactUnsynced bool
	// NoSendCheck turns the durable-before-send check off (a checker
	// switch, not a fault), so that a test can show the end-to-end
	// invariants catch a durability fault on their own.
	NoSendCheck bool
}

// RandomOptions draws a schedule's shape from its seed: 3, 5 or 7 peers,
// up to 30% loss, duplicates, long delays, crashes, partitions and
// membership changes (each present in most schedules, absent in some).
func RandomOptions(seed uint64) Options {
	r := rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
	o := Options{
		Seed:           seed,
		Peers:          []int{3, 5, 7}[r.IntN(3)],
		Spares:         2,
		Ticks:          120,
		Settle:         40,
		Loss:           r.Float64() * 0.3,
		Dup:            r.Float64() * 0.1,
		LongDelay:      r.Float64() * 0.05,
		MaxDelay:       int64(1 + r.IntN(TickUnit)),
		MaxFsync:       int64(1 + r.IntN(TickUnit)),
		GroupCommit:    r.IntN(2) == 0,
		BootstrapAll:   r.IntN(3) == 0,
		Clients:        1 + r.IntN(3),
		ElectionTicks:  10,
		HeartbeatTicks: 2,
		PreVote:        r.IntN(5) != 0,
		CheckQuorum:    r.IntN(5) != 0,
	}
	if r.IntN(4) == 0 {
		o.MaxMsgBytes = uint64(1 + r.IntN(64)) // a few entries per message at most
	}
	if r.IntN(4) == 0 {
		// Stormy: short election timeouts and delays of up to three ticks,
		// so that messages of old terms arrive in new ones.
		o.ElectionTicks, o.HeartbeatTicks = 3+r.IntN(4), 1
		o.MaxDelay = int64(1 + r.IntN(3*TickUnit))
	}
	if r.IntN(4) == 0 {
		o.ElectionTicksMax = o.ElectionTicks + 1 + r.IntN(3*o.ElectionTicks) // narrow to wide
	}
	if r.IntN(8) != 0 {
		o.CrashEvery = 10 + r.IntN(40)
	}
	if r.IntN(8) != 0 {
		o.PartitionEvery = 10 + r.IntN(40)
	}
	if r.IntN(6) != 0 {
		o.ConfigEvery = 10 + r.IntN(30)
	}
	// Snapshots every 5-50 entries (none in some schedules, every 5-10 in
	// others), 0-20 entries kept behind, and tiny chunks so that a transfer takes many (or, in
	// some schedules, the core's default: the whole file in one chunk).
	if r.IntN(8) != 0 {
		o.SnapshotEntries = uint64(5 + r.IntN(46))
	}
	o.TrailingEntries = uint64(r.IntN(21))
	if r.IntN(4) == 0 {
		// Aggressive: frequent snapshots, almost nothing kept behind, so
		// a follower a little behind needs InstallSnapshot.
		o.SnapshotEntries, o.TrailingEntries = uint64(5+r.IntN(6)), uint64(r.IntN(3))
	}
	if r.IntN(8) != 0 {
		o.SnapshotChunkBytes = uint64(1 + r.IntN(16))
	}
	o.MaxSnapshotInflight = 1 + r.IntN(4)
	o.MaxSnapshotSave = 3*o.MaxFsync + TickUnit
	if r.IntN(4) == 0 {
		o.MaxSnapshotSave = int64(10+r.IntN(60)) * TickUnit // slow saves
	}
	// Drawn last, so that the draws above (and the schedules of seeds
	// that do not bootstrap) are what they were before it existed.
	o.Bootstrap = r.IntN(2) == 0
	if r.IntN(4) == 0 {
		o.SnapshotMinTicks = 1 + r.IntN(30) // snapshots wait, or the log reaches 4x
	}
	// Sessions in three schedules of four: expiring after 30-150 ticks of
	// logged time or never, few sessions (evictions) or many, few
	// remembered results (forgotten ones) or many.
	if r.IntN(4) != 0 {
		o.Sessions = true
		if r.IntN(3) != 0 {
			o.SessionOptions.Timeout = uint64(30+r.IntN(121)) * TickUnit
		}
		if r.IntN(3) == 0 {
			o.SessionOptions.MaxSessions = 1 + r.IntN(3)
		}
		if r.IntN(2) == 0 {
			o.SessionOptions.MaxResults = 1 + r.IntN(3)
		}
	}
	// Learners and staging, drawn after everything above. A catch-up
	// window of 0 (the whole log), a few entries or a few tens; a timeout
	// of never, or 10-70 ticks (crashes and partitions make it fire). A
	// window of 0 always has a timeout: with clients writing all the time
	// a new server may never hold the leader's very last entry, and the
	// change would wait for ever (a liveness matter, see Options).
	switch r.IntN(3) {
	case 1:
		o.CatchUpEntries = uint64(1 + r.IntN(5))
	case 2:
		o.CatchUpEntries = uint64(5 + r.IntN(30))
	}
	if r.IntN(3) != 0 || o.CatchUpEntries == 0 {
		o.CatchUpTicks = 10 + r.IntN(60)
	}
	o.Learners = r.IntN(2) == 0
	return o
}

// electionMax is the longest election timeout a core of o draws, in ticks.
// Run lets the settle phase last at least four of them, so that a
// converged cluster is expected of every schedule, whatever its timeouts.
func (o Options) electionMax() int {
	if o.ElectionTicksMax > 0 {
		return o.ElectionTicksMax
	}
	return 2 * o.ElectionTicks
}
