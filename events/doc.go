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
// Example:
//
//	ch := sys.Subscribe(ctx, events.Filter{Kinds: []events.Kind{events.KindRole}})
//	for ev := range ch { // closed when ctx ends or the System shuts down
//		fmt.Println(ev.Peer, ev.Role, ev.Term)
//	}
package events
