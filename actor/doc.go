// Package actor holds the Erlang-style helpers over protoactor-go
// (imported as protoactor) that the rest of rafter builds on: the places
// where OTP habits meet protoactor's API.
//
// A System is one node: a protoactor ActorSystem plus, when
// Options.ListenAddr is set, its gRPC remote. On top of it:
//
//   - named processes: SpawnNamed registers a top-level actor under a name
//     ({local, Name}) and Shutdown stops it; Whereis looks a name up
//     (erlang:whereis/1). Taken and unknown names are errors
//     (ErrNameTaken, ErrUnknownName), not silent dead letters;
//   - Call (gen_server:call) sends a request and waits for a typed reply,
//     with the deadline taken from a context.Context; Cast
//     (gen_server:cast) sends without waiting;
//   - addressing: PIDOf(name, node) turns rafter's {Name, Node} peer into a
//     PID the same way on every node, local or remote;
//   - protoactor's own logs go to the *slog.Logger in Options, quiet when
//     it is nil.
//
// The supervisor package spawns each peer's supervisor (and it its log
// server and consensus actor) through the root context; rafter spawns its
// System's control actor with SpawnNamed. Clients and the supervisor
// package use Call and Cast; rafter's Peer{Name, Node} becomes a PID with
// PIDOf.
//
// # Remote protections
//
// docs/protoactor-traps.md (in this repository) lists each trap of the pinned
// protoactor version, where it is upstream, and the workaround. NewSystem
// starts the remote before anything is spawned (PIDs spawned earlier keep
// the address "nonhost") and applies every workaround of §4–§11 there:
//
//   - gRPC recovery interceptors (unary and stream): an unregistered
//     protobuf type otherwise crashes the whole process;
//   - an inbound filter in front of protoactor's endpoint reader
//     (inbound.go): envelopes that are malformed, not protobuf, or
//     addressed to another node (protoactor would relay them) are dropped,
//     Options.Accept decides the rest, and the unary RPCs (process
//     listing, diagnostics; unimplemented upstream) are refused. Refusals
//     are counted (System.Refused) and logged, rate-limited;
//   - with Options.TLS, mutual TLS 1.3 on the server and the dialer;
//     TLSFromFiles builds a configuration that reloads rotated files and
//     checks an optional allowlist of certificate names on both sides;
//   - per-connection limits: a few streams, bounded headers;
//   - MaxMessageBytes (64 MiB) as gRPC's receive limit instead of 4 MiB,
//     over which a batch and the messages behind it are silently lost;
//   - one connect attempt per cycle (MaxRetryCount = 1): protoactor's 5
//     leak a grpc.ClientConn each while a peer is down;
//   - a small endpoint writer queue (4096 slots, not ~16 MB per peer);
//   - an explicit advertised address (never 0.0.0.0 or [::]);
//   - keepalive, so a black-holed peer is detected;
//   - a Shutdown that does not use protoactor's graceful remote shutdown,
//     which panics ("send on closed channel") or races when connected nodes
//     stop together.
//
// # Traps left to the caller
//
// Delivery is at-most-once, FIFO per sender and receiver while a
// connection lives. Only proto.Message values cross nodes. A Call that
// times out may still have been handled. Call does not use protoactor's
// Future (one waiter wakes, its result races with late replies, issue
// #1145); it registers a one-shot reply process instead, named "call$N",
// so do not spawn actors under such names.
//
// protoactor's Remote.Start writes gRPC's global logger
// (grpclog.SetLoggerV2, documented as not goroutine-safe). With several
// Systems in one process that write races with the other Systems' gRPC
// log reads, and -race reports it. NewSystem orders the write after every
// channelz trace-event read (it turns channelz on once per process for
// that) and waits until its own server has made its first read
// (grpclog_race.go). That covers what the tests here exercise; verbose-level
// gRPC logs of connections closing while another System starts are not
// covered: CI (.ci/run) runs a package again, once, when every race it
// reported is that write (scripts/grpclog-race-retry.sh).
//
// # Example
//
//	a, _ := actor.NewSystem(actor.Options{ListenAddr: "127.0.0.1:0"})
//	b, _ := actor.NewSystem(actor.Options{ListenAddr: "127.0.0.1:0"})
//	defer a.Shutdown()
//	defer b.Shutdown()
//	b.SpawnNamed(protoactor.PropsFromFunc(func(c protoactor.Context) {
//		if m, ok := c.Message().(*wrapperspb.StringValue); ok {
//			c.Respond(wrapperspb.String("hello " + m.GetValue()))
//		}
//	}), "greeter")
//	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
//	defer cancel()
//	r, err := actor.Call[*wrapperspb.StringValue](ctx, a,
//		a.PIDOf("greeter", b.Address()), wrapperspb.String("a"))
//	// r.GetValue() == "hello a"
package actor
