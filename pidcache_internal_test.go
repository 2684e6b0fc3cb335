package rafter

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The PIDs of called peers are cached, one per peer, and the cache stops
// growing at maxCachedPIDs: uncached peers still get a right PID.
func TestConsensusPIDCache(t *testing.T) {
	s, err := NewSystem(SystemOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Shutdown() })

	a := s.consensusPID(Peer{Name: "a"})
	assert.Same(t, a, s.consensusPID(Peer{Name: "a"}), "cached")
	assert.Equal(t, "a/consensus", a.GetId())
	remote := s.consensusPID(Peer{Name: "a", Node: "10.0.0.1:7000"})
	assert.NotSame(t, a, remote, "the same name on another node is another peer")
	assert.Equal(t, "10.0.0.1:7000", remote.GetAddress())

	for i := range 2 * maxCachedPIDs {
		p := Peer{Name: fmt.Sprintf("p%d", i)}
		require.Equal(t, p.Name+"/consensus", s.consensusPID(p).GetId())
	}
	assert.Equal(t, int64(maxCachedPIDs), s.pids.n.Load())
	last := Peer{Name: fmt.Sprintf("p%d", 2*maxCachedPIDs-1)}
	assert.NotSame(t, s.consensusPID(last), s.consensusPID(last), "past the bound nothing is cached")
}
