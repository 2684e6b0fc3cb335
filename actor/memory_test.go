package actor

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// TestEndpointQueueIsSmall opens outbound endpoints to four addresses and
// measures the heap they hold. protoactor's default writer queue allocates
// 1,000,000 slots (~16 MB) per endpoint up front (docs/protoactor-traps.md §11), so
// four endpoints would hold ~64 MB; WriterQueueSize 4096 holds ~64 KB each.
func TestEndpointQueueIsSmall(t *testing.T) {
	a := newNode(t, Options{})
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	const endpoints = 4
	for range endpoints {
		// Cast returns once the endpoint's writer (and its queue) exists;
		// a dead address keeps it alive for its ~2 s connect cycle.
		a.Cast(a.PIDOf("fsm", deadAddr(t)), wrapperspb.String("x"))
	}
	after := heap()
	grown := int64(after) - int64(before)
	t.Logf("heap grew %d KiB for %d endpoints", grown/1024, endpoints)
	assert.Less(t, grown, int64(8<<20), "outbound endpoints hold too much memory")
}
