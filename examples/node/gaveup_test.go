package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/supervisor"
)

// syncBuffer collects run's stdout for polling.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Issue 12: when the peer's supervisor gives up (here: more kills than its
// restart intensity allows), run returns an error wrapping
// rafter.ErrStopped, so main exits 1 and a service manager restarts the
// node; before, the process stayed up answering TRYAGAIN for ever.
func TestRunExitsWhenSupervisorGivesUp(t *testing.T) {
	port := freePorts(t, 1)[0]
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cfg, err := parseFlags([]string{"-name", "a", "-peers", "a@" + addr, "-data", filepath.Join(t.TempDir(), "a"),
		"-redis", "127.0.0.1:0"}, io.Discard)
	require.NoError(t, err)
	systems := make(chan *rafter.System, 1)
	testHookSystem = func(s *rafter.System) { systems <- s }
	t.Cleanup(func() { testHookSystem = nil })

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out := &syncBuffer{}
	result := make(chan error, 1)
	go func() { result <- run(ctx, cfg, out, slog.New(slog.DiscardHandler)) }()
	sys := <-systems
	self := cfg.self()
	alive := func() bool {
		for ctx.Err() == nil {
			sctx, scancel := context.WithTimeout(ctx, time.Second)
			_, err := sys.Status(sctx, self)
			scancel()
			if err == nil {
				return true
			}
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
		return false
	}
	require.True(t, alive(), "the peer started")
	for i := range 6 {
		require.NoError(t, sys.Kill(self, rafter.ActorConsensus), "kill %d", i+1)
		if i < 5 {
			require.True(t, alive(), "peer back after kill %d", i+1)
		}
	}
	select {
	case err := <-result:
		require.Error(t, err)
		assert.ErrorIs(t, err, rafter.ErrStopped)
		assert.ErrorIs(t, err, supervisor.ErrRestartIntensity)
	case <-ctx.Done():
		t.Fatal("run did not return after the supervisor gave up")
	}
	assert.Contains(t, out.String(), "ready name=a")
}
