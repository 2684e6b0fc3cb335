//go:build linux

package netns

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/anishathalye/porcupine"
)

// checkData reads everything back through every node: the workload's keys
// (added to the history as reads, so porcupine checks them too) and every
// acknowledged probe write, which must be there with its value. With the
// traffic stopped, every node must have applied the same index.
func (r *run) checkData() {
	var applied []string
	for _, h := range r.cl.Hosts {
		inf, err := r.cl.Info(h, time.Second)
		if err != nil {
			r.t.Fatalf("netns: INFO %s: %v", h, err)
		}
		r.final = max(r.final, infoUint(inf, "applied_index"))
		applied = append(applied, fmt.Sprintf("%s applied %s commit %s last %s term %s",
			h, inf["applied_index"], inf["commit_index"], inf["last_index"], inf["term"]))
	}
	r.log.Figure("final: %s", strings.Join(applied, "; "))
	for _, h := range r.cl.Hosts {
		inf, err := r.cl.Info(h, time.Second)
		if err != nil {
			r.t.Fatalf("netns: INFO %s: %v", h, err)
		}
		if a := infoUint(inf, "applied_index"); a != r.final {
			r.t.Errorf("netns: %s applied %d, another node %d, with no traffic", h, a, r.final)
		}
	}

	var acked []Probe
	unacked := 0
	for _, p := range r.w.Probes() {
		if p.Acked {
			acked = append(acked, p)
		} else {
			unacked++
		}
	}
	for i, h := range r.cl.Hosts {
		r.finalReads(i, h)
	}
	// Every acknowledged probe through every node, over several
	// connections at once: each GET is a linearizable read (a quorum
	// round), so one connection at a time would take long.
	const streams = 4
	var mu sync.Mutex
	var wg sync.WaitGroup
	lost := 0
	for _, h := range r.cl.Hosts {
		for s := 0; s < streams; s++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var mine []Probe
				for j := s; j < len(acked); j += streams {
					mine = append(mine, acked[j])
				}
				bad, err := r.readBack(h, mine)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					r.t.Errorf("netns: reading probes back via %s: %v", h, err)
				}
				for _, b := range bad {
					lost++
					if lost <= 5 {
						r.t.Errorf("netns: %s", b)
					}
				}
			}()
		}
	}
	wg.Wait()
	r.log.Figure("acknowledged writes: %d probe keys read back via each of %d nodes, %d missing or wrong (%d probes unacknowledged)",
		len(acked), len(r.cl.Hosts), lost, unacked)
}

// checkLinearizable checks the whole history with porcupine; a violation
// writes its visualization into the work directory.
func (r *run) checkLinearizable() {
	ops := r.w.Hist.Ops()
	counts := map[Outcome]int{}
	kinds := map[Kind]int{}
	bad, errs := 0, 0
	for _, op := range ops {
		counts[op.Result]++
		kinds[op.Input.Kind]++
		switch {
		case strings.Contains(op.Err, BadReply):
			bad++
			if bad <= 5 {
				r.t.Errorf("netns: %s %s: %s", op.Input.Kind, op.Input.Key, op.Err)
			}
		case strings.Contains(op.Err, ": ERR"):
			errs++
		}
	}
	hist := Operations(ops)
	start := time.Now()
	res, info := porcupine.CheckOperationsVerbose(Model(), hist, 60*time.Second)
	took := time.Since(start)
	r.log.Figure("history: %d ops (ok %d, failed %d, unknown %d; get %d, set %d, append %d, cas %d; ERR replies %d); %d checked by porcupine in %v: %s",
		len(ops), counts[OK], counts[Failed], counts[Unknown], kinds[Get], kinds[Set], kinds[Append], kinds[CAS],
		errs, len(hist), took.Round(time.Millisecond), res)
	if res == porcupine.Ok {
		return
	}
	where := "not written"
	if f, err := os.CreateTemp(r.cl.Dir, "linearizability-*.html"); err == nil {
		_ = porcupine.Visualize(Model(), info, f)
		f.Close()
		where = f.Name()
	}
	if b, err := json.MarshalIndent(ops, "", " "); err == nil {
		_ = os.WriteFile(filepath.Join(r.cl.Dir, "history.json"), b, 0o644)
	}
	if res == porcupine.Unknown {
		r.t.Errorf("netns: porcupine gave up after %v (%d unknown-outcome ops): linearizability not shown; history.json and %s in %s",
			took.Round(time.Second), counts[Unknown], where, r.cl.Dir)
		return
	}
	r.t.Errorf("netns: history is not linearizable; visualization: %s", where)
}

