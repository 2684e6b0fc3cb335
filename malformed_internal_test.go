package rafter

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/internal/echo"
	"github.com/rafter-go/rafter/rafterpb"
)

// warnings is a slog handler that keeps the messages of records at Warn
// and above.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (h *warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h *warnings) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msgs = append(h.msgs, r.Message)
	return nil
}
func (h *warnings) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *warnings) WithGroup(string) slog.Handler      { return h }
func (h *warnings) since(i int) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.msgs[i:]...)
}
func (h *warnings) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.msgs)
}

// Issue 5 acceptance (bad input at the actor): malformed messages arriving
// at a consensus actor are dropped and logged, and the peer keeps working
// without being restarted (its state machine is not rebuilt).
func TestMalformedMessagesAreDroppedAndLogged(t *testing.T) {
	logs := &warnings{}
	base := t.TempDir() // before Shutdown's cleanup, so it is removed after the peers stopped
	s, err := NewSystem(SystemOptions{Logger: slog.New(logs)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Shutdown() })

	var builds [3]atomic.Int32 // state machines built per peer: one per (re)start
	peers := []Peer{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	for i, p := range peers {
		o := DefaultOptions()
		o.DataDir = filepath.Join(base, p.Name)
		o.HeartbeatInterval, o.ElectionTimeoutMin, o.ElectionTimeoutMax = 20*time.Millisecond, 200*time.Millisecond, 0
		o.StateMachine = func() StateMachine { builds[i].Add(1); return echo.New() }
		require.NoError(t, s.StartNode(p, o))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, retry(ctx, func() error { return s.SetConfig(ctx, peers[0], peers) }))
	_, err = s.Op(ctx, peers[0], []byte("before"))
	require.NoError(t, err)

	target := peers[1]
	st, err := s.Status(ctx, target)
	require.NoError(t, err)
	before := logs.count()
	pid := s.actors.PIDOf(target.Name+"/consensus", "")
	garbage := []any{
		&rafterpb.RaftMessage{}, // no sender, no recipient, no body
		&rafterpb.RaftMessage{From: peers[0].pb(), To: target.pb(), Term: st.Term}, // no body
		&rafterpb.RaftMessage{From: peers[0].pb(), To: target.pb(), Term: st.Term,
			Body: &rafterpb.RaftMessage_AppendEntries{}}, // a nil body inside the oneof
		&rafterpb.Entry{Index: 7},          // a protobuf message of the wrong type
		&rafterpb.LogWritten{Seq: 1 << 62}, // a log reply nobody asked for
		"not a protobuf message",
		42,
	}
	for _, g := range garbage {
		s.actors.Root().Send(pid, g)
	}
	// The peer still answers and the cluster still commits through it.
	for i := range 5 {
		res, err := s.Op(ctx, target, []byte(fmt.Sprintf("after-%d", i)))
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("after-%d", i), string(res))
	}
	got, err := s.ReadOp(ctx, target, nil)
	require.NoError(t, err)
	assert.Equal(t, "after-4", string(got))
	assert.EqualValues(t, 1, builds[1].Load(), "the consensus actor was restarted by a malformed message")
	assert.GreaterOrEqual(t, logs.count()-before, 2, "the unknown messages were not logged")
	t.Logf("warnings: %s", strings.Join(logs.since(before), " | "))
}

// retry calls f until it succeeds or ctx ends, retrying definite errors.
func retry(ctx context.Context, f func() error) error {
	for {
		err := f()
		if err == nil || !Definite(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(10 * time.Millisecond):
		}
	}
}
