// Command bench measures a 3-peer rafter cluster with real fsync: committed
// Op throughput and latency, and linearizable ReadOp throughput.
//
// It runs the workload of ../shared/bench-peers (the hashicorp/raft and
// etcd-io/raft baseline harness) so that the figures compare: 3 peers, a
// map[string][]byte state machine over 10,000 keys, a command is
// [8-byte id][2-byte key length][key][value], closed-loop client goroutines
// send to the leader and wait until the command is committed and applied,
// 1 s warm-up then a 5 s window in which only operations that both start and
// finish count, medians of -runs runs, each run a fresh child process.
//
// Transports: "local" puts the three peers in one rafter.System (messages
// between peers are local actor sends); "remote" gives each peer its own
// System listening on 127.0.0.1, so every Raft message crosses protoactor's
// gRPC remote, all in one OS process. Clients always call from the
// leader's System, as the baseline harness calls raft.Apply on the leader.
//
// Entries per fsync on the leader come from its log server, asked through
// the leader's System (System.LogStats; log servers do not answer other
// Systems). -stats=false turns this off.
//
// Example, the issue-6 points beside the baseline:
//
//	go build -o /tmp/rafter-bench ./examples/bench
//	/tmp/rafter-bench -clients 1,16,128 -size 100,1024 -op write,read -json out.jsonl
//	/tmp/rafter-bench -aggregate out.jsonl
//	/tmp/rafter-bench -clients 128 -size 100 -op write -runs 1 -cpuprofile /tmp/cpu
package main
