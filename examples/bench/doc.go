// Command bench measures a 3-peer rafter cluster with real fsync: committed
// Op throughput and latency, and linearizable ReadOp throughput.
//
// Its workload is the one bench/baseline (hashicorp/raft + raft-wal, a Go
// module of its own in this repository) runs, so that the figures compare
// row by row: 3 peers, a map[string][]byte state machine over 10,000 keys,
// a command is [8-byte id][2-byte key length][key][value], closed-loop
// client goroutines send to the leader and wait until the command is
// committed and applied, 1 s warm-up then a 5 s window in which only
// operations that both start and finish count, medians of -runs runs,
// each run fresh child processes. Both programs write the same JSON lines
// (benchkit.Result), so -aggregate and -compare read either's. What the two
// share (workload encoding, load driver, CPU sampling, child processes,
// tables, common flags) is package benchkit, which bench/baseline imports.
//
// Transports: "local" puts the three peers in one rafter.System (messages
// between peers are local actor sends); "remote" gives each peer its own
// System listening on 127.0.0.1, so every Raft message crosses protoactor's
// gRPC remote, all in one OS process; "procs" runs each peer in its own OS
// process (this binary re-executed with -role peer, one System each on
// 127.0.0.1), the way users deploy rafter. Clients always call from the
// leader's System (in "procs", the leader's process), as the baseline calls
// raft.Apply on the leader.
//
// "procs" re-executes this binary rather than running examples/node: the
// peers then run exactly this program's state machine and options, and the
// clients call System.Op in the leader's process as in the other modes and
// as the baseline's -procs does, instead of adding a RESP hop and kvsm.
//
// Entries per fsync on the leader come from its log server, asked through
// the leader's System (System.LogStats; log servers do not answer other
// Systems). -stats=false turns this off.
//
// -metrics off,on measures the cost of Prometheus metrics
// (SystemOptions.Metrics): each load runs without and then with them, so
// the two rows of a load come from the same sweep:
//
//	/tmp/rafter-bench -op write -clients 16 -size 100 -transport local -metrics off,on -runs 3
//
// -trace RATE samples that fraction of writes and prints, after each run,
// the time and share of each hop of a write (client, leader's consensus
// actor, core, log server, fdatasync, AppendEntries, the follower's same
// hops, its ack, commit, apply, answer): the latency budget in README.md.
// It uses internal/hoptrace, whose hooks in the library cost one atomic
// load per write when off. -blockprofile and -mutexprofile write the
// runtime's block and mutex profiles. With "procs" they cover the leader's
// process only: the trace then has the client's and the leader's hops and
// no follower's.
//
// Example, the issue-15 points beside the baseline (scripts/bench-compare.sh
// runs all of it):
//
//	go build -o /tmp/rafter-bench ./examples/bench
//	/tmp/rafter-bench -op write -clients 1,16,128 -size 100,1024 -transport local,procs -json out.jsonl
//	(cd bench/baseline && go build -o /tmp/baseline .)
//	/tmp/baseline -clients 1,16,128 -size 100,1024 -json out.jsonl
//	/tmp/baseline -transport tcp -procs -clients 1,16,128 -size 100,1024 -json out.jsonl
//	/tmp/rafter-bench -compare out.jsonl
//	/tmp/rafter-bench -clients 128 -size 100 -op write -runs 1 -cpuprofile /tmp/cpu
package main
