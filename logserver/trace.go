package logserver

import (
	"strings"

	protoactor "github.com/asynkron/protoactor-go/actor"
)

// tracePeer names the peer of a write for the hops of sampled writes
// (internal/hoptrace): the writer is its consensus actor
// "<name>/consensus". No allocation: TrimSuffix returns a substring.
func tracePeer(writer *protoactor.PID) string {
	return strings.TrimSuffix(writer.GetId(), "/consensus")
}
