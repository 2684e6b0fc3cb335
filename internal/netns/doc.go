// Package netns is the multi-host test of rafter (issue 7): one
// examples/node process per (virtual) host, each host a Linux network
// namespace, killed with SIGKILL, paused with SIGSTOP and cut off with
// `ip link set ... down` while clients write and read through the nodes'
// Redis (RESP2) ports.
//
// # The network
//
// New creates, for hosts a, b, c, the namespaces rftn<pid>-a, -b, -c and a
// fourth, rftn<pid>-hub, holding a bridge. Each host gets a veth pair, one
// end (eth0, 10.77.0.1..3/24) in its namespace, the other enslaved to the
// bridge in the hub (10.77.0.254/24). Nothing is added to the root
// namespace: the addresses exist only inside the namespaces the test made,
// and no route leads anywhere else. The test process reaches the nodes
// from the hub: DialHub creates each socket on an OS thread switched into
// the hub namespace (setns), and the socket stays there. Close kills what
// runs in the namespaces and deletes them; SweepStale removes those of
// runs that died without cleaning up (their PID is gone).
//
// # The run (TestNetnsFaults)
//
// The nodes talk mutual TLS (issue 12): `node certs` makes a CA and a
// certificate per node, the stranger's included, each naming the node and
// every host's address. Three nodes (election timeout 500 ms–1 s, heartbeat 50 ms), four
// workload clients (GET/SET/APPEND/CAS on 16 keys through random nodes,
// keeping away for 2 s from a node that left a command unanswered) and
// one prober per node (SET of unique keys through that node, every
// 10 ms). Then, in order:
//
//   - SIGKILL the leader; restart it on its data dir;
//   - SIGSTOP the leader until another is elected and serving; SIGCONT;
//     the old leader must step down;
//   - take the leader's link down at the bridge; restore it;
//   - take a follower's link down for 10 s (its address is unreachable):
//     the others' threads, RSS and (if INFO exposes it) goroutine count
//     must not grow;
//   - SIGTERM a follower (exit status 0) and restart it on the same
//     address: it must reconnect and catch up;
//   - start a stranger node (not in the configuration, but holding a
//     certificate of the cluster's CA) in the hub that campaigns against
//     the members: their terms and leader must not
//     change; whether they log it is reported (RAFTER_NETNS_STRICT=1
//     fails when they do not).
//
// After every fault the cluster must serve writes within three election
// timeouts (3 × 1 s) of the fault's start (failover) and of its end, and
// every node must catch up before the next fault. At the end every
// acknowledged probe write must read back through every node, the history
// (with final reads through every node) must be linearizable (porcupine,
// Model: kvsm as the RESP commands show it), and every node must exit 0
// on SIGTERM; started again on their data dirs, each must come back with
// its whole log (the stop wrote and closed its files), and exit 0 again.
// No node's log may hold a data race report or a panic (build the nodes
// with -race: NETNS_RACE=1 scripts/netns-test.sh). A run log (what was
// done when, how long writes took to resume, the figures) is printed at
// the end.
//
// # Running it
//
// It needs root and iproute2 and is opt-in:
//
//	sudo RAFTER_NETNS=1 go test -v -run TestNetns ./internal/netns
//	sudo scripts/netns-test.sh
//
// Otherwise it skips, saying so. RAFTER_NETNS_NODE names a prebuilt
// examples/node binary (else the test builds one); -netns.seed (or
// RAFTER_NETNS_SEED) replays the workload's choices; -netns.keep keeps the
// data and node logs (they are always kept when the test fails).
package netns
