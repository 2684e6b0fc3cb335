// Package benchkit is what the two benchmark programs of this repository
// share: examples/bench (rafter) and bench/baseline (hashicorp/raft with
// raft-wal, a Go module of its own that imports this package through a
// replace directive). Both measure the same workload the same way and
// write the same JSON lines, so one piece of code serves both and their
// figures compare row by row.
//
// It holds:
//
//   - Result, the JSON line of one measured run, and the aggregation of
//     runs into a median table (GroupRows, PrintTable) and a ratio table
//     rafter / hashicorp (PrintRatios).
//   - The workload's command encoding and keys: MakeCmd, DecodeCmd, KeyFor
//     over KeySpace keys; a command is [8-byte id][2-byte key length][key]
//     [value], little endian. Store is the state machine's map, which each
//     program wraps in its library's state-machine interface.
//   - The closed-loop load driver RunLoad: Clients goroutines, a warm-up,
//     then a window in which only operations that both start and finish
//     count; latency percentiles, machine and process CPU.
//   - CPU sampling from /proc/stat and getrusage (ReadCPU, SelfCPU,
//     SampleBusy) and WaitQuiet, which holds a run back until other load on
//     the machine has fallen below a bound.
//   - The processes: Sweep runs each point of a sweep in fresh child
//     processes (RunChild, or RunProcs for one OS process per peer, which
//     end with ServePeer), each after WaitQuiet; CommonFlags are the flags
//     both programs take; ChildMain and ActAsChild let a test binary stand
//     in for its program when it re-executes itself.
//
// The package does not depend on rafter or on hashicorp/raft: each program
// brings its cluster and passes an OpFn and a StatsFn to RunLoad.
//
// Example, the load of one point against some leader:
//
//	res, err := benchkit.RunLoad(func(ctx context.Context, gid, seq int) error {
//		return apply(ctx, benchkit.MakeCmd(benchkit.KeyFor(gid, seq), 100))
//	}, benchkit.NoStats, benchkit.LoadOptions{Clients: 16, Warmup: time.Second, Duration: 5 * time.Second})
package benchkit
