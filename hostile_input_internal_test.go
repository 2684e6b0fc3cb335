package rafter

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/actor"
	"github.com/rafter-go/rafter/internal/echo"
	"github.com/rafter-go/rafter/rafterpb"
)

// startOne starts a one-peer cluster "a" in a local System with opts
// adjusted by adjust, configured and with a leader.
func startOne(t *testing.T, adjust func(*Options)) (*System, Peer) {
	base := t.TempDir()
	s, err := NewSystem(SystemOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Shutdown() })
	p := Peer{Name: "a"}
	o := DefaultOptions()
	o.DataDir = filepath.Join(base, p.Name)
	o.HeartbeatInterval, o.ElectionTimeoutMin, o.ElectionTimeoutMax = 20*time.Millisecond, 200*time.Millisecond, 0
	o.StateMachine = func() StateMachine { return echo.New() }
	if adjust != nil {
		adjust(&o)
	}
	require.NoError(t, s.StartNode(p, o))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, retry(ctx, func() error { return s.SetConfig(ctx, p, []Peer{p}) }))
	require.NoError(t, retry(ctx, func() error { _, err := s.Op(ctx, p, []byte("first")); return err }))
	return s, p
}

// Issue 12: a command over MaxCommandBytes fails definitely with
// ErrTooLarge, whether System.Op refuses it before sending or the consensus
// actor refuses a request that arrives from elsewhere; nothing is appended
// and the peer is not restarted. Before, an Op over 16 MiB panicked the
// consensus actor and returned ErrLeadershipLost.
func TestOpTooLargeIsDefinite(t *testing.T) {
	s, p := startOne(t, func(o *Options) { o.MaxCommandBytes = 1 << 20 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	before, err := s.Status(ctx, p)
	require.NoError(t, err)

	for _, n := range []int{1<<20 + 1, 17 << 20} {
		_, err = s.Op(ctx, p, bytes.Repeat([]byte("x"), n))
		require.ErrorIs(t, err, ErrTooLarge, "%d bytes", n)
		assert.True(t, Definite(err))
	}
	// A request straight to the actor, as a forwarding peer or another
	// System would send it.
	pid := s.actors.PIDOf(p.Name+"/consensus", "")
	for _, n := range []int{1<<20 + 1, 17 << 20} {
		reply, err := actor.Call[*rafterpb.OpReply](ctx, s.actors, pid, &rafterpb.OpRequest{Cmd: make([]byte, n)})
		require.NoError(t, err)
		require.Equal(t, rafterpb.ErrorCode_ERROR_CODE_TOO_LARGE, reply.GetError().GetCode(), "%d bytes", n)
		assert.ErrorIs(t, fromWire(reply.GetError()), ErrTooLarge)
	}
	_, err = s.Op(ctx, p, bytes.Repeat([]byte("y"), 1<<20))
	require.NoError(t, err, "a command at the limit is accepted")
	after, err := s.Status(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, before.LastIndex+1, after.LastIndex, "only the command at the limit was appended")
	assert.Equal(t, before.Term, after.Term, "the peer did not restart or lose leadership")
}

// Issue 12: a Node that is not host:port (nor "") is refused with
// ErrInvalidArgument before anything is sent, and a peer refuses a
// SetConfigRequest holding one that reaches it from the network. Before,
// such a configuration was accepted and wedged the peer.
func TestSetConfigBadNodeRefused(t *testing.T) {
	s, p := startOne(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	before, err := s.Status(ctx, p)
	require.NoError(t, err)
	for _, node := range []string{"nohost", "h:0", "h:99999", ":7001", "a@h:1", "h:port"} {
		bad := []Peer{p, {Name: "b", Node: node}}
		err := s.SetConfig(ctx, p, bad)
		assert.ErrorIs(t, err, ErrInvalidArgument, node)
		assert.True(t, Definite(err), node)

		pid := s.actors.PIDOf(p.Name+"/consensus", "")
		reply, err := actor.Call[*rafterpb.SetConfigReply](ctx, s.actors, pid,
			&rafterpb.SetConfigRequest{Peers: []*rafterpb.Peer{p.pb(), {Name: "b", Node: node}}})
		require.NoError(t, err)
		assert.Equal(t, rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, reply.GetError().GetCode(), node)
	}
	after, err := s.Status(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, before.LastIndex, after.LastIndex, "no configuration entry was appended")
	assert.Equal(t, []Peer{p}, after.Members())
}
