// Package events carries what happens inside a System's peers to whoever
// subscribes: role and term changes, votes, entries appended, committed and
// applied (as index ranges), Raft messages sent and received, election timer
// resets, configuration changes, actor starts, kills and restarts.
//
// A Bus belongs to one System (rafter.System.Subscribe). Each peer gets a
// *Peer handle at start; its consensus actor publishes through it from the
// same points that feed the metrics (package metrics), so both tell the same
// story. The cost when no one subscribes is one atomic load per hook
// (Peer.On): no Event is built, no clock read.
//
// A slow subscriber never slows a peer: each subscription has a bounded
// channel, an event that does not fit is dropped and counted, and the next
// event delivered to that subscriber carries the count (Event.Dropped).
// Events of one peer are published in the order the peer saw them; the
// sequence number (Event.Seq) orders all events of a Bus.
//
// Cost, measured on the 2-vCPU development VM while two other builds ran
// (load average 9: the figures swing by a third from run to run):
//
//	go test -run '^$' -bench Hook ./events
//	no subscriber (Peer.On)            2.9 ns per hook
//	one subscriber, per event          318 ns
//
//	go test -run '^$' -bench Observability -benchtime 3000x -count 1 .   (x3, then x1 with -count 3)
//	committed writes/s, 3 peers, fsync, 16 clients, medians of 3 in two sittings:
//	off        4,048   4,343
//	metrics    4,105   6,112
//	events     3,936   4,577   (about 9 events per write, one subscriber taking all)
//	both       3,875   4,847
//
// The on/off differences are inside the noise of that machine: the writes
// wait on fsync, and the ~9 events a write causes cost about 3 us of CPU
// against a write's ~200 us. Measure on a quiet machine before quoting a
// figure.
//
// Example:
//
//	ch := sys.Subscribe(ctx, events.Filter{Kinds: []events.Kind{events.KindRole}})
//	for ev := range ch { // closed when ctx ends or the System shuts down
//		fmt.Println(ev.Peer, ev.Role, ev.Term)
//	}
package events
