package linearize

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/cluster"
)

// Faults selects what the nemesis does.
type Faults uint

const (
	// Partition cuts one peer (often the leader) off from the others for a
	// while, through the System's interceptor.
	Partition Faults = 1 << iota
	// KillConsensus crashes a peer's consensus actor (System.Kill).
	KillConsensus
	// KillLog crashes a peer's log server (System.Kill).
	KillLog
	// Restart stops a peer (StopNode) and starts it on the same data dir.
	Restart

	AllFaults = Partition | KillConsensus | KillLog | Restart
)

// killBudget keeps kills of one peer under its supervisor's restart
// intensity (5 in 10 s, rafter's rafter_consensus_sup) with a margin.
const (
	killBudget = 3
	killPeriod = 10 * time.Second
)

// partition is the interceptor state: isolated peers lose every message
// to or from another peer.
type partition struct {
	mu       sync.Mutex
	isolated map[string]bool
}

func (p *partition) intercept(from, to rafter.Peer, _ proto.Message) rafter.Decision {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.isolated[from.Name] != p.isolated[to.Name] {
		return rafter.Drop
	}
	return rafter.Deliver
}

func (p *partition) set(names ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.isolated = make(map[string]bool)
	for _, n := range names {
		p.isolated[n] = true
	}
}

// nemesis injects faults on a seeded schedule: every 300–1000 ms it heals
// the previous partition and picks one fault. The schedule of choices is a
// function of the seed; when they land relative to client traffic is not.
type nemesis struct {
	rng    *rand.Rand
	faults Faults
	c      *cluster.Cluster
	part   *partition
	logf   func(string, ...any)
	kills  map[string][]time.Time
	Events []string
}

func (n *nemesis) run(ctx context.Context) {
	start := time.Now()
	for {
		wait := time.Duration(300+n.rng.Intn(700)) * time.Millisecond
		select {
		case <-ctx.Done():
			n.part.set()
			return
		case <-time.After(wait): // the schedule's pace, not synchronisation
		}
		n.part.set()
		n.revive()
		at := time.Since(start)
		if ev := n.act(); ev != "" {
			ev = fmt.Sprintf("%6.2fs %s (%v)", at.Seconds(), ev, (time.Since(start) - at).Round(time.Millisecond))
			n.Events = append(n.Events, ev)
			n.logf("nemesis: %s", ev)
		}
	}
}

// act applies one fault drawn from the enabled ones.
func (n *nemesis) act() string {
	var kinds []Faults
	for f := Partition; f <= Restart; f <<= 1 {
		if n.faults&f != 0 {
			kinds = append(kinds, f)
		}
	}
	if len(kinds) == 0 {
		return ""
	}
	kind := kinds[n.rng.Intn(len(kinds))]
	target := n.c.Peers[n.rng.Intn(len(n.c.Peers))]
	if n.rng.Intn(2) == 0 { // half the time aim at the leader, the interesting victim
		if l, ok := n.leader(); ok {
			target = l
		}
	}
	sys := n.c.SystemOf(target)
	switch kind {
	case Partition:
		n.part.set(target.Name)
		return "isolate " + target.String()
	case KillConsensus, KillLog:
		if !n.mayKill(target.Name) {
			return ""
		}
		which := rafter.ActorConsensus
		if kind == KillLog {
			which = rafter.ActorLog
		}
		err := sys.Kill(target, which)
		return fmt.Sprintf("kill %s/%s: %v", target, which, errOrOK(err))
	case Restart:
		err := sys.StopNode(target)
		if err == nil || errors.Is(err, rafter.ErrStopped) {
			err = sys.StartNode(target, n.c.Opts[n.c.Index(target)])
		}
		return fmt.Sprintf("restart %s: %v", target, errOrOK(err))
	}
	return ""
}

func (n *nemesis) mayKill(name string) bool {
	now := time.Now()
	recent := n.kills[name][:0]
	for _, t := range n.kills[name] {
		if now.Sub(t) < killPeriod {
			recent = append(recent, t)
		}
	}
	n.kills[name] = recent
	if len(recent) >= killBudget {
		return false
	}
	n.kills[name] = append(recent, now)
	return true
}

// revive starts any peer that is down (a supervisor that gave up, or a
// restart whose StartNode failed), so the run keeps three peers.
func (n *nemesis) revive() {
	for i, p := range n.c.Peers {
		sys := n.c.Systems[i]
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		_, err := sys.Status(ctx, p)
		cancel()
		if !errors.Is(err, rafter.ErrStopped) {
			continue
		}
		err = sys.StartNode(p, n.c.Opts[i])
		n.logf("nemesis: revive %s: %v", p, errOrOK(err))
	}
}

func (n *nemesis) leader() (rafter.Peer, bool) {
	for _, p := range n.c.Peers {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		st, err := n.c.SystemOf(p).Status(ctx, p)
		cancel()
		if err == nil && st.Role == rafter.Leader {
			return p, true
		}
	}
	return rafter.Peer{}, false
}

func errOrOK(err error) any {
	if err == nil {
		return "ok"
	}
	return err
}
