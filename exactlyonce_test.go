package rafter_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/cluster"
	"github.com/rafter-go/rafter/kvsm"
	"github.com/rafter-go/rafter/rafterpb"
)

var (
	exactlyOnceOps  = flag.Int("exactlyonce.ops", 10000, "increments of the exactly-once counter test with sessions")
	exactlyOnceSeed = flag.Uint64("exactlyonce.seed", 0, "seed of the counter test's faults (0: from the clock)")
)

// counterRun is one run of the counter test: clients increment one kvsm
// counter while a nemesis kills leaders and cuts links.
type counterRun struct {
	t        *testing.T
	c        *cluster.Cluster
	cut      cutLinks
	retries  atomic.Int64 // attempts repeated after an unknown outcome
	faults   atomic.Int64
	values   sync.Map // with sessions: every value an Incr returned
	repeated atomic.Int64
	// kills: the nemesis's kills per peer, kept across runs so that runs
	// back to back stay inside the supervisor's restart budget too.
	kills map[string][]time.Time
}

// cutLinks is the interceptor: the isolated peer loses every message to or
// from the others (a leader's answers to forwarded requests included). It
// also counts the session commands forwarded more than once (retries).
type cutLinks struct {
	mu        sync.Mutex
	isolated  string
	forwarded map[[2]uint64]int // (session, sequence) -> times forwarded
}

func (l *cutLinks) intercept(from, to rafter.Peer, m proto.Message) rafter.Decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	if op, ok := m.(*rafterpb.OpRequest); ok && op.GetClientId() != 0 {
		if l.forwarded == nil {
			l.forwarded = map[[2]uint64]int{}
		}
		l.forwarded[[2]uint64{op.GetClientId(), op.GetSequence()}]++
	}
	if l.isolated != "" && (from.Name == l.isolated) != (to.Name == l.isolated) {
		return rafter.Drop
	}
	return rafter.Deliver
}

// retried is how many session commands were forwarded more than once.
func (l *cutLinks) retried() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, k := range l.forwarded {
		if k > 1 {
			n++
		}
	}
	return n
}

func (l *cutLinks) set(name string) {
	l.mu.Lock()
	l.isolated = name
	l.mu.Unlock()
}

func startCounter(t *testing.T) *counterRun {
	r := &counterRun{t: t}
	r.c = cluster.Start(t, cluster.Config{N: 3, Interceptor: r.cut.intercept, Options: func(_ int, o *rafter.Options) {
		o.StateMachine = kvsm.Factory()
		o.SnapshotEntries = 2000 // the session table goes through snapshots too
		o.SnapshotMinInterval = 0
		o.TrailingEntries = 500
	}})
	r.c.Bootstrap()
	r.c.WaitLeader()
	ctx, cancel := context.WithTimeout(context.Background(), cluster.Patience)
	defer cancel()
	require.NoError(t, kvsm.NewClient(r.c.Client(), r.c.Peers[0]).NewTable(ctx, "c"))
	return r
}

// nemesis kills the leader's consensus actor or isolates a peer (the
// leader half the time) every 150-400 ms until ctx ends, within the
// supervisor's restart budget, and heals the cut before each new fault.
func (r *counterRun) nemesis(ctx context.Context, rng *rand.Rand) {
	if r.kills == nil {
		r.kills = map[string][]time.Time{}
	}
	kills := r.kills
	for {
		select {
		case <-ctx.Done():
			r.cut.set("")
			return
		case <-time.After(time.Duration(150+rng.IntN(250)) * time.Millisecond): // the schedule's pace
		}
		r.cut.set("")
		target := r.c.Peers[rng.IntN(3)]
		if l, ok := r.leader(); ok && rng.IntN(2) == 0 {
			target = l
		}
		if rng.IntN(2) == 0 {
			r.cut.set(target.Name)
			r.faults.Add(1)
			continue
		}
		recent := kills[target.Name][:0]
		for _, at := range kills[target.Name] {
			if time.Since(at) < 10*time.Second {
				recent = append(recent, at)
			}
		}
		if len(recent) >= 3 { // a supervisor gives up after 5 restarts in 10 s
			kills[target.Name] = recent
			continue
		}
		kills[target.Name] = append(recent, time.Now())
		if r.c.SystemOf(target).Kill(target, rafter.ActorConsensus) == nil {
			r.faults.Add(1)
		}
	}
}

func (r *counterRun) leader() (rafter.Peer, bool) {
	for _, p := range r.c.Peers {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		st, err := r.c.Client().Status(ctx, p)
		cancel()
		if err == nil && st.Role == rafter.Leader {
			return p, true
		}
	}
	return rafter.Peer{}, false
}

