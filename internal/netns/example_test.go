//go:build linux

package netns_test

import (
	"context"
	"fmt"
	"time"

	"github.com/rafter-go/rafter/internal/netns"
)

// A private network of two hosts (root only): a server in one namespace,
// reached from the test process through the hub.
func ExampleNet() {
	n, err := netns.New("a", "b")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer n.Close()
	// Something listening on a's address, e.g. examples/node:
	//   n.Start("a", logDir, "ready ", 10*time.Second, "./node", "-redis", n.Addr("a")+":6379", ...)
	_ = n.SetLink("b", false) // pull b's cable at the bridge
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c, err := n.DialHub(ctx, n.Addr("a")+":6379")
	if err == nil {
		conn := netns.NewConn(c)
		r, _ := conn.Do(time.Second, "PING")
		fmt.Println(r)
		conn.Close()
	}
}
