package kvsm_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/cluster"
	"github.com/rafter-go/rafter/kvsm"
)

// StaleGet answers from the via peer's own state: a follower cut off from
// the leader keeps answering with the value it applied, while Get through
// the leader sees the new one; after healing StaleGet catches up.
func TestStaleGetServesTheViaPeersOwnState(t *testing.T) {
	var isolated atomic.Pointer[rafter.Peer]
	c := cluster.Start(t, cluster.Config{
		N: 3,
		Interceptor: func(from, to rafter.Peer, _ proto.Message) rafter.Decision {
			if p := isolated.Load(); p != nil && (from == *p || to == *p) {
				return rafter.Drop
			}
			return rafter.Deliver
		},
		Options: func(_ int, o *rafter.Options) { o.StateMachine = kvsm.Factory() },
	})
	c.Configure()
	leader := c.WaitLeader()
	f := follower(t, c)
	kl, kf := kvsm.NewClient(c.Client(), leader), kvsm.NewClient(c.Client(), f)
	staleIs := func(want string) func(context.Context) bool {
		return func(ctx context.Context) bool {
			v, found, err := kf.StaleGet(ctx, "t", "k")
			return err == nil && found && string(v) == want
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	_, _, err := kvsm.NewClient(c.Client(), leader).StaleGet(ctx, "none", "k")
	assert.ErrorIs(t, err, kvsm.ErrNoSuchTable)
	require.NoError(t, kl.NewTable(ctx, "t"))
	require.NoError(t, kl.Put(ctx, "t", "k", []byte("v1")))
	require.True(t, c.Poll(staleIs("v1")), "%s never applied v1", f)

	isolated.Store(&f)
	require.NoError(t, kl.Put(ctx, "t", "k", []byte("v2")))
	v, _, err := kl.Get(ctx, "t", "k")
	require.NoError(t, err)
	assert.Equal(t, "v2", string(v))
	v, found, err := kf.StaleGet(ctx, "t", "k")
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, "v1", string(v), "the cut-off follower answers with its own, stale value")

	isolated.Store(nil)
	require.True(t, c.Poll(staleIs("v2")), "the healed %s never caught up", f)
}
