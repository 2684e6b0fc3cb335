// Command baseline measures hashicorp/raft with raft-wal on exactly the
// workload of rafter's examples/bench, so that the two programs' figures
// compare row by row and one aggregator reads both (same JSON lines).
//
// It lives in a Go module of its own (bench/baseline/go.mod) so that the
// rafter library never depends on hashicorp/raft: a go.mod in a
// subdirectory cuts that directory out of the main module, so `go build
// ./...`, `go vet ./...`, `go test ./...` and `go mod tidy` in the
// repository root neither see nor need it. The dependency runs the other
// way: this module requires the library module (replace => ../..) for
// package examples/bench/benchkit, the code both benchmark programs share
// (workload encoding, load driver, CPU sampling, child processes, Result
// and its tables, common flags).
//
// # Workload (the same as examples/bench)
//
//   - 3 peers, raft.DefaultConfig() (snapshots at their defaults, into an
//     in-memory snapshot store), log store raft-wal (one fsync per batch)
//     behind raft.NewLogCache(512) as Consul runs it; -store mem swaps in
//     raft.InmemStore for an upper bound without disk.
//   - The state machine is a map[string][]byte; a command is
//     [8-byte id][2-byte key length][key][value], little endian, the key
//     "k<n>" with n = (client*7919 + seq) mod 10,000.
//   - Closed-loop client goroutines call raft.Apply on the leader (timeout
//     10 s) and wait until the command is committed and applied there; after
//     an error a client pauses 10 ms.
//   - 1 s warm-up, then a 5 s window; only operations that start and finish
//     inside the window count. Latency percentiles p50, p99, p99.9, max.
//   - Every (point, run) is a fresh child process (of this binary); the
//     table shows medians over -runs. Before each run the program waits (up
//     to -quietwait) for other load on the machine to fall below -maxbg cores.
//
// # Transports
//
// "inmem" is raft.NewInmemTransport, the three peers in one process (the
// counterpart of examples/bench -transport local). "tcp" is
// raft.NewTCPTransport on 127.0.0.1, all three peers in one process
// (counterpart of -transport remote). "-transport tcp -procs" runs each peer
// in its own OS process over TCP on 127.0.0.1, the way users deploy
// (counterpart of -transport procs); the process whose peer wins the
// election runs the clients and reports.
//
// # Example
//
//	cd bench/baseline && go build -o /tmp/baseline .
//	/tmp/baseline -size 100 -clients 1,16,128 -json out.jsonl
//	/tmp/baseline -transport tcp -procs -size 100 -clients 16,128
//	/tmp/baseline -aggregate out.jsonl
//
// scripts/bench-compare.sh in the repository root runs this beside
// examples/bench and prints the ratio table.
package main
