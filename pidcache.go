package rafter

import (
	"sync"
	"sync/atomic"

	protoactor "github.com/asynkron/protoactor-go/actor"
)

// maxCachedPIDs bounds pidCache: callers may name any peer, and a name
// that was never started must not grow memory for ever.
const maxCachedPIDs = 1024

// pidCache keeps the PID of each peer's consensus actor that clients of
// this System call. protoactor caches the process in a PID at its first
// send, so reusing the PID saves every call a string concatenation, a PID
// and a process-registry lookup (two string hashes and a lock, about 1 µs
// under load; examples/bench/README.md, "Latency budget"). A cached PID
// never goes stale: protoactor resolves a local process again once the one
// it cached has died (a peer restarted or started again under its name).
type pidCache struct {
	m sync.Map // Peer -> *protoactor.PID
	n atomic.Int64
}

// consensusPID returns the PID of via's consensus actor.
func (s *System) consensusPID(via Peer) *protoactor.PID {
	if pid, ok := s.pids.m.Load(via); ok {
		return pid.(*protoactor.PID)
	}
	pid := s.actors.PIDOf(via.Name+"/consensus", via.Node)
	if s.pids.n.Load() < maxCachedPIDs {
		if _, loaded := s.pids.m.LoadOrStore(via, pid); !loaded {
			s.pids.n.Add(1)
		}
	}
	return pid
}
