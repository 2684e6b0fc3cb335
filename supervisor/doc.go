// Package supervisor gives protoactor-go actors OTP supervisors: the
// process tree rafter builds with rafter_sup and rafter_consensus_sup.
//
// Each rafter peer is a one_for_all supervisor named after the peer with two
// permanent children, the log server then the consensus actor, at most 5
// restarts in 10 s:
//
//	peer, err := supervisor.Start(ctx, system.Root, "peer1", supervisor.Spec{
//		Strategy:    supervisor.OneForAll,
//		MaxRestarts: 5,
//		Period:      10 * time.Second,
//		Children: []supervisor.ChildSpec{
//			{Name: "log", Props: logProps},             // id "peer1/log"
//			{Name: "consensus", Props: consensusProps}, // id "peer1/consensus"
//		},
//		OnStop: func(reason error) { /* nil, *IntensityError or *StartError */ },
//	})
//
// # What it adds to protoactor
//
// protoactor's supervision (docs/protoactor-traps.md §3) restarts a crashed actor
// in place and counts restarts per child; past the limit it stops the child
// silently; it has no rest_for_one, no transient or temporary children, no
// ordered start or stop. This package builds the OTP behaviour:
//
//   - Strategies OneForOne, OneForAll, RestForOne; restart types Permanent,
//     Transient, Temporary (see their docs for the exact rules).
//   - A child that crashes (panics in Receive) is abnormal; a child that
//     stops any other way (stops itself, is poisoned or stopped by someone
//     else) has exited normally. Permanent children are restarted either
//     way, Transient ones only after a crash, Temporary ones never.
//   - Restart intensity per supervisor: the (MaxRestarts+1)-th restart within
//     Period makes the supervisor give up: it stops all its children in
//     reverse start order, calls OnStop with an *IntensityError and ends. A
//     top-level supervisor stops itself; one with a parent actor crashes
//     with the *IntensityError, so the parent hears why: a parent supervisor
//     handles it as a crashed child, a plain actor's protoactor
//     SupervisorStrategy gets it as the failure reason.
//   - Ordered start: children start one after the other, each after the
//     previous one's Started handler has returned. A child fails to start
//     when its spawn fails (name taken, producer panics), its Started handler
//     panics, or it implements StartErrorer and reports an error. Start then
//     stops the children already started, in reverse order, and returns a
//     *StartError; StartChild returns it and keeps nothing; during a restart
//     it counts as another crash of that child.
//   - Ordered stop: Stop, protoactor's Stop of the supervisor, or its
//     parent stopping it, all stop the children one by one in reverse start
//     order and wait for each.
//   - Run time: StartChild, TerminateChild, WhichChildren, Stop.
//
// # Restarts are stop + respawn
//
// A restart stops the child's process and spawns a new one under the same
// name: the id ("<supervisor>/<name>") is unchanged, so PIDs held anywhere,
// local or remote, reach the new incarnation, while the producer gives it
// fresh state and it gets a fresh mailbox (messages queued at the crashed
// incarnation are dropped, as they are with an OTP restart). protoactor's
// in-place restart would keep the mailbox; this package never uses it for
// the children it supervises. WhichChildren reports the incarnation number.
//
// # Limits
//
//   - There is no shutdown timeout or brutal_kill: protoactor cannot kill an
//     actor that is busy in Receive, so a stop waits for the child. A child
//     must not call its own supervisor synchronously from Started, Stopping
//     or Stopped (the supervisor is waiting for it).
//   - A panic in a child's Stopping or Stopped handler is logged and
//     swallowed so the stop completes (protoactor would leave the child
//     half-stopped, issue #214).
//   - The API is local: a supervisor is driven from its own actor system
//     (the requests are Go values, not protobuf).
//   - Supervisor events are published on the actor system's EventStream as
//     *protoactor.SupervisorEvent (Restart or Stop directive) and logged
//     through the actor system's logger.
package supervisor
