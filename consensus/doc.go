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
//     Ready in the order core/api.go fixes: one LogWrite,
//     messages now, MessagesAfterPersist once that write is durable, committed
//     OP entries applied to the state machine, reads answered, results
//     delivered;
//   - forwards Op, ReadOp and SetConfig to the leader when it is a follower
//     that knows one, with the client as sender so the leader answers the
//     client directly (rafter's first TODO), up to Options.MaxForwardHops.
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
//		Core:            core.Config{ElectionTicks: 10, HeartbeatTicks: 2, MaxMsgEntries: 64, MaxMsgBytes: 1 << 20, MaxInflight: 8, PreVote: true, CheckQuorum: true},
//		TickInterval:    15 * time.Millisecond,
//		NewStateMachine: func() consensus.StateMachine { return newEcho() },
//	}
//	if err := opts.Validate(); err != nil { ... }
//	pid, err := sys.SpawnNamed(consensus.Props(opts), "a/consensus")
//	reply, err := actor.Call[*rafterpb.OpReply](ctx, sys, pid, &rafterpb.OpRequest{Cmd: cmd})
package consensus
