package benchkit

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The driver counts what the op reports: successes in Ops and latencies,
// failures in Errors, and the stats' growth over the window.
func TestRunLoad(t *testing.T) {
	var syncs, entries atomic.Uint64
	op := func(ctx context.Context, gid, seq int) error {
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("no deadline")
		}
		if gid == 1 {
			return errors.New("client 1 always fails")
		}
		syncs.Add(1)
		entries.Add(2)
		return nil
	}
	stats := func() (uint64, uint64, uint64, bool) { s := syncs.Load(); return s, s, entries.Load(), true }
	prof := filepath.Join(t.TempDir(), "cpu.pprof")
	r, err := RunLoad(op, stats, LoadOptions{Clients: 2, Warmup: 20 * time.Millisecond,
		Duration: 200 * time.Millisecond, CPUProfile: prof})
	require.NoError(t, err)
	assert.Equal(t, 2, r.Clients)
	assert.Positive(t, r.Ops)
	assert.Positive(t, r.Errors)
	assert.Positive(t, r.OpsPerSec)
	assert.Positive(t, r.LeaderSyncs)
	assert.InDelta(t, 2.0, r.EntriesPerWrite, 0.01)
	assert.LessOrEqual(t, r.P50us, r.P99us)
	assert.LessOrEqual(t, r.P999us, r.MaxUs)
	assert.FileExists(t, prof)
}

func TestRunLoadWithoutStats(t *testing.T) {
	r, err := RunLoad(func(context.Context, int, int) error { return nil }, NoStats,
		LoadOptions{Clients: 1, Duration: 50 * time.Millisecond})
	require.NoError(t, err)
	assert.Positive(t, r.Ops)
	assert.Zero(t, r.LeaderSyncs)
	assert.Zero(t, r.EntriesPerWrite)
}

func TestRunLoadRefusesBadProfilePath(t *testing.T) {
	_, err := RunLoad(func(context.Context, int, int) error { return nil }, NoStats,
		LoadOptions{Clients: 1, Duration: time.Millisecond, CPUProfile: filepath.Join(t.TempDir(), "no", "such", "dir")})
	assert.Error(t, err)
}
