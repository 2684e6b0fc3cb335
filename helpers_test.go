package rafter_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/cluster"
)

// documented are the error kinds a failed Op may carry (errors.go).
var documented = []error{rafter.ErrNoLeader, rafter.ErrElectionInProgress, rafter.ErrNotMember,
	rafter.ErrConfigInProgress, rafter.ErrPeersNotResponding, rafter.ErrStopped, rafter.ErrTimeout,
	rafter.ErrLeadershipLost, rafter.ErrInternal, rafter.ErrTransferInProgress, context.DeadlineExceeded}

func isDocumented(err error) bool {
	var re *rafter.RedirectError
	if errors.As(err, &re) {
		return true
	}
	for _, d := range documented {
		if errors.Is(err, d) {
			return true
		}
	}
	return false
}

// load is a set of goroutines submitting unique commands through the
// peers that via picks, recording which were acknowledged and how the
// others failed.
type load struct {
	t       *testing.T
	stop    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	acked   map[string]bool
	ackedAt []time.Time // when each acknowledgement came back, in order
	failed  map[string]error
	nAcked  atomic.Int64
	nFailed atomic.Int64
}

// startLoad starts k writers; writer g sends its i-th command via via(g, i).
func startLoad(t *testing.T, s *rafter.System, k int, via func(g, i int) rafter.Peer) *load {
	l := &load{t: t, stop: make(chan struct{}), acked: map[string]bool{}, failed: map[string]error{}}
	for g := range k {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				cmd := fmt.Sprintf("w%d-%d", g, i)
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				res, err := s.Op(ctx, via(g, i), []byte(cmd))
				cancel()
				l.record(cmd, res, err)
				if err != nil {
					time.Sleep(5 * time.Millisecond) // back off; not synchronisation
				}
			}
		}()
	}
	return l
}

func (l *load) record(cmd string, res []byte, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		if !bytes.Equal(res, []byte(cmd)) {
			l.t.Errorf("op %s: echo returned %q", cmd, res)
		}
		l.acked[cmd] = true
		l.ackedAt = append(l.ackedAt, time.Now())
		l.nAcked.Add(1)
		return
	}
	l.failed[cmd] = err
	l.nFailed.Add(1)
}

// waitAcked waits until n more writes than now were acknowledged.
func (l *load) waitAcked(n int64, what string) {
	l.t.Helper()
	target := l.nAcked.Load() + n
	deadline := time.Now().Add(cluster.Patience)
	for l.nAcked.Load() < target {
		if time.Now().After(deadline) {
			l.t.Fatalf("%s: only %d of %d writes acknowledged", what, l.nAcked.Load(), target)
		}
		time.Sleep(5 * time.Millisecond) // poll interval
	}
}

// stall is the write unavailability of an event that began at start,
// once writes flow again at end: the longest gap between consecutive
// acknowledgements from the last one before start to the last one before
// end (0 if no write was acknowledged before start). An answer already on
// its way when the event began does not hide the gap that follows it.
func (l *load) stall(start, end time.Time) time.Duration {
	l.mu.Lock()
	at := slices.Clone(l.ackedAt)
	l.mu.Unlock()
	slices.SortFunc(at, time.Time.Compare)
	var prev time.Time
	var longest time.Duration
	for _, a := range at {
		if a.After(end) {
			break
		}
		if !a.Before(start) && !prev.IsZero() {
			longest = max(longest, a.Sub(prev))
		}
		prev = a
	}
	return longest
}

// finish stops the writers and checks every failure carried a documented
// error kind; it returns the acknowledged commands.
func (l *load) finish() map[string]bool {
	close(l.stop)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	kinds := map[string]int{}
	for cmd, err := range l.failed {
		assert.True(l.t, isDocumented(err), "op %s failed with an undocumented error: %v", cmd, err)
		kinds[kindOf(err)]++
	}
	l.t.Logf("load: %d acknowledged, %d failed %v", len(l.acked), len(l.failed), kinds)
	return l.acked
}

func kindOf(err error) string {
	var re *rafter.RedirectError
	if errors.As(err, &re) {
		return "redirect"
	}
	for _, d := range documented {
		if errors.Is(err, d) {
			return d.Error()
		}
	}
	return "other"
}

// requireAllPresent checks every acknowledged command is in every peer's
// log (at the same index everywhere, by the log matching the cluster
// helper's WaitConverged established).
func requireAllPresent(t *testing.T, c *cluster.Cluster, acked map[string]bool, peers ...rafter.Peer) {
	t.Helper()
	if len(peers) == 0 {
		peers = c.Peers
	}
	var first map[string]uint64
	for _, p := range peers {
		cmds := c.Commands(p)
		missing := 0
		for cmd := range acked {
			if _, ok := cmds[cmd]; !ok {
				missing++
				if missing <= 3 {
					t.Errorf("%s: acknowledged write %s missing", p, cmd)
				}
			}
		}
		require.Zero(t, missing, "%s misses %d acknowledged writes", p, missing)
		if first == nil {
			first = cmds
		} else {
			require.Equal(t, first, cmds, "%s holds other commands than %s", p, peers[0])
		}
	}
}

// logCounter is a slog handler that counts records at Warn and above and
// keeps their messages, for the tests that check something was logged.
type logCounter struct {
	mu   sync.Mutex
	msgs []string
}

func (h *logCounter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h *logCounter) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool { msg += " " + a.String(); return true })
	h.msgs = append(h.msgs, msg)
	return nil
}
func (h *logCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logCounter) WithGroup(string) slog.Handler      { return h }

func (h *logCounter) matching(sub string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, m := range h.msgs {
		if bytes.Contains([]byte(m), []byte(sub)) {
			n++
		}
	}
	return n
}
