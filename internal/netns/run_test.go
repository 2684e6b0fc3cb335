//go:build linux

package netns

import (
	"errors"
	"fmt"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// run is the state of one TestNetnsFaults run.
type run struct {
	t     *testing.T
	cl    *Cluster
	w     *Workload
	log   *RunLog
	bound time.Duration // writes must be served within this of a fault's end
	final uint64        // the highest applied index at the end (checkData)
}

func (r *run) event(format string, args ...any) {
	r.log.Event(time.Now(), format, args...)
}

// hold keeps the current state (a fault, or quiet traffic) for d. It is
// the length of a fault window, not a wait for something to happen.
func (r *run) hold(d time.Duration) {
	t := time.NewTimer(d)
	<-t.C
}

// awaitWrites waits until a probe write invoked at or after from is
// acknowledged, records how long that took, and fails the test if it took
// longer than bound.
func (r *run) awaitWrites(what string, from time.Time, bound time.Duration) time.Duration {
	r.t.Helper()
	var ack time.Time
	err := Poll(time.Until(from.Add(bound))+2*time.Second, 20*time.Millisecond, func() error {
		var ok bool
		if ack, ok = r.w.FirstAckAfter(from); !ok {
			return errors.New("no acknowledged write yet")
		}
		return nil
	})
	rec := Recovery{What: what, From: from, Took: -1, Bound: bound}
	if err == nil {
		rec.Took = ack.Sub(from)
	}
	r.log.Recovered(rec)
	if !rec.ok() {
		r.t.Errorf("netns: %s: writes not served within %v (took %v)", what, bound, rec.Took)
	}
	return rec.Took
}

// leader polls for a leader among hosts (all if none).
func (r *run) leader(hosts ...string) string {
	r.t.Helper()
	var l string
	err := Poll(10*time.Second, 50*time.Millisecond, func() error {
		var err error
		l, _, err = r.cl.Leader(hosts...)
		return err
	})
	if err != nil {
		r.t.Fatalf("netns: no leader among %v: %v", hosts, err)
	}
	return l
}

func (r *run) others(h string) []string {
	var out []string
	for _, x := range r.cl.Hosts {
		if x != h {
			out = append(out, x)
		}
	}
	return out
}

func infoUint(inf map[string]string, k string) uint64 {
	v, _ := strconv.ParseUint(inf[k], 10, 64)
	return v
}

// steady waits until every node answers, one is leader, and every node
// has applied what the leader had committed when steady began: a node
// that was killed, paused or cut off has reconnected and caught up.
func (r *run) steady() {
	r.t.Helper()
	start := time.Now()
	l := r.leader()
	inf, err := r.cl.Info(l, time.Second)
	if err != nil {
		r.t.Fatalf("netns: INFO on leader %s: %v", l, err)
	}
	target := infoUint(inf, "commit_index")
	err = Poll(15*time.Second, 50*time.Millisecond, func() error {
		for _, h := range r.cl.Hosts {
			inf, err := r.cl.Info(h, 500*time.Millisecond)
			if err != nil {
				return fmt.Errorf("%s: %w", h, err)
			}
			if a := infoUint(inf, "applied_index"); a < target {
				return fmt.Errorf("%s applied %d < leader %s's commit %d", h, a, l, target)
			}
		}
		return nil
	})
	if err != nil {
		r.t.Fatalf("netns: cluster not steady: %v", err)
	}
	r.event("steady: leader %s, every node applied ≥ %d (%v)", l, target, time.Since(start).Round(time.Millisecond))
}

// killLeader: SIGKILL the leader, then restart it on its data dir.
func (r *run) killLeader() {
	l := r.leader()
	p := r.cl.Proc(l)
	if err := p.Signal(syscall.SIGKILL); err != nil {
		r.t.Fatal(err)
	}
	t0 := time.Now() // a fault's clock starts once it is in effect
	r.event("SIGKILL leader %s (pid %d)", l, p.PID())
	if exited, _ := p.Wait(5 * time.Second); !exited {
		r.t.Fatalf("netns: %s survived SIGKILL", l)
	}
	r.awaitWrites("SIGKILL of leader "+l+": failover", t0, r.bound)
	r.hold(time.Second)
	t1 := time.Now()
	if err := r.cl.Start(l); err != nil {
		r.t.Fatal(err)
	}
	r.event("restarted %s on its data dir (pid %d, ready after %v)", l, r.cl.Proc(l).PID(), time.Since(t1).Round(time.Millisecond))
	r.awaitWrites("restart of "+l, t1, r.bound)
	r.steady() // the restarted peer reconnected on the same address and caught up
}

// pauseLeader: SIGSTOP the leader for longer than an election timeout,
// then SIGCONT. The paused leader wakes believing it leads; the
// linearizability check fails if it served a write or read as leader
// after another was elected.
func (r *run) pauseLeader() {
	l := r.leader()
	p := r.cl.Proc(l)
	if err := p.Signal(syscall.SIGSTOP); err != nil {
		r.t.Fatal(err)
	}
	t0 := time.Now()
	r.event("SIGSTOP leader %s (pid %d)", l, p.PID())
	nl := r.leader(r.others(l)...)
	r.event("new leader %s elected while %s is paused", nl, l)
	r.awaitWrites("SIGSTOP of leader "+l+": failover", t0, r.bound)
	r.hold(time.Second)
	if err := p.Signal(syscall.SIGCONT); err != nil {
		r.t.Fatal(err)
	}
	t1 := time.Now()
	r.event("SIGCONT %s (paused %v)", l, t1.Sub(t0).Round(time.Millisecond))
	r.awaitWrites("SIGCONT of old leader "+l, t1, r.bound)
	err := Poll(r.bound, 20*time.Millisecond, func() error {
		inf, err := r.cl.Info(l, 500*time.Millisecond)
		if err != nil {
			return err
		}
		if inf["role"] == "leader" {
			return fmt.Errorf("%s still leader in term %s", l, inf["term"])
		}
		return nil
	})
	if err != nil {
		r.t.Errorf("netns: resumed old leader did not step down within %v: %v", r.bound, err)
	} else {
		r.event("old leader %s stepped down %v after SIGCONT", l, time.Since(t1).Round(time.Millisecond))
	}
	r.steady()
}

// cutLeader: take the leader's link down at the bridge, then restore it.
func (r *run) cutLeader() {
	l := r.leader()
	if err := r.cl.Net.SetLink(l, false); err != nil {
		r.t.Fatal(err)
	}
	t0 := time.Now()
	r.event("link of leader %s down", l)
	nl := r.leader(r.others(l)...)
	r.event("new leader %s elected while %s is cut off", nl, l)
	r.awaitWrites("link cut of leader "+l+": failover", t0, r.bound)
	r.hold(time.Second)
	if err := r.cl.Net.SetLink(l, true); err != nil {
		r.t.Fatal(err)
	}
	t1 := time.Now()
	r.event("link of %s up (down %v)", l, t1.Sub(t0).Round(time.Millisecond))
	r.awaitWrites("link of "+l+" restored", t1, r.bound)
	r.steady()
}
