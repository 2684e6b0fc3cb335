package rafter

import (
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

// A BootstrapRequest that reaches a blank peer from the network (not
// through System.Bootstrap, which checks first) is refused definitely when
// it is malformed, and writes nothing; a valid one is taken, a retry of it
// answered the same, another cluster's refused with
// ERROR_CODE_ALREADY_BOOTSTRAPPED.
func TestBootstrapRequestFromTheNetwork(t *testing.T) {
	s, err := NewSystem(SystemOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Shutdown() })
	p := Peer{Name: "a"}
	o := DefaultOptions()
	o.DataDir = filepath.Join(t.TempDir(), p.Name)
	o.StateMachine = func() StateMachine { return echo.New() }
	require.NoError(t, s.StartNode(p, o))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pid := s.actors.PIDOf(p.Name+"/consensus", "")
	ask := func(req *rafterpb.BootstrapRequest) *rafterpb.BootstrapReply {
		t.Helper()
		reply, err := actor.Call[*rafterpb.BootstrapReply](ctx, s.actors, pid, req)
		require.NoError(t, err)
		return reply
	}

	for name, tc := range map[string]struct {
		req  *rafterpb.BootstrapRequest
		code rafterpb.ErrorCode
	}{
		"no cluster ID":     {&rafterpb.BootstrapRequest{Peers: []*rafterpb.Peer{p.pb()}}, rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		"no peers":          {&rafterpb.BootstrapRequest{ClusterId: 7}, rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		"bad node":          {&rafterpb.BootstrapRequest{ClusterId: 7, Peers: []*rafterpb.Peer{p.pb(), {Name: "b", Node: "h:0"}}}, rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		"duplicate":         {&rafterpb.BootstrapRequest{ClusterId: 7, Peers: []*rafterpb.Peer{p.pb(), p.pb()}}, rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		"not listing a":     {&rafterpb.BootstrapRequest{ClusterId: 7, Peers: []*rafterpb.Peer{{Name: "b"}}}, rafterpb.ErrorCode_ERROR_CODE_INVALID_INITIAL_CONFIG},
		"peer without name": {&rafterpb.BootstrapRequest{ClusterId: 7, Peers: []*rafterpb.Peer{p.pb(), {}}}, rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
	} {
		reply := ask(tc.req)
		assert.Equal(t, tc.code, reply.GetError().GetCode(), name)
		assert.True(t, Definite(fromWire(reply.GetError())), name)
	}
	st, err := s.Status(ctx, p)
	require.NoError(t, err)
	assert.Zero(t, st.LastIndex, "nothing written")
	assert.Zero(t, st.ClusterID())

	valid := &rafterpb.BootstrapRequest{ClusterId: 7, Peers: []*rafterpb.Peer{p.pb()}}
	for range 2 {
		reply := ask(valid)
		assert.Nil(t, reply.GetError())
		assert.Equal(t, uint64(1), reply.GetIndex())
	}
	reply := ask(&rafterpb.BootstrapRequest{ClusterId: 8, Peers: []*rafterpb.Peer{p.pb()}})
	assert.Equal(t, rafterpb.ErrorCode_ERROR_CODE_ALREADY_BOOTSTRAPPED, reply.GetError().GetCode())
	assert.ErrorIs(t, fromWire(reply.GetError()), ErrAlreadyBootstrapped)

	// A one-peer cluster elects itself and commits.
	require.NoError(t, retry(ctx, func() error { _, err := s.Op(ctx, p, []byte("x")); return err }))
	st, err = s.Status(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, uint64(7), st.ClusterID())
}
