// Command cluster is rafter's five-minute demo, the README's "run"
// command:
//
//	go run ./examples/cluster [-dir D] [-timeout 60s]
//
// It starts three peers (a, b, c) in one process with kvsm as their state
// machine and their data under D (a temporary directory by default),
// creates the cluster with System.Bootstrap, writes through a follower (which forwards to the
// leader) and reads linearizably through every peer, kills the leader's
// consensus actor with System.Kill (its supervisor restarts it from disk,
// as rafter's one_for_all supervisor does), waits for a leader of a newer
// term, and reads every key back through every peer. Each step is printed
// with the time since the start. It exits 0 when every step succeeded and
// 1, naming the step, if one failed or the whole demo did not finish
// within -timeout.
package main
