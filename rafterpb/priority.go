package rafterpb

// Mailbox priorities (protoactor's PriorityMessage, levels 0..7, default
// 4). The consensus actor's mailbox serves higher levels first, FIFO within
// a level. A durability acknowledgement and a peer's Raft message move a
// write towards commit; a client request only adds one more write, and the
// consensus actor's flush marker shares the client requests' level so that
// it still runs after the requests queued before it (consensus/flush.go).
// At 128 clients a LogWritten otherwise waited behind the whole queue of
// requests: about 240 µs of a 5 ms write (examples/bench/README.md,
// "Latency budget"). Kept out of the .proto files: these are methods on the
// generated types, not wire fields.
const (
	// PriorityDurable is LogWritten's level.
	PriorityDurable int8 = 6
	// PriorityRaft is RaftMessage's level.
	PriorityRaft int8 = 5
	// PriorityClient is the default level: client requests (which arrive
	// in envelopes, so protoactor gives them the default) and the flush
	// marker.
	PriorityClient int8 = 4
)

// GetPriority implements protoactor's PriorityMessage.
func (*LogWritten) GetPriority() int8 { return PriorityDurable }

// GetPriority implements protoactor's PriorityMessage.
func (*RaftMessage) GetPriority() int8 { return PriorityRaft }
