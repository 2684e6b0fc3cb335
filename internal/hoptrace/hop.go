package hoptrace

// Hop is one point on a write's path. The follower hops are the same
// points as the leader's own (Received, LogReceived, Written, Synced,
// LogWritten) reached by the follower: Mark maps them.
type Hop uint8

// The hops in path order. Received..LogWritten on the leader's side are
// the leader's own durability; AppendSent..Acked the replication branch
// that runs beside it; Committed waits for both.
const (
	Called      Hop = iota // the client calls Op
	Received               // the leader's consensus actor takes the request
	Proposed               // the leader's core has appended it
	ReadyOut               // the Ready carrying it is handed to the log server
	LogReceived            // the leader's log server takes the write
	Written                // its records are written (buffered, before fdatasync)
	Synced                 // the fdatasync covering it returned
	LogWritten             // the leader's consensus actor has the LogWritten
	AppendSent             // the AppendEntries carrying it leaves for a follower
	FollowerReceived
	FollowerLogReceived
	FollowerWritten
	FollowerSynced
	FollowerLogWritten // the follower's success reply may leave
	Acked              // the leader has the follower's success reply
	Committed          // the leader's commit index covers it
	Applied            // the leader's state machine applied it
	Answered           // the client has the answer
	numHops
)

var hopNames = [numHops]string{
	"client call", "leader actor receives", "core Propose", "Ready to log server",
	"leader log server receives", "leader write", "leader fdatasync", "LogWritten at leader",
	"AppendEntries sent", "follower receives", "follower log server receives", "follower write",
	"follower fdatasync", "LogWritten at follower", "follower ack at leader", "commit", "apply", "answer at client",
}

// String names the hop as the table prints it.
func (h Hop) String() string {
	if h < numHops {
		return hopNames[h]
	}
	return "unknown hop"
}

// follower maps a hop that both sides reach to the follower's hop, and
// reports whether there is one.
func (h Hop) follower() (Hop, bool) {
	switch h {
	case Received:
		return FollowerReceived, true
	case LogReceived:
		return FollowerLogReceived, true
	case Written:
		return FollowerWritten, true
	case Synced:
		return FollowerSynced, true
	case LogWritten:
		return FollowerLogWritten, true
	}
	return 0, false
}

// segment is one row of the table: the time from the later of after's
// stamps to hop's.
type segment struct {
	hop   Hop
	after []Hop
}

// segments are the table's rows, in path order. Each measures one hop
// from the hop(s) it waits for; commit waits for both branches.
var segments = []segment{
	{Received, []Hop{Called}},
	{Proposed, []Hop{Received}},
	{ReadyOut, []Hop{Proposed}},
	{LogReceived, []Hop{ReadyOut}},
	{Written, []Hop{LogReceived}},
	{Synced, []Hop{Written}},
	{LogWritten, []Hop{Synced}},
	{AppendSent, []Hop{Proposed}},
	{FollowerReceived, []Hop{AppendSent}},
	{FollowerLogReceived, []Hop{FollowerReceived}},
	{FollowerWritten, []Hop{FollowerLogReceived}},
	{FollowerSynced, []Hop{FollowerWritten}},
	{FollowerLogWritten, []Hop{FollowerSynced}},
	{Acked, []Hop{FollowerLogWritten}},
	{Committed, []Hop{LogWritten, Acked}},
	{Applied, []Hop{Committed}},
	{Answered, []Hop{Applied}},
}
