package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/kvsm"
)

// settings are what the page may change by restarting the peers.
type settings struct {
	// Slow multiplies the heartbeat interval and the election timeouts
	// (slow motion): 1 is real speed.
	Slow    int  `json:"slow"`
	PreVote bool `json:"prevote"`
}

// timing is the real-speed timing; slow motion multiplies it.
type timing struct {
	Heartbeat, ElectionMin, ElectionMax time.Duration
}

// demoTiming is slow enough at x1 for a person to see heartbeats as
// separate dots, fast enough that an election is over in about a second.
var demoTiming = timing{Heartbeat: 100 * time.Millisecond, ElectionMin: time.Second, ElectionMax: 2 * time.Second}

// Bounds of the page's requests.
const (
	maxSlow     = 50
	opTimeout   = 10 * time.Second
	maxKeyBytes = 256
	maxValBytes = 4096
	kvTable     = "scope"
)

var (
	errUnknownPeer = errors.New("scope: unknown peer")
	errBadRequest  = errors.New("scope: bad request")
)

// scope is the cluster the page shows and acts on: N peers in one System,
// an interceptor that cuts links, and the model fed by events.
type scope struct {
	sys    *rafter.System
	peers  []rafter.Peer
	dir    string
	timing timing
	log    *slog.Logger
	model  *model

	cutMu sync.RWMutex
	cuts  map[[2]string]bool // sorted pairs of peer names
	// latency delays every message in slow motion (slowLatency), so an
	// election lasts long enough to be seen, not only its timeouts.
	latency atomic.Int64

	ops sync.Mutex // serialises the page's peer operations (stop, start, restart all)

	mu       sync.Mutex // guards settings and running; held briefly, so /api/state never waits for ops
	settings settings
	running  map[string]bool
}

