// Package hoptrace records when a sampled write passes each hop of its
// path through a cluster: the client's call, the leader's consensus actor,
// its core, its log server and fdatasync, the AppendEntries to a follower
// and that follower's own write and fdatasync, the acknowledgement, commit,
// apply and the client's answer. examples/bench -trace prints the table of
// each hop's share of a write's latency (its README's latency budget).
//
// It is internal on purpose: it is a measuring instrument for this
// repository's benchmarks, not an API. The library calls it from its hot
// path (rafter.System.Op, the consensus actor, the log server); with no
// Recorder installed each call is one atomic load (Active returns nil), and
// with one installed a write that is not sampled costs a short scan of the
// few open traces under a mutex and allocates nothing
// (BenchmarkOffPath, BenchmarkOnNotSampled).
//
// One Recorder per process, installed with Install; it traces one cluster
// (a trace is keyed by log index, and each hop is stamped by the peer that
// reaches it). With the peers in separate processes, each process's
// recorder can keep its calls (LogEvents), stamped with the wall clock, and
// Replay joins those of all processes into one recorder (events.go). The peer whose consensus actor sampled the proposal is the
// trace's leader; the first other peer to receive the entry is its
// follower, and only that peer's hops are stamped on the follower side, so
// each follower hop follows the previous one of the same peer.
//
//	r := hoptrace.New(0.01) // sample 1 % of proposals
//	hoptrace.Install(r)
//	defer hoptrace.Install(nil)
//	// ... run the load ...
//	r.WriteTable(os.Stderr)
package hoptrace
