package config

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rafter-go/rafter/rafterpb"
)

// A node is "" or host:port; anything else is refused before it can enter a
// configuration (issue 12: SetConfig with such a node wedged the peer).
func TestCheckNode(t *testing.T) {
	good := []string{"", "127.0.0.1:7001", "node-1.example.com:9000", "[::1]:7001", "h:65535"}
	bad := []string{"h", "h:", ":7001", "h:0", "h:65536", "h:x", "a@h:1", "h:1/x", "h :1", "[::1]", "h:1:2"}
	for _, n := range good {
		assert.NoError(t, CheckNode(n), n)
	}
	for _, n := range bad {
		assert.ErrorIs(t, CheckNode(n), ErrBadNode, n)
		assert.ErrorIs(t, Validate([]*rafterpb.Peer{{Name: "a", Node: n}}), ErrBadNode, n)
	}
}
