package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/examples/bench/benchkit"
)

// The state machine passes benchkit's Store through: a malformed command
// is refused, a good one is read back by its key.
func TestKVApply(t *testing.T) {
	s := newKV()
	_, err := s.Apply(1, []byte{1, 2, 3})
	assert.ErrorIs(t, err, benchkit.ErrBadCommand)
	_, err = s.Apply(2, benchkit.MakeCmd("k7", 4))
	require.NoError(t, err)
	v, err := s.Read([]byte("k7"))
	require.NoError(t, err)
	assert.Len(t, v, 4)
}

// A short real run of each op on a local cluster: operations complete
// inside the window, none fails, and the leader's log stats are read.
func TestRunPointLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-peer cluster with fsync; skipped with -short")
	}
	for _, op := range []string{"write", "read"} {
		t.Run(op, func(t *testing.T) {
			p := point{transport: "local", op: op, clients: 4, size: 16, warmup: 100 * time.Millisecond,
				duration: 400 * time.Millisecond, stats: true}
			res, err := runPointHere(p, t.TempDir())
			require.NoError(t, err)
			assert.Positive(t, res.Ops)
			assert.Zero(t, res.Errors)
			assert.Positive(t, res.P50us)
			assert.Equal(t, "rafter-go", res.System)
			if op == "write" {
				assert.Positive(t, res.LeaderSyncs)
				assert.GreaterOrEqual(t, res.EntriesPerWrite, 1.0)
			}
		})
	}
}

func TestUnknownTransport(t *testing.T) {
	_, err := runPointHere(point{transport: "carrier-pigeon", op: "write", clients: 1}, t.TempDir())
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "unknown transport"))
}
