package config_test

import (
	"fmt"

	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/rafterpb"
)

func peers(names ...string) []*rafterpb.Peer {
	out := make([]*rafterpb.Peer, len(names))
	for i, n := range names {
		out[i] = &rafterpb.Peer{Name: n}
	}
	return out
}

// Growing a 3-server cluster to 5 through joint consensus.
func Example() {
	me := &rafterpb.Peer{Name: "a"}
	c := config.Reconfig(&rafterpb.Config{}, peers("a", "b", "c")) // initial: blank → stable
	fmt.Println(c.GetState(), config.Quorum(me, c, map[string]bool{"b@": true}))

	next := peers("a", "b", "c", "d", "e")
	fmt.Println(config.AllowChange(c, next))
	c = config.Reconfig(c, next) // stable → transitional
	fmt.Println(c.GetState(), config.AllowChange(c, peers("a")))

	// a, b and d hold index 7: a majority of old {a,b,c} and of new {a..e}.
	match := map[string]uint64{"a@": 7, "b@": 7, "c@": 3, "d@": 7, "e@": 1}
	fmt.Println(config.QuorumMax(me, c, match))

	c = config.Finish(c) // the transitional entry committed
	fmt.Println(c.GetState(), len(config.Voters(c)), config.AllowChange(c, next))
	// Output:
	// CONFIG_STATE_STABLE true
	// <nil>
	// CONFIG_STATE_TRANSITIONAL config: configuration change in progress
	// 7
	// CONFIG_STATE_STABLE 5 config: configuration not modified
}