// run has 8 clients share ops increments; each client goes through its
// own peer and repeats an increment until it gets an answer.
func (r *counterRun) run(ops int, sessions bool, seed uint64) int64 {
	ctx, stop := context.WithCancel(context.Background())
	var nem sync.WaitGroup
	nem.Add(1)
	go func() { defer nem.Done(); r.nemesis(ctx, rand.New(rand.NewPCG(seed, 1))) }()
	var next atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(3 * time.Minute)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			via := r.c.Peers[i%3]
			kv := kvsm.NewClient(r.c.Client(), via, kvsm.WithAttemptTimeout(500*time.Millisecond))
			if !sessions {
				kv = kvsm.NewClient(r.c.Client(), via, kvsm.WithoutSession())
			}
			for next.Add(1) <= int64(ops) && time.Now().Before(deadline) {
				r.increment(kv, sessions, deadline)
			}
		}()
	}
	wg.Wait()
	stop()
	nem.Wait()
	require.True(r.t, time.Now().Before(deadline), "the clients did not finish in time")
	return r.read()
}

// increment adds 1 until an answer says it was applied: with a session
// the client retries by itself; without one, an unknown outcome is tried
// again with a plain Op (the at-least-once client that over-counts).
func (r *counterRun) increment(kv *kvsm.Client, sessions bool, deadline time.Time) {
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if sessions {
			ctx, cancel = context.WithDeadline(context.Background(), deadline)
		}
		v, err := kv.Incr(ctx, "c", "n", 1)
		cancel()
		if err == nil {
			if _, dup := r.values.LoadOrStore(v, true); dup {
				r.repeated.Add(1)
			}
			return
		}
		require.Falsef(r.t, errors.Is(err, kvsm.ErrNotInteger) || errors.Is(err, rafter.ErrSessionExpired),
			"increment: %v", err)
		if !rafter.Definite(err) {
			r.retries.Add(1)
		}
		time.Sleep(time.Millisecond) // pacing a retry loop, not synchronisation
	}
}

// read returns the counter once the faults have stopped.
func (r *counterRun) read() int64 {
	var v []byte
	require.True(r.t, r.c.Poll(func(ctx context.Context) bool {
		got, _, err := kvsm.NewClient(r.c.Client(), r.c.Peers[0]).Get(ctx, "c", "n")
		v = got
		return err == nil
	}), "read the counter")
	var n int64
	_, err := fmt.Sscan(string(v), &n)
	require.NoError(r.t, err)
	return n
}

func counterSeed(t *testing.T) uint64 {
	seed := *exactlyOnceSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -exactlyonce.seed=%d)", seed, seed)
	return seed
}

// Issue 13 item 5 acceptance: 8 clients increment one counter 10,000 times
// in total through sessions while leaders are killed and links cut; the
// counter ends at exactly 10,000, and the values the increments returned
// are 10,000 distinct numbers (a retry answered from the session table
// returns the value of its first application).
func TestExactlyOnceCounter(t *testing.T) {
	if testing.Short() {
		t.Skip("long: run without -short")
	}
	seed := counterSeed(t)
	r := startCounter(t)
	start := time.Now()
	got := r.run(*exactlyOnceOps, true, seed)
	t.Logf("sessions: %d increments in %v, %d faults, %d commands forwarded more than once, counter %d",
		*exactlyOnceOps, time.Since(start).Round(time.Millisecond), r.faults.Load(), r.cut.retried(), got)
	assert.Equal(t, int64(*exactlyOnceOps), got, "with sessions every increment is applied exactly once")
	assert.Zero(t, r.repeated.Load(), "two increments answered with the same value")
	n := 0
	r.values.Range(func(k, _ any) bool { n++; return k.(int64) >= 1 && k.(int64) <= int64(*exactlyOnceOps) })
	assert.Equal(t, *exactlyOnceOps, n, "every value from 1 to ops answered once")
	assert.Positive(t, r.cut.retried(), "the faults made the sessions retry (else this test proves nothing)")
}

// The same test without sessions: clients that retry an unknown outcome
// with a plain Op apply some increments twice, so the counter ends above
// the number of increments. This is the check that the test above can
// fail: the faults do produce applied commands whose answers were lost.
// Whether a round's faults happen to hit an applied command whose answer
// was lost is chance (one CI run: 27 faults, 6 retries, none of them of an
// applied command), so up to four rounds run, until the counter is off.
func TestExactlyOnceCounterFailsWithoutSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("long: run without -short")
	}
	seed := counterSeed(t)
	r := startCounter(t)
	ops := min(*exactlyOnceOps, 3000)
	var want, got int64
	for round := range uint64(4) {
		start := time.Now()
		got = r.run(ops, false, seed+round)
		want += int64(ops)
		t.Logf("no sessions, round %d: %d increments in %v, %d faults, %d retries after unknown outcomes so far, counter %d (off by %+d)",
			round+1, ops, time.Since(start).Round(time.Millisecond), r.faults.Load(), r.retries.Load(), got, got-want)
		if got != want {
			break
		}
	}
	assert.NotEqual(t, want, got, "without sessions the faults were expected to over- or under-count")
}
