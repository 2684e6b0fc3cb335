package core_test

import (
	"fmt"

	"github.com/rafter-go/rafter/consensus/core"
	"github.com/rafter-go/rafter/rafterpb"
)

// A single blank peer given its initial configuration elects itself, logs
// the configuration, and commits a proposal; the shell loop executes each
// Ready and acknowledges the writes.
func Example() {
	me := &rafterpb.Peer{Name: "a"}
	c, err := core.New(core.Options{ID: me, ElectionTicks: 10, HeartbeatTicks: 1, Seed: 1}, core.Restored{})
	if err != nil {
		panic(err)
	}
	run := func() {
		for c.HasReady() {
			rd := c.Ready()
			// 1. persist rd.Meta and rd.Entries; 2. send messages (none here)
			for _, e := range rd.Committed { // 3. apply
				fmt.Printf("apply %d %v %q (request %d)\n", e.Entry.GetIndex(), e.Entry.GetType(), e.Entry.GetCmd(), e.ID)
			}
			for _, r := range rd.Results { // 5. results
				fmt.Printf("result of request %d: %v\n", r.ID, r.Err)
			}
			c.Advance(rd)
			if n := len(rd.Entries); n > 0 {
				c.Persisted(rd.Entries[n-1].GetIndex(), rd.Entries[n-1].GetTerm())
			}
		}
	}
	c.SetConfig(1, []*rafterpb.Peer{me})
	run()
	c.Propose(2, []byte("hello"))
	run()
	fmt.Println(c.Status().Role, c.Status().CommitIndex)
	// Output:
	// apply 1 ENTRY_TYPE_CONFIG "" (request 0)
	// result of request 1: <nil>
	// apply 2 ENTRY_TYPE_OP "hello" (request 2)
	// leader 2
}
