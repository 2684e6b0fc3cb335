package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/kvsm"
)

func main() {
	dir := flag.String("dir", "", "data directory of the three peers (default: a temporary directory, removed at the end)")
	timeout := flag.Duration("timeout", 60*time.Second, "give up (exit 1) if the whole demo has not finished by then")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *dir, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}

// demo holds the cluster the steps act on and prints each step with the
// time since the start.
type demo struct {
	out   io.Writer
	start time.Time
	dir   string
	sys   *rafter.System
	peers []rafter.Peer
}

func (d *demo) say(format string, args ...any) {
	fmt.Fprintf(d.out, "[%7.3fs] %s\n", time.Since(d.start).Seconds(), fmt.Sprintf(format, args...))
}

// step runs f and reports how long it took; an error names the step.
func (d *demo) step(name string, f func() error) error {
	t := time.Now()
	if err := f(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	d.say("  done: %s (%v)", name, time.Since(t).Round(time.Millisecond))
	return nil
}

// run is the whole demo. The peers' data goes under dir, or under a
// temporary directory removed at the end when dir is "". Everything must
// finish within timeout.
func run(ctx context.Context, out io.Writer, dir string, timeout time.Duration) (err error) {
	ctx, cancel := context.WithTimeoutCause(ctx, timeout,
		fmt.Errorf("the demo did not finish within -timeout %v", timeout))
	defer cancel()
	d := &demo{out: out, start: time.Now()}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "rafter-cluster-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	d.dir = dir
	d.say("rafter: 3 peers in one process, data under %s", dir)
	sys, err := rafter.NewSystem(rafter.SystemOptions{})
	if err != nil {
		return err
	}
	d.sys = sys
	defer func() {
		if serr := sys.Shutdown(); serr != nil && err == nil {
			err = serr
		}
	}()
	steps := []struct {
		name string
		f    func(context.Context) error
	}{
		{"start peers a, b, c", d.startPeers},
		{"bootstrap the cluster", d.configure},
		{"write and read through kvsm", d.writeRead},
		{"kill the leader's consensus actor and wait for a leader", d.failover},
		{"check the data survived", d.checkData},
	}
	for _, s := range steps {
		d.say("%s", s.name)
		if err := d.step(s.name, func() error { return s.f(ctx) }); err != nil {
			if cause := context.Cause(ctx); cause != nil {
				return fmt.Errorf("%w (%w)", err, cause)
			}
			return err
		}
	}
	d.say("all steps done; shutting down")
	return nil
}

func (d *demo) startPeers(context.Context) error {
	for _, name := range []string{"a", "b", "c"} {
		p := rafter.Peer{Name: name}
		opts := rafter.DefaultOptions()
		opts.DataDir = filepath.Join(d.dir, name)
		opts.StateMachine = kvsm.Factory()
		if err := d.sys.StartNode(p, opts); err != nil {
			return err
		}
		d.peers = append(d.peers, p)
		d.say("  started %s (data %s)", p, opts.DataDir)
	}
	return nil
}

func (d *demo) configure(ctx context.Context) error {
	// Bootstrap returns once every peer has the first configuration on
	// disk; the peers then elect a leader among themselves.
	if err := d.sys.Bootstrap(ctx, d.peers); err != nil {
		return err
	}
	leader, st, err := d.waitLeader(ctx, 0)
	if err != nil {
		return err
	}
	d.say("  cluster %v bootstrapped; leader is %s (term %d)", d.peers, leader, st.Term)
	// A follower learns the configuration from the leader's next
	// AppendEntries; until then it answers ErrNotMember. Wait for all.
	for _, p := range d.peers {
		for {
			pst, err := d.sys.Status(ctx, p)
			if err == nil && len(pst.Members()) == len(d.peers) && !pst.Leader.IsZero() {
				break
			}
			if err := pause(ctx, 20*time.Millisecond); err != nil {
				return fmt.Errorf("%s did not learn the configuration: %w", p, err)
			}
		}
	}
	d.say("  every peer has the configuration and knows the leader")
	return nil
}

// waitLeader polls until some peer knows a leader whose term is above
// minTerm and that leader's own status says it leads.
func (d *demo) waitLeader(ctx context.Context, minTerm uint64) (rafter.Peer, rafter.Status, error) {
	for {
		for _, p := range d.peers {
			// A request that reaches an actor as it dies gets no reply:
			// bound each call, not just the whole demo.
			cctx, cancel := context.WithTimeout(ctx, callTimeout)
			l, err := d.sys.GetLeader(cctx, p)
			var st rafter.Status
			if err == nil {
				st, err = d.sys.Status(cctx, l)
			}
			cancel()
			if err == nil && st.Role == rafter.Leader && st.Term > minTerm {
				return l, st, nil
			}
		}
		if err := pause(ctx, 20*time.Millisecond); err != nil {
			return rafter.Peer{}, rafter.Status{}, fmt.Errorf("no leader elected: %w", err)
		}
	}
}

// callTimeout bounds one status call while waiting for a leader.
const callTimeout = 500 * time.Millisecond

func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// The data written before the failover, checked after it.
var planets = []struct{ key, value string }{
	{"mercury", "0.39 AU"}, {"venus", "0.72 AU"}, {"earth", "1.00 AU"}, {"mars", "1.52 AU"},
}

func (d *demo) writeRead(ctx context.Context) error {
	leader, err := d.sys.GetLeader(ctx, d.peers[0])
	if err != nil {
		return err
	}
	follower := d.other(leader)
	kv := kvsm.NewClient(d.sys, follower)
	d.say("  writing through follower %s (it forwards to leader %s)", follower, leader)
	if err := kv.NewTable(ctx, "planets"); err != nil {
		return err
	}
	for _, kv1 := range planets {
		k, v := kv1.key, kv1.value
		t := time.Now()
		if err := kv.Put(ctx, "planets", k, []byte(v)); err != nil {
			return err
		}
		d.say("  put planets/%s = %q (%v)", k, v, time.Since(t).Round(time.Microsecond))
	}
	if _, err := kv.Append(ctx, "planets", "earth", []byte(", home")); err != nil {
		return err
	}
	swapped, cur, err := kv.CAS(ctx, "planets", "pluto", nil, []byte("39.5 AU"))
	if err != nil {
		return err
	}
	d.say("  cas planets/pluto absent -> %q: swapped=%v", cur, swapped)
	for _, p := range d.peers {
		t := time.Now()
		v, ok, err := kvsm.NewClient(d.sys, p).Get(ctx, "planets", "earth")
		if err != nil {
			return err
		}
		if !ok || string(v) != "1.00 AU, home" {
			return fmt.Errorf("get planets/earth via %s = %q, %v; want \"1.00 AU, home\"", p, v, ok)
		}
		d.say("  linearizable get planets/earth via %s = %q (%v)", p, v, time.Since(t).Round(time.Microsecond))
	}
	return nil
}

// other returns a peer that is not p.
func (d *demo) other(p rafter.Peer) rafter.Peer {
	for _, q := range d.peers {
		if q != p {
			return q
		}
	}
	return p
}

func (d *demo) failover(ctx context.Context) error {
	old, st, err := d.waitLeader(ctx, 0)
	if err != nil {
		return err
	}
	d.say("  killing %s's consensus actor (leader, term %d); its supervisor restarts it from disk", old, st.Term)
	t := time.Now()
	if err := d.sys.Kill(old, rafter.ActorConsensus); err != nil {
		return err
	}
	leader, nst, err := d.waitLeader(ctx, st.Term)
	if err != nil {
		return err
	}
	took := time.Since(t).Round(time.Millisecond)
	if leader == old {
		d.say("  %s won again after its restart: leader %s, term %d (was term %d), %v after the kill", old, leader, nst.Term, st.Term, took)
	} else {
		d.say("  new leader %s, term %d (was %s, term %d), %v after the kill", leader, nst.Term, old, st.Term, took)
	}
	return nil
}

func (d *demo) checkData(ctx context.Context) error {
	want := map[string]string{"pluto": "39.5 AU"}
	for _, p := range planets {
		want[p.key] = p.value
	}
	want["earth"] += ", home"
	for _, p := range d.peers {
		kv := kvsm.NewClient(d.sys, p)
		keys, err := retryRead(ctx, func(ctx context.Context) ([]string, error) { return kv.ListKeys(ctx, "planets") })
		if err != nil {
			return err
		}
		if len(keys) != len(want) {
			return fmt.Errorf("list keys via %s = %v, want %d keys", p, keys, len(want))
		}
		for _, k := range keys {
			v, err := retryRead(ctx, func(ctx context.Context) (found, error) {
				v, ok, err := kv.Get(ctx, "planets", k)
				return found{v, ok}, err
			})
			if err != nil {
				return err
			}
			if !v.ok || string(v.value) != want[k] {
				return fmt.Errorf("get planets/%s via %s = %q, %v; want %q", k, p, v.value, v.ok, want[k])
			}
		}
		d.say("  via %s: all %d keys read back with the values written before the kill", p, len(keys))
	}
	kv := kvsm.NewClient(d.sys, d.peers[0])
	if _, err := retryRead(ctx, func(ctx context.Context) (struct{}, error) {
		// Put is safe to retry on a definite error: it was not appended.
		return struct{}{}, kv.Put(ctx, "planets", "ceres", []byte("2.77 AU"))
	}); err != nil {
		return err
	}
	d.say("  and the cluster still takes writes: put planets/ceres through %s", d.peers[0])
	return nil
}

type found struct {
	value []byte
	ok    bool
}

// retryRead retries a call that failed with a definite error (nothing was
// appended; for example a restarted peer does not know the new leader
// yet) until ctx ends.
func retryRead[T any](ctx context.Context, f func(context.Context) (T, error)) (T, error) {
	for {
		v, err := f(ctx)
		if err == nil || !rafter.Definite(err) || errors.Is(err, kvsm.ErrNoSuchTable) {
			return v, err
		}
		if perr := pause(ctx, 20*time.Millisecond); perr != nil {
			return v, fmt.Errorf("%w (last error: %w)", perr, err)
		}
	}
}
