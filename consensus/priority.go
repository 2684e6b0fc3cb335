package consensus

import "github.com/rafter-go/rafter/rafterpb"

// GetPriority puts the flush marker at the client requests' level
// (rafterpb/priority.go): it must run after every request queued before
// it, to batch them into one Ready; at a higher level it would overtake
// them, and at a lower one a steady stream of requests would starve it.
func (*flush) GetPriority() int8 { return rafterpb.PriorityClient }
