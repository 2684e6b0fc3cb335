// Package consensus is the consensus actor of a rafter peer: the shell around
// one deterministic Raft core (package consensus/core). It is the Go
// counterpart of rafter's rafter_consensus_fsm, with the protocol moved into
// the core and only effects left here (etcd-io/raft's RawNode loop; ra's
// ra_server_proc around ra_server).
//
// Each peer is a supervised pair: a log server "<name>/log" (package
// logserver) and this actor "<name>/consensus". The actor
//
//   - on (re)start loads the whole log from its log server (LogLoad), builds
//     the core from it, creates a fresh state machine and arms a tick timer;
//   - turns timer ticks, Raft messages from other peers, client requests and
//     the log server's LogWritten acknowledgements into core calls;
//   - once per mailbox round (a flush marker it sends itself, flush.go), so
//     that everything queued meanwhile shares one Ready, executes the core's
//     Ready in the order core/api.go fixes (ready.go): one LogWrite,
//     messages now, MessagesAfterPersist once that write is durable, committed
//     OP entries applied to the state machine, reads answered, results
//     delivered; the answers to clients are all in requests.go;
//   - hands a BootstrapRequest to the core (core.Bootstrap), never
//     forwarded: System.Bootstrap asks every initial member itself;
//   - forwards Op, ReadOp and SetConfig to the leader when it is a follower
//     that knows one, with the client as sender so the leader answers the
//     client directly (rafter's first TODO), up to Options.MaxForwardHops;
//   - runs exactly-once client sessions (sessions.go): an OpRequest that
//     registers a session or names one becomes a SESSION entry or a session
//     OP entry stamped with the leader's clock (core.ProposeSession), and
//     such entries are applied through the session table
//     (consensus/session), which answers a retried command with its
//     remembered result; snapshots carry the table in front of the state
//     machine's bytes (snapshot_sessions.go).
//
// # The walk of one Op
//
// Which file does what, in order, for a write sent to the leader (a
// follower first forwards it: requests.go forward, through send.go's
// interceptor):
//
//  1. rafter.System.Op (client.go) sends an OpRequest with actor.Call
//     (actor/call.go) to "<leader>/consensus". [leader mailbox 1]
//  2. actor.go Receive hands it to requests.go, which tracks the sender
//     and calls core.Propose; the core appends the entry (core/propose.go,
//     core/leader.go). flush.go queues one flush marker behind what is
//     already in the mailbox. [leader mailbox 2: the marker]
//  3. ready.go drain takes the core's Ready (core/ready.go; the
//     AppendEntries come from core/replication.go) and executes it: one
//     LogWrite, carrying the commit floor, to the log server
//     (logserver/actor.go: written at once, fsynced with everything that
//     arrived meanwhile, acknowledged with LogWritten), and the
//     AppendEntries to the followers (send.go).
//  4. Each follower's consensus actor steps the AppendEntries (core/step.go,
//     core/step_follower.go), writes the entries the same way, and sends
//     its success reply only once its LogWritten says they are durable.
//  5. The leader steps its own LogWritten (core.Persisted) and the
//     followers' replies (core/step_leader.go); core/commit.go advances the
//     commit index on a quorum. [leader mailbox 3, 4: the acknowledgements]
//  6. The next flush [leader mailbox 5] hands the entry out in
//     Ready.Committed: ready.go applies it to the state machine and
//     requests.go answers the client with Apply's result; Advance tells
//     the core it is applied.
//
// Messages it does not understand are logged and dropped. A failed log write
// or a lost log server panics the actor, so the supervisor restarts the pair
// from what is on disk.
//
// Example (package rafter does this inside a supervisor):
//
//	opts := consensus.Options{
//		Self:            &rafterpb.Peer{Name: "a"},
//		System:          sys,
//		Log:             logPID, // "a/log", a logserver.Props actor
//		Core:            core.Options{ElectionTicks: 10, HeartbeatTicks: 2, MaxMsgEntries: 64, MaxMsgBytes: 1 << 20, MaxInflight: 8, PreVote: true, CheckQuorum: true},
//		TickInterval:    15 * time.Millisecond,
//		NewStateMachine: func() consensus.StateMachine { return newEcho() },
//	}
//	if err := opts.Validate(); err != nil { ... }
//	pid, err := sys.Root().SpawnNamed(consensus.Props(opts), "a/consensus")
//	reply, err := actor.Call[*rafterpb.OpReply](ctx, sys, pid, &rafterpb.OpRequest{Cmd: cmd})
package consensus
