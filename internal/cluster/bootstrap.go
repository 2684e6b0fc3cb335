package cluster

import (
	"context"

	"github.com/stretchr/testify/require"
)

// Bootstrap creates the cluster with System.Bootstrap of all peers, the
// way a cluster is created (Configure is rafter's legacy way). A failed
// call is retried (same System, same list: same cluster ID) until every
// peer confirmed.
func (c *Cluster) Bootstrap() {
	c.t.Helper()
	var last error
	ok := c.Poll(func(ctx context.Context) bool {
		last = c.client.Bootstrap(ctx, c.Peers)
		return last == nil
	})
	require.True(c.t, ok, "bootstrap %v: %v", c.Peers, last)
}
