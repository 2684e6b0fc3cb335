package rafter_test

import (
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/cluster"
	"github.com/rafter-go/rafter/rafterpb"
)

// chaos is a seeded Interceptor that drops, duplicates and delays a share
// of the peer-to-peer messages.
type chaos struct {
	mu   sync.Mutex
	rng  *rand.Rand
	seen map[string]int // decisions taken, by kind
}

func (c *chaos) intercept(_, _ rafter.Peer, msg proto.Message) rafter.Decision {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := msg.(*rafterpb.RaftMessage); !ok {
		// A forwarded client request or the answer to one: losing it
		// costs the client its deadline, not the cluster its safety,
		// which is what this test is about.
		c.seen["client"]++
		return rafter.Deliver
	}
	d := rafter.Deliver
	switch x := c.rng.IntN(100); {
	case x < 5:
		d = rafter.Drop
	case x < 10:
		d = rafter.Duplicate
	case x < 15:
		d = rafter.Delay(time.Duration(1+c.rng.IntN(20)) * time.Millisecond)
	}
	c.seen[d.String()[:4]]++
	return d
}

// Messages dropped, duplicated and reordered by delay: the cluster still
// commits, and every acknowledged write is on every peer. Replay a run
// with RAFTER_SEED=<seed> (the schedule of decisions is seeded; thread
// timing is not, so a replay is likely, not certain, to repeat a failure).
func TestInterceptorDropDuplicateDelay(t *testing.T) {
	seed := time.Now().UnixNano()
	if s := os.Getenv("RAFTER_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseInt(s, 10, 64); err != nil {
			t.Fatalf("RAFTER_SEED: %v", err)
		}
	}
	t.Logf("seed %d (RAFTER_SEED=%d replays it)", seed, seed)
	ch := &chaos{rng: rand.New(rand.NewPCG(uint64(seed), 0)), seen: map[string]int{}}
	c := cluster.Start(t, cluster.Config{N: 3, Interceptor: ch.intercept})
	c.Configure()
	c.WaitLeader()
	l := startLoad(t, c.Client(), 4, func(g, i int) rafter.Peer { return c.Peers[(g+i)%3] })
	l.waitAcked(300, "under message chaos")
	acked := l.finish()
	c.WaitConverged()
	requireAllPresent(t, c, acked)
	ch.mu.Lock()
	t.Logf("interceptor decisions: %v", ch.seen)
	for _, kind := range []string{"deli", "drop", "dupl", "dela"} {
		if ch.seen[kind] == 0 {
			t.Errorf("no %q decision was exercised", kind)
		}
	}
	ch.mu.Unlock()
}