// stopAll sends SIGTERM to every node; each must exit with status 0.
func (r *run) stopAll() {
	var wg sync.WaitGroup
	for _, h := range r.cl.Hosts {
		p := r.cl.Proc(h)
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			if err := p.Signal(syscall.SIGTERM); err != nil {
				r.t.Error(err)
				return
			}
			exited, err := p.Wait(20 * time.Second)
			switch {
			case !exited:
				r.t.Errorf("netns: %s did not exit within 20s of SIGTERM\n%s", h, r.cl.LogTail(h, 30))
			case err != nil:
				r.t.Errorf("netns: %s exited with %v after SIGTERM, want status 0\n%s", h, err, r.cl.LogTail(h, 30))
			}
			r.event("SIGTERM %s: exited (%s) after %v", h, errOrZero(err), time.Since(t0).Round(time.Millisecond))
		}()
	}
	wg.Wait()
}

// restartIntact starts every node again on its data dir after the clean
// stop: each must come back with its whole log (last_index at least what
// was applied before SIGTERM), which shows the stop flushed and closed its
// files; then stops them again (exit 0 again).
func (r *run) restartIntact() {
	for _, h := range r.cl.Hosts {
		if err := r.cl.Start(h); err != nil {
			r.t.Fatal(err)
		}
	}
	var got []string
	for _, h := range r.cl.Hosts {
		var inf map[string]string
		err := Poll(10*time.Second, 20*time.Millisecond, func() error {
			var err error
			inf, err = r.cl.Info(h, 500*time.Millisecond)
			return err
		})
		if err != nil {
			r.t.Fatalf("netns: INFO on restarted %s: %v", h, err)
		}
		last := infoUint(inf, "last_index")
		got = append(got, fmt.Sprintf("%s %d", h, last))
		if last < r.final {
			r.t.Errorf("netns: %s restarted after SIGTERM with last_index %d < %d applied before the stop", h, last, r.final)
		}
	}
	r.event("restarted all after SIGTERM: last_index %s (applied before the stop: %d)", strings.Join(got, ", "), r.final)
	r.stopAll()
}

// finalReads GETs every workload key through host and adds the reads to
// the history (client 1000+i), so porcupine checks the final state too.
func (r *run) finalReads(i int, h string) {
	conn, err := r.cl.Dial(h, 2*time.Second)
	if err != nil {
		r.t.Fatalf("netns: dial %s: %v", h, err)
	}
	defer conn.Close()
	cmds := make([][]string, len(r.w.Keys))
	for j, k := range r.w.Keys {
		cmds[j] = []string{"GET", k}
	}
	call := r.w.Hist.Now()
	reps, err := conn.Pipeline(10*time.Second, cmds)
	ret := r.w.Hist.Now()
	if err != nil {
		r.t.Fatalf("netns: final reads via %s: %v", h, err)
	}
	for j, rep := range reps {
		out, res := classify(Get, rep, nil)
		if res != OK {
			r.t.Errorf("netns: final GET %s via %s: %v", r.w.Keys[j], h, rep)
			continue
		}
		r.w.Hist.Add(Op{Client: 1000 + i, Input: Input{Kind: Get, Key: r.w.Keys[j]}, Output: out,
			Call: call, Return: ret, Result: OK, Err: h + " final"})
	}
}

// readBack GETs probes through host, pipelined in batches; it returns a
// description of each probe that is missing or has another value.
func (r *run) readBack(h string, probes []Probe) ([]string, error) {
	conn, err := r.cl.Dial(h, 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var bad []string
	for start := 0; start < len(probes); start += 100 {
		batch := probes[start:min(start+100, len(probes))]
		cmds := make([][]string, len(batch))
		for j, p := range batch {
			cmds[j] = []string{"GET", p.Key}
		}
		reps, err := conn.Pipeline(20*time.Second, cmds)
		if err != nil {
			return bad, err
		}
		for j, rep := range reps {
			if p := batch[j]; rep.Kind != '$' || rep.Nil || rep.Str != p.Value {
				bad = append(bad, fmt.Sprintf("acknowledged write %s=%s (acked at %s via %s) reads back via %s as %v",
					p.Key, p.Value, r.log.at(p.Ret), p.Host, h, rep))
			}
		}
	}
	return bad, nil
}

// checkLogs fails on a data race report or a panic in any node's log
// (the nodes may be built with -race: NETNS_RACE=1 scripts/netns-test.sh).
func (r *run) checkLogs() {
	for _, h := range append(append([]string(nil), r.cl.Hosts...), "hub") {
		b, err := os.ReadFile(filepath.Join(r.cl.Dir, h+".log"))
		if err != nil {
			continue
		}
		for _, sign := range []string{"WARNING: DATA RACE", "panic:", "fatal error:"} {
			if n := strings.Count(string(b), sign); n > 0 {
				r.t.Errorf("netns: %s's log has %d × %q (see %s)", h, n, sign, filepath.Join(r.cl.Dir, h+".log"))
				r.log.Figure("%s: %d × %q in its log", h, n, sign)
			}
		}
	}
}
