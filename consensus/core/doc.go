// Package core is the deterministic Raft state machine of rafter for Go: the
// protocol with no goroutines, clocks, randomness other than a seeded source,
// I/O or actors. The consensus actor (package consensus) and the simulator
// (internal/sim) drive it the same way, which is what lets the simulator replay
// any schedule from its seed.
//
// Inputs are Tick, Step (a message from another peer), Propose, Read,
// SetConfig, TransferLeadership, Bootstrap, ForceSnapshot, Persisted (the log
// server's durability acknowledgement), SnapshotSaved and InstallProgress
// (its answers about snapshots).
// Outputs are collected in a Ready, which the shell executes in the order
// documented on the Ready type and then passes back to Advance:
//
//	c, err := core.New(core.Config{ID: me, ElectionTicks: 10, HeartbeatTicks: 1, Seed: seed,
//		PreVote: true, CheckQuorum: true}, restored)
//	...
//	c.Tick()                 // or c.Step(msg), c.Propose(id, cmd), ...
//	for c.HasReady() {
//		rd := c.Ready()
//		// 0. snapshot the state machine if rd.Snapshot asks
//		// 1. write rd.Meta and rd.Entries (truncating a conflicting suffix)
//		// 2. send rd.Messages now, rd.MessagesAfterPersist once every write
//		//    handed out so far is durable
//		// 3. apply rd.Committed, 4. answer rd.Reads, 5. deliver rd.Results
//		// 6. compact to rd.Compact, hand rd.Install chunks to the log server
//		c.Advance(rd)
//	}
//	// later, from the log server:
//	c.Persisted(lastIndex, lastTerm)
//
// What the core implements (Raft paper and thesis sections, rafter origins):
//
//   - Elections with timeouts drawn from [ElectionTicks, ElectionTicksMax)
//     (§5.2; ElectionTicksMax defaults to 2*ElectionTicks), PreVote (thesis §9.6) and CheckQuorum with a leader lease for
//     votes (thesis §6.2, §4.2.3); voting per §5.4.1 (election.go).
//
//   - Replication with batching and pipelining: per-follower progress in
//     probe or replicate mode, a bounded in-flight window, and a fast
//     back-off that skips a term per round trip from the follower's reject
//     hint (progress.go, replication.go, step_leader.go, step_follower.go).
//
//   - Commit through config.QuorumMax, of current-term entries only
//     (§5.4.2), with the leader's own entry counted once Persisted
//     (commit.go); a no-op entry on election (leader.go).
//
//   - Bootstrap: every initial member writes the same first configuration,
//     with the cluster ID the shell drew, as entry 1 of term 1 before any
//     election, and answers once it is durable (bootstrap.go); every
//     message carries the ID and a peer drops another cluster's
//     (ErrOtherCluster, membership.go).
//
//   - rafter's initial configuration on blank peers, the legacy path
//     (refused by a blank peer that has seen a cluster, which would
//     otherwise start a second one), and joint consensus (transitional,
//     then stable), one change at a time (membership.go, commit.go).
//
//   - Learners (thesis §4.2.1): servers a change adds catch up as
//     non-voters in a staging configuration, and the joint configuration
//     follows only once each is within CatchUpEntries of the leader's last
//     index (or the change is given up after CatchUpTicks,
//     ErrCatchUpTimeout); read replicas are added and removed with
//     AddLearner / RemoveLearner. A learner is replicated to, never counts
//     in a quorum, never campaigns, is never a transfer target, and
//     forwards client requests as a follower does (learner.go).
//
//   - ReadIndex reads confirmed by a send_clock quorum round, answered only
//     after the leader committed an entry of its term (read.go).
//
//   - A configured peer drops, with ErrUnknownPeer, the votes, unexpected
//     AppendEntries replies and hopeless vote requests of peers its latest
//     configuration does not list; never AppendEntries, which a lagging
//     member needs (thesis §4.2.3; unknown_peer.go says why this keeps
//     membership changes live).
//
//   - Snapshots and compaction (§7): a snapshot every SnapshotEntries
//     applied entries, the log kept TrailingEntries behind it in memory and
//     on disk, InstallSnapshot streamed in chunks with a window, resumed
//     after a loss, and never compacted away under a follower still
//     installing one (snapshot.go, log.go).
//
// Broken invariants (two leaders in a term, a committed entry overwritten)
// panic: the supervisor restarts the peer.
package core
