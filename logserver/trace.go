package logserver

import (
	"strings"

	protoactor "github.com/asynkron/protoactor-go/actor"

	"github.com/rafter-go/rafter/internal/hoptrace"
	"github.com/rafter-go/rafter/rafterpb"
)

// tracePeer names the peer of a write for the hops of sampled writes
// (internal/hoptrace): the writer is its consensus actor
// "<name>/consensus". No allocation: TrimSuffix returns a substring.
func tracePeer(writer *protoactor.PID) string {
	return strings.TrimSuffix(writer.GetId(), "/consensus")
}

// traceWrite stamps hop h for the entries of write m from writer.
func traceWrite(r *hoptrace.Recorder, h hoptrace.Hop, writer *protoactor.PID, m *rafterpb.LogWrite) {
	if es := m.GetEntries(); len(es) > 0 {
		r.Mark(tracePeer(writer), h, es[0].GetIndex(), es[len(es)-1].GetIndex())
	}
}
