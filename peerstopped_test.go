package rafter_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/echo"
	"github.com/rafter-go/rafter/supervisor"
)

// Issue 12: SystemOptions.OnPeerStopped tells the owner once when a peer's
// supervisor gives up, with the reason; StopNode does not call it.
func TestOnPeerStoppedReportsSupervisorGivingUp(t *testing.T) {
	type stopped struct {
		p      rafter.Peer
		reason error
	}
	calls := make(chan stopped, 4)
	s, err := rafter.NewSystem(rafter.SystemOptions{
		OnPeerStopped: func(p rafter.Peer, reason error) { calls <- stopped{p, reason} },
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Shutdown() })
	base := t.TempDir()
	start := func(name string) rafter.Peer {
		p := rafter.Peer{Name: name}
		o := rafter.DefaultOptions()
		o.DataDir = filepath.Join(base, name)
		o.StateMachine = func() rafter.StateMachine { return echo.New() }
		require.NoError(t, s.StartNode(p, o))
		return p
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	alive := func(p rafter.Peer) bool {
		for ctx.Err() == nil {
			if _, err := s.Status(ctx, p); err == nil {
				return true
			}
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
		return false
	}

	quiet := start("quiet")
	require.NoError(t, s.StopNode(quiet))
	p := start("a")
	for i := range 6 {
		require.True(t, alive(p), "peer up before kill %d", i+1)
		require.NoError(t, s.Kill(p, rafter.ActorConsensus), "kill %d", i+1)
	}
	select {
	case got := <-calls:
		assert.Equal(t, p, got.p)
		assert.ErrorIs(t, got.reason, supervisor.ErrRestartIntensity)
	case <-ctx.Done():
		t.Fatal("OnPeerStopped was not called")
	}
	_, err = s.Status(ctx, p)
	assert.ErrorIs(t, err, rafter.ErrStopped)
	// Shutdown may report the already stopped supervisor; only the calls
	// matter here.
	_ = s.Shutdown()
	assert.Empty(t, calls, "called once, and not for StopNode or Shutdown")
}