// newScope starts n peers under dir and configures them as one cluster.
func newScope(ctx context.Context, n int, dir string, t timing, set settings, log *slog.Logger, reg prometheus.Registerer) (*scope, error) {
	s := &scope{dir: dir, timing: t, log: log, model: newModel(), cuts: make(map[[2]string]bool),
		settings: set, running: make(map[string]bool)}
	sys, err := rafter.NewSystem(rafter.SystemOptions{Logger: log, Interceptor: s.intercept, Metrics: reg})
	if err != nil {
		return nil, err
	}
	s.sys = sys
	s.latency.Store(int64(slowLatency(set.Slow)))
	s.model.follow(ctx, sys)
	for i := range n {
		s.peers = append(s.peers, rafter.Peer{Name: fmt.Sprintf("p%d", i+1)})
	}
	for _, p := range s.peers {
		if err := s.start(p); err != nil {
			_ = sys.Shutdown()
			return nil, err
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := sys.SetConfig(cctx, s.peers[0], s.peers); err != nil {
		_ = sys.Shutdown()
		return nil, fmt.Errorf("scope: initial configuration: %w", err)
	}
	return s, nil
}

// options are peer p's options under the current settings.
func (s *scope) options(p rafter.Peer) rafter.Options {
	set, _ := s.current()
	o := rafter.DefaultOptions()
	k := time.Duration(max(1, set.Slow))
	o.DataDir = filepath.Join(s.dir, p.Name)
	o.StateMachine = kvsm.Factory()
	o.HeartbeatInterval = s.timing.Heartbeat * k
	o.ElectionTimeoutMin = s.timing.ElectionMin * k
	o.ElectionTimeoutMax = s.timing.ElectionMax * k
	o.StopTransferTimeout = 4 * o.HeartbeatInterval
	o.PreVote = set.PreVote
	return o
}

// start starts p and records it running; s.ops is held (or the scope is
// being built).
func (s *scope) start(p rafter.Peer) error {
	if err := s.sys.StartNode(p, s.options(p)); err != nil {
		return err
	}
	s.setRunning(p, true)
	return nil
}

func (s *scope) setRunning(p rafter.Peer, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on {
		s.running[p.Name] = true
	} else {
		delete(s.running, p.Name)
	}
}

func (s *scope) close() error { return s.sys.Shutdown() }

// peer resolves a name the page sent.
func (s *scope) peer(name string) (rafter.Peer, error) {
	for _, p := range s.peers {
		if p.Name == name {
			return p, nil
		}
	}
	return rafter.Peer{}, fmt.Errorf("%w: %q", errUnknownPeer, name)
}

func (s *scope) names() []string {
	out := make([]string, len(s.peers))
	for i, p := range s.peers {
		out[i] = p.String()
	}
	return out
}

// slowLatency is the network delay of slow motion xN: none at x1, then
// 20 ms per step (x10: 180 ms, x50: 980 ms), well under the heartbeat
// (x10: 1 s) so the cluster stays healthy, long enough that a vote
// request and its answer can be watched.
func slowLatency(slow int) time.Duration {
	return time.Duration(max(0, slow-1)) * 20 * time.Millisecond
}

// intercept drops every message on a cut link, both ways, and delays the
// others in slow motion.
func (s *scope) intercept(from, to rafter.Peer, _ proto.Message) rafter.Decision {
	s.cutMu.RLock()
	cut := s.cuts[link(from.Name, to.Name)]
	s.cutMu.RUnlock()
	if cut {
		return rafter.Drop
	}
	if d := time.Duration(s.latency.Load()); d > 0 {
		return rafter.Delay(d)
	}
	return rafter.Deliver
}

func link(a, b string) [2]string {
	if b < a {
		a, b = b, a
	}
	return [2]string{a, b}
}

// setCut cuts (or heals) the link a-b.
func (s *scope) setCut(a, b string, cut bool) {
	s.cutMu.Lock()
	defer s.cutMu.Unlock()
	if cut {
		s.cuts[link(a, b)] = true
	} else {
		delete(s.cuts, link(a, b))
	}
}

// isolate cuts (or heals) every link of peer a.
func (s *scope) isolate(a string, cut bool) {
	for _, p := range s.peers {
		if p.Name != a {
			s.setCut(a, p.Name, cut)
		}
	}
}

func (s *scope) healAll() {
	s.cutMu.Lock()
	defer s.cutMu.Unlock()
	clear(s.cuts)
}

// cutList lists the cut links as "a|b", sorted.
func (s *scope) cutList() []string {
	s.cutMu.RLock()
	defer s.cutMu.RUnlock()
	out := make([]string, 0, len(s.cuts))
	for l := range s.cuts {
		out = append(out, l[0]+"|"+l[1])
	}
	slices.Sort(out)
	return out
}

// stop stops peer p (StopNode: a leader hands over first).
func (s *scope) stop(p rafter.Peer) error {
	s.ops.Lock()
	defer s.ops.Unlock()
	if _, running := s.current(); !running[p.Name] {
		return fmt.Errorf("%w: %s is not running", errBadRequest, p)
	}
	s.setRunning(p, false)
	return s.sys.StopNode(p)
}

// startAgain starts a stopped peer on its data directory.
func (s *scope) startAgain(p rafter.Peer) error {
	s.ops.Lock()
	defer s.ops.Unlock()
	if _, running := s.current(); running[p.Name] {
		return fmt.Errorf("%w: %s is running", errBadRequest, p)
	}
	return s.start(p)
}

// apply restarts every running peer with new settings, on the same data
// directories: the log, the terms and the cuts survive.
func (s *scope) apply(set settings) error {
	if set.Slow < 1 || set.Slow > maxSlow {
		return fmt.Errorf("%w: slow motion x%d is not within 1..%d", errBadRequest, set.Slow, maxSlow)
	}
	s.ops.Lock()
	defer s.ops.Unlock()
	var errs []error
	var restart []rafter.Peer
	_, running := s.current()
	for _, p := range s.peers {
		if running[p.Name] {
			restart = append(restart, p)
			if err := s.sys.StopNode(p); err != nil {
				errs = append(errs, err)
			}
			s.setRunning(p, false)
		}
	}
	s.mu.Lock()
	s.settings = set
	s.mu.Unlock()
	s.latency.Store(int64(slowLatency(set.Slow)))
	for _, p := range restart {
		if err := s.start(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// current returns the settings and which peers run.
func (s *scope) current() (settings, map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings, maps(s.running)
}

func maps(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// via is a running peer to send a client request through, preferring the
// leader the model knows.
func (s *scope) via() (rafter.Peer, error) {
	_, running := s.current()
	snap := s.model.snapshot(s.names(), time.Now())
	for _, p := range snap.Peers {
		if p.Role == "leader" && running[p.Name] {
			return s.peer(p.Name)
		}
	}
	for _, p := range s.peers {
		if running[p.Name] {
			return p, nil
		}
	}
	return rafter.Peer{}, fmt.Errorf("%w: no peer is running", errBadRequest)
}

// write puts key=value in the demo table (created on first use) and
// returns the leader's last index after it: the entry's index, as the
// page is the only writer.
func (s *scope) write(ctx context.Context, key, value string) (uint64, error) {
	via, err := s.via()
	if err != nil {
		return 0, err
	}
	c := kvsm.NewClient(s.sys, via)
	err = c.Put(ctx, kvTable, key, []byte(value))
	if errors.Is(err, kvsm.ErrNoSuchTable) {
		if err = c.NewTable(ctx, kvTable); err == nil || errors.Is(err, kvsm.ErrTableExists) {
			err = c.Put(ctx, kvTable, key, []byte(value))
		}
	}
	if err != nil {
		return 0, err
	}
	leader, err := s.sys.GetLeader(ctx, via)
	if err != nil {
		return 0, err
	}
	st, err := s.sys.Status(ctx, leader)
	if err != nil {
		return 0, err
	}
	return st.CommitIndex, nil
}

// read reads key linearizably (ReadOp through the leader).
func (s *scope) read(ctx context.Context, key string) (string, bool, error) {
	via, err := s.via()
	if err != nil {
		return "", false, err
	}
	v, found, err := kvsm.NewClient(s.sys, via).Get(ctx, kvTable, key)
	if errors.Is(err, kvsm.ErrNoSuchTable) {
		return "", false, nil
	}
	return string(v), found, err
}

// members changes the configuration to the peers named.
func (s *scope) members(ctx context.Context, names []string) error {
	var ps []rafter.Peer
	for _, n := range names {
		p, err := s.peer(n)
		if err != nil {
			return err
		}
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		return fmt.Errorf("%w: a configuration needs a member", errBadRequest)
	}
	via, err := s.via()
	if err != nil {
		return err
	}
	return s.sys.SetConfig(ctx, via, ps)
}

// transfer hands leadership to peer to.
func (s *scope) transfer(ctx context.Context, to rafter.Peer) error {
	via, err := s.via()
	if err != nil {
		return err
	}
	return s.sys.TransferLeadership(ctx, via, to)
}
