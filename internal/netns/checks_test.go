//go:build linux

package netns

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/anishathalye/porcupine"
)

// checkData reads everything back through every node: the workload's keys
// (added to the history as reads, so porcupine checks them too) and every
// acknowledged probe write, which must be there with its value. It also
// checks that every node applied the same log prefix.
func (r *run) checkData() {
	var applied []string
	for _, h := range r.cl.Hosts {
		inf, err := r.cl.Info(h, time.Second)
		if err != nil {
			r.t.Fatalf("netns: INFO %s: %v", h, err)
		}
		applied = append(applied, fmt.Sprintf("%s applied %s commit %s last %s term %s",
			h, inf["applied_index"], inf["commit_index"], inf["last_index"], inf["term"]))
	}
	r.log.Figure("final: %s", strings.Join(applied, "; "))

	var acked []Probe
	unacked := 0
	for _, p := range r.w.Probes() {
		if p.Acked {
			acked = append(acked, p)
		} else {
			unacked++
		}
	}
	lost := 0
	for i, h := range r.cl.Hosts {
		conn, err := r.cl.Dial(h, 2*time.Second)
		if err != nil {
			r.t.Fatalf("netns: dial %s: %v", h, err)
		}
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
				Call: call, Return: ret, Result: OK, Note: h + " final"})
		}
		for start := 0; start < len(acked); start += 200 {
			batch := acked[start:min(start+200, len(acked))]
			cmds := make([][]string, len(batch))
			for j, p := range batch {
				cmds[j] = []string{"GET", p.Key}
			}
			reps, err := conn.Pipeline(10*time.Second, cmds)
			if err != nil {
				r.t.Fatalf("netns: reading probes back via %s: %v", h, err)
			}
			for j, rep := range reps {
				if rep.Kind != '$' || rep.Nil || rep.Str != batch[j].Value {
					lost++
					if lost <= 5 {
						r.t.Errorf("netns: acknowledged write %s=%s (acked %s via %s) reads back via %s as %v",
							batch[j].Key, batch[j].Value, r.log.at(batch[j].Ret), batch[j].Host, h, rep)
					}
				}
			}
		}
		conn.Close()
	}
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
		case strings.Contains(op.Note, BadReply):
			bad++
			if bad <= 5 {
				r.t.Errorf("netns: %s %s: %s", op.Input.Kind, op.Input.Key, op.Note)
			}
		case strings.Contains(op.Note, ": ERR"):
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
	r.t.Errorf("netns: history is not linearizable (%s); visualization: %s", res, where)
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
