package rafter_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/echo"
)

// Issue 5 acceptance: StopNode leaves no goroutines behind and no file is
// written after it returns.
func TestStopNodeLeavesNoGoroutinesAndNoWrites(t *testing.T) {
	before := goleak.IgnoreCurrent()
	s, err := rafter.NewSystem(rafter.SystemOptions{})
	require.NoError(t, err)
	// The System's own goroutines live until Shutdown; only what the peers
	// start must be gone after StopNode.
	baseline := goleak.IgnoreCurrent()

	peers := []rafter.Peer{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	dirs := map[rafter.Peer]string{}
	for _, p := range peers {
		o := rafter.DefaultOptions()
		o.DataDir = filepath.Join(t.TempDir(), p.Name)
		o.HeartbeatInterval, o.ElectionTimeoutMin, o.ElectionTimeoutMax = 20*time.Millisecond, 200*time.Millisecond, 0
		o.StateMachine = func() rafter.StateMachine { return echo.New() }
		require.NoError(t, s.StartNode(p, o))
		dirs[p] = o.DataDir
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.Eventually(t, func() bool { return s.SetConfig(ctx, peers[0], peers) == nil },
		20*time.Second, 10*time.Millisecond)
	for i := range 20 {
		_, err := s.Op(ctx, peers[i%3], fmt.Appendf(nil, "x%d", i))
		require.NoError(t, err)
	}

	// Stop one peer; the others keep replicating (and keep sending to the
	// stopped one) while we watch its files.
	stopped := peers[2]
	require.NoError(t, s.StopNode(stopped))
	snap := snapshotDir(t, dirs[stopped])
	for i := range 50 {
		_, err := s.Op(ctx, peers[i%2], fmt.Appendf(nil, "y%d", i))
		require.NoError(t, err)
	}
	require.Equal(t, snap, snapshotDir(t, dirs[stopped]), "a file changed after StopNode returned")

	require.NoError(t, s.StopNode(peers[0]))
	require.NoError(t, s.StopNode(peers[1]))
	goleak.VerifyNone(t, baseline, protoactorBackground)

	// And Shutdown takes the System's own goroutines with it.
	require.NoError(t, s.Shutdown())
	goleak.VerifyNone(t, before, protoactorBackground)
}

// protoactorBackground ignores protoactor's dead-letter throttle: on the
// first dead letter of each period (1 s by default) protoactor starts a
// goroutine that waits on a ticker for one period, reports how many dead
// letters it suppressed, and exits (actor/throttler.go NewThrottle). It
// belongs to the ActorSystem, not to a peer, and messages still in flight
// to a peer that just stopped (a heartbeat, a forwarded reply) become dead
// letters, so one may be running when StopNode returns. It ends by itself.
var protoactorBackground = goleak.IgnoreTopFunction(
	"github.com/asynkron/protoactor-go/actor.NewDeadLetter.NewThrottle.func4.1")

// snapshotDir describes every file under dir: size, modification time and
// content hash.
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out[path] = fmt.Sprintf("%d %v %x", info.Size(), info.ModTime().UnixNano(), sha256.Sum256(b))
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, out, "the peer wrote no files")
	return out
}
