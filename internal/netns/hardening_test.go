//go:build linux

package netns

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Growth the transport may show while a peer is unreachable (a blackholed
// address: ARP fails, connects time out). A goroutine or buffer per
// dropped message would exceed these within the window (hundreds of
// heartbeats and appends go to the cut peer).
const (
	maxThreadGrowth     = 8
	maxRSSGrowthKiB     = 48 << 10
	maxGoroutineGrowth  = 200
	unreachableDuration = 10 * time.Second
)

// usage samples /proc/<pid>/status and, if the node's INFO has it, the
// goroutine count (field "goroutines"; -1 when absent).
func (r *run) usage(h string) (Usage, int) {
	u, err := ReadUsage(r.cl.Proc(h).PID())
	if err != nil {
		r.t.Fatalf("netns: %s: %v", h, err)
	}
	g := -1
	if inf, err := r.cl.Info(h, 500*time.Millisecond); err == nil {
		if v, ok := inf["goroutines"]; ok {
			g, _ = strconv.Atoi(v)
		}
	}
	return u, g
}

// unreachableFollower blackholes a follower for unreachableDuration while
// the others keep serving writes, sampling the others' threads, RSS and
// (when exposed) goroutines: messages to the lost peer must be dropped,
// not queued in goroutines or memory.
func (r *run) unreachableFollower() {
	l := r.leader()
	f := r.others(l)[0]
	watch := r.others(f)
	type sample struct {
		base, peak Usage
		gBase      int
		gPeak      int
	}
	s := map[string]*sample{}
	for _, h := range watch {
		u, g := r.usage(h)
		s[h] = &sample{base: u, peak: u, gBase: g, gPeak: g}
	}
	if err := r.cl.Net.SetLink(f, false); err != nil {
		r.t.Fatal(err)
	}
	t0 := time.Now()
	r.event("link of follower %s down: its address is unreachable for %v", f, unreachableDuration)
	for time.Since(t0) < unreachableDuration {
		r.hold(500 * time.Millisecond)
		for _, h := range watch {
			u, g := r.usage(h)
			x := s[h]
			x.peak.Threads = max(x.peak.Threads, u.Threads)
			x.peak.RSSKiB = max(x.peak.RSSKiB, u.RSSKiB)
			x.gPeak = max(x.gPeak, g)
		}
	}
	if ack, ok := r.w.FirstAckAfter(t0); !ok || ack.After(time.Now()) {
		r.t.Errorf("netns: no write served while follower %s was unreachable", f)
	}
	if err := r.cl.Net.SetLink(f, true); err != nil {
		r.t.Fatal(err)
	}
	t1 := time.Now()
	r.event("link of follower %s up", f)
	for _, h := range watch {
		x := s[h]
		g := "not exposed (INFO has no goroutines field)"
		if x.gBase >= 0 {
			g = fmt.Sprintf("%d → peak %d", x.gBase, x.gPeak)
		}
		r.log.Figure("%s unreachable %v: %s threads %d → peak %d, VmRSS %d → peak %d KiB, goroutines %s",
			f, unreachableDuration, h, x.base.Threads, x.peak.Threads, x.base.RSSKiB, x.peak.RSSKiB, g)
		if d := x.peak.Threads - x.base.Threads; d > maxThreadGrowth {
			r.t.Errorf("netns: %s grew %d threads while %s was unreachable (limit %d)", h, d, f, maxThreadGrowth)
		}
		if d := x.peak.RSSKiB - x.base.RSSKiB; d > maxRSSGrowthKiB {
			r.t.Errorf("netns: %s grew %d KiB RSS while %s was unreachable (limit %d)", h, d, f, maxRSSGrowthKiB)
		}
		if x.gBase >= 0 && x.gPeak-x.gBase > maxGoroutineGrowth {
			r.t.Errorf("netns: %s grew %d goroutines while %s was unreachable (limit %d)", h, x.gPeak-x.gBase, f, maxGoroutineGrowth)
		}
	}
	r.awaitWrites("link of follower "+f+" restored", t1, r.bound)
	r.steady() // the follower's peers reconnected to it
}

// termRestartFollower: SIGTERM a follower (it must exit 0), start it again
// on the same address and data dir; it must reconnect and catch up.
func (r *run) termRestartFollower() {
	l := r.leader()
	f := r.others(l)[1]
	p := r.cl.Proc(f)
	t0 := time.Now()
	if err := p.Signal(syscall.SIGTERM); err != nil {
		r.t.Fatal(err)
	}
	exited, err := p.Wait(20 * time.Second)
	switch {
	case !exited:
		r.t.Fatalf("netns: %s did not exit within 20s of SIGTERM\n%s", f, r.cl.LogTail(f, 30))
	case err != nil:
		r.t.Errorf("netns: %s exited with %v after SIGTERM, want status 0\n%s", f, err, r.cl.LogTail(f, 30))
	}
	r.event("SIGTERM follower %s: exited (%v) after %v", f, errOrZero(err), time.Since(t0).Round(time.Millisecond))
	t1 := time.Now()
	if err := r.cl.Start(f); err != nil {
		r.t.Fatal(err)
	}
	r.event("restarted %s on the same address (pid %d)", f, r.cl.Proc(f).PID())
	r.awaitWrites("restart of follower "+f, t1, r.bound)
	r.steady()
}

func errOrZero(err error) string {
	if err == nil {
		return "status 0"
	}
	return err.Error()
}

// stranger starts a node that is not in the cluster's configuration, in
// the hub namespace, believing it belongs to a four-peer cluster with the
// three: it campaigns, sending RequestVote to them. The members must not
// be disturbed (no term change, same leader, writes go on); issue 7 also
// wants the message ignored (not answered) and logged, which the run log
// reports and RAFTER_NETNS_STRICT=1 enforces.
func (r *run) stranger() {
	l := r.leader()
	terms := map[string]string{}
	logSizes := map[string]int64{}
	for _, h := range r.cl.Hosts {
		inf, err := r.cl.Info(h, time.Second)
		if err != nil {
			r.t.Fatal(err)
		}
		terms[h] = inf["term"]
		if fi, err := os.Stat(filepath.Join(r.cl.Dir, h+".log")); err == nil {
			logSizes[h] = fi.Size()
		}
	}
	addr := HubAddr + ":" + RaftPort
	args := []string{
		"-name", "d", "-listen", addr, "-advertise", addr,
		"-peers", r.cl.Peers() + ",d@" + addr, "-redis", HubAddr + ":" + RedisPort,
		"-data", filepath.Join(r.cl.Dir, "d"), "-bootstrap",
		"-election-timeout", r.cl.ElectionTimeout.String(), "-heartbeat", r.cl.Heartbeat.String(),
	}
	// With TLS, d holds a certificate of the cluster's CA naming it: it
	// gets through the handshake, and the members' configuration is what
	// must stop it.
	args = append(args, r.cl.TLSArgs("d")...)
	t0 := time.Now()
	p, err := r.cl.Net.Start("hub", r.cl.Dir, "ready ", 30*time.Second, r.cl.Bin, args...)
	if err != nil {
		r.t.Fatal(err)
	}
	defer func() { _ = p.Signal(syscall.SIGKILL) }()
	r.event("stranger d started at %s (pid %d), not in the configuration; it campaigns", addr, p.PID())
	r.hold(4 * 2 * r.cl.ElectionTimeout)
	t1 := time.Now()
	if ack, ok := r.w.FirstAckAfter(t0); !ok || ack.After(t1) {
		r.t.Errorf("netns: no write served while the stranger ran")
	}
	if nl := r.leader(); nl != l {
		r.t.Errorf("netns: leader changed from %s to %s while the stranger ran", l, nl)
	}
	for _, h := range r.cl.Hosts {
		inf, err := r.cl.Info(h, time.Second)
		if err != nil {
			r.t.Fatal(err)
		}
		if inf["term"] != terms[h] {
			r.t.Errorf("netns: %s's term moved from %s to %s while the stranger ran", h, terms[h], inf["term"])
		}
	}
	// Ignored: had the members dropped its RequestVote, the stranger
	// would not have learned their term. Logged: a member's log names
	// the stranger's peer (protoactor's own connection lines name only
	// its address, so they do not count).
	var gaps []string
	minTerm := ^uint64(0)
	for _, t := range terms {
		v, _ := strconv.ParseUint(t, 10, 64)
		minTerm = min(minTerm, v)
	}
	inf, err := r.cl.InfoAt(HubAddr+":"+RedisPort, time.Second)
	if err != nil {
		r.t.Fatalf("netns: INFO on the stranger: %v", err)
	}
	r.log.Figure("stranger d: role %s, term %s; the members' terms %v did not move, leader still %s", inf["role"], inf["term"], terms, l)
	if infoUint(inf, "term") >= minTerm {
		gaps = append(gaps, fmt.Sprintf("not ignored: the members answered the stranger (it learned their term %s)", inf["term"]))
	}
	peer := "d@" + addr
	var logged []string
	for _, h := range r.cl.Hosts {
		if n := r.mentions(h, logSizes[h], peer); n > 0 {
			logged = append(logged, fmt.Sprintf("%s (%d lines)", h, n))
		}
	}
	if len(logged) == 0 {
		gaps = append(gaps, "not logged: no member's log names "+peer)
	} else {
		r.log.Figure("stranger d: named in the logs of %s", strings.Join(logged, ", "))
	}
	for _, g := range gaps {
		r.log.Figure("stranger d: %s (RAFTER_NETNS_STRICT=1 fails on this)", g)
		if os.Getenv("RAFTER_NETNS_STRICT") == "1" {
			r.t.Errorf("netns: stranger: %s", g)
		}
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		r.t.Fatal(err)
	}
	exited, err := p.Wait(20 * time.Second)
	if !exited || err != nil {
		r.t.Errorf("netns: stranger did not exit 0 on SIGTERM (exited %v, %v)", exited, err)
	}
	r.event("stranger d: SIGTERM, exited (%v)", errOrZero(err))
}

// mentions counts the lines of host's log after offset that contain s.
func (r *run) mentions(host string, offset int64, s string) int {
	b, err := os.ReadFile(filepath.Join(r.cl.Dir, host+".log"))
	if err != nil || int64(len(b)) < offset {
		return 0
	}
	n := 0
	for _, line := range strings.Split(string(b[offset:]), "\n") {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}
