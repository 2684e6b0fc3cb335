// Package rafter is a Raft consensus library, a Go port of the Erlang
// library rafter: every peer is a supervised pair of actors on protoactor-go,
// a log server that owns the peer's files and a consensus actor running the
// Raft state machine, and peers talk to each other and to clients only by
// protobuf messages, so a peer may live in another process or host.
//
// # Shape
//
// A System hosts peers (one protoactor actor system, optionally listening
// on an address for other Systems). StartNode starts one peer:
//
//	"<name>"            supervisor, one_for_all, at most 5 restarts in 10 s
//	 ├─ "<name>/log"       log server: entries, term and vote in Options.DataDir
//	 └─ "<name>/consensus" Raft: follower / candidate / leader
//
// If either actor dies both are restarted: the log server recovers from disk
// and the consensus actor rebuilds its state machine from the newest
// snapshot and the committed log after it (see Snapshotter). A peer is named Peer{Name, Node}, Node being the address of
// its System ("" for this process), as rafter's {Name, Node}.
//
// # Using it
//
// Start peers, create the cluster with Bootstrap (every initial member
// makes the first configuration, with a random cluster ID, durable before
// any election), then submit commands with Op through any peer: a follower
// forwards to the leader. ReadOp runs a linearizable query. SetConfig
// through a member changes membership by joint consensus; a new peer joins
// that way and learns the cluster ID from the leader, first as a learner
// that votes in nothing until it has caught up (Options.CatchUpEntries,
// CatchUpTimeout). AddLearner and RemoveLearner manage read replicas:
// learners that never vote and serve StaleReadOp. The package-level
// functions (StartNode, Op, ...) act on a default local System, as
// rafter.erl's do.
//
//	sys, _ := rafter.NewSystem(rafter.SystemOptions{})
//	defer sys.Shutdown()
//	opts := rafter.DefaultOptions()
//	opts.DataDir = "/var/lib/app/a"
//	opts.StateMachine = func() rafter.StateMachine { return newMySM() }
//	a := rafter.Peer{Name: "a"}
//	_ = sys.StartNode(a, opts)              // and b, c with their own DataDir
//	_ = sys.Bootstrap(ctx, []rafter.Peer{a, b, c})
//	res, err := sys.Op(ctx, b, []byte("cmd")) // forwarded to the leader
//
// Op is at most once: after an error of unknown outcome (rafter.Definite
// is false) the command may or may not have been applied. For commands
// that must be applied exactly once, open a Session: its Op carries
// (session, sequence), retries unknown outcomes by itself, and every
// replica answers a retry of an applied command with the result it
// remembered (Raft thesis §6.3; session.go, consensus/session).
//
//	se, _ := sys.NewSession(ctx, b)
//	res, err = se.Op(ctx, []byte("incr"))   // applied once, however often retried
//
// The legacy path, rafter's: SetConfig(ctx, a, peers) on one blank peer
// makes it campaign with the list and log it once elected. It still works,
// but only for peers of a cluster that does not exist yet: a blank peer
// cannot tell it from a change meant for a running cluster it has not heard
// from. Use Bootstrap.
//
// Every Raft message carries its sender's cluster ID, and a peer drops
// (logs and counts, Status.RefusedMessages and the metrics' drop reason
// other_cluster) the messages of another cluster: two clusters whose peers
// share names, wired to each other by mistake, neither merge nor disturb
// each other.
//
// # Security
//
// Systems that talk over the network use mutual TLS: set SystemOptions.TLS,
// e.g. from TLSFromFiles(cert, key, ca, allowedNames...), on every System.
// Each side presents a certificate of the CA and verifies the other's (TLS
// 1.3); the optional allowlist of certificate names is checked on both
// sides; rotated files are picked up at the next handshake. A peer's
// identity is its certificate: a Raft message is accepted only if its
// sender's name is among the names (DNS SANs, common name) of the
// certificate its connection presented, so each System's certificate names
// the peers it hosts. Secure by default: NewSystem refuses to listen beyond
// loopback without TLS unless SystemOptions.Insecure says so.
//
// Whatever the transport, a System accepts from other Systems only Raft
// messages to consensus actors, the client requests of this API, replies
// to its own calls, and remote Kill; log servers, supervisors, protoactor's
// system messages (Stop, PoisonPill, Watch) and process listing are
// local-only. Refused messages are logged and counted (System.Refused).
// docs/protoactor-traps.md says which protoactor behaviours this works around.
//
// # Observing
//
// Status asks one peer for its Raft state; SystemOptions.Metrics exports
// Prometheus metrics (package metrics); Subscribe streams what happens at
// the local peers as Events (package events: roles, votes, entries
// appended, committed and applied, messages, timer resets, configuration
// changes, kills and restarts), bounded per subscriber and free when no one
// subscribes. Package observe serves all three over HTTP, and
// examples/scope draws a cluster from them in a web page.
//
// # Errors
//
// Every error is a sentinel or a typed error (errors.Is / errors.As), and
// is either definite (the command was not appended and never will be) or
// of unknown outcome (ErrTimeout, ErrLeadershipLost, ErrPeersNotResponding,
// ErrInternal, a cancelled context); Definite tells them apart. See
// errors.go.
package rafter
