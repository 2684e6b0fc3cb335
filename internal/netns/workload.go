//go:build linux

package netns

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"time"
)

// Workload drives the cluster through the RESP ports: clients issue GET,
// SET, APPEND and CAS on a few shared keys (recorded in History for the
// linearizability check), and one prober per host writes unique keys
// (recorded in Probes: when writes were served, and what must survive).
type Workload struct {
	C       *Cluster
	Hist    *History
	Keys    []string
	Timeout time.Duration // client-side deadline of one command

	mu     sync.Mutex
	probes []Probe
	wg     sync.WaitGroup
}

// Probe is one SET of a unique key by a prober.
type Probe struct {
	Host       string
	Key, Value string
	Call, Ret  time.Time
	Acked      bool
}

// Start runs clients workload clients (seeded from seed) and the probers
// until ctx ends; Wait waits for them.
func (w *Workload) Start(ctx context.Context, clients int, seed int64) {
	for i := 0; i < clients; i++ {
		w.wg.Add(1)
		go w.client(ctx, i, rand.New(rand.NewSource(seed+int64(i))))
	}
	for _, h := range w.C.Hosts {
		w.wg.Add(1)
		go w.probe(ctx, h)
	}
}

// Wait waits for every client and prober to stop.
func (w *Workload) Wait() { w.wg.Wait() }

// Probes is a copy of the probe records.
func (w *Workload) Probes() []Probe {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Probe(nil), w.probes...)
}

// FirstAckAfter is the earliest return of an acknowledged probe write
// invoked at or after t.
func (w *Workload) FirstAckAfter(t time.Time) (time.Time, bool) {
	var best time.Time
	for _, p := range w.Probes() {
		if p.Acked && !p.Call.Before(t) && (best.IsZero() || p.Ret.Before(best)) {
			best = p.Ret
		}
	}
	return best, !best.IsZero()
}

// avoidFor is how long a client keeps away from a host that left a command
// without an answer.
const avoidFor = 2 * time.Second

// conns keeps one connection per host, redialled after any error.
type conns struct {
	c       *Cluster
	m       map[string]*Conn
	timeout time.Duration
}

func (cs *conns) do(host string, args ...string) (Reply, error) {
	conn := cs.m[host]
	if conn == nil {
		var err error
		if conn, err = cs.c.Dial(host, cs.timeout); err != nil {
			return Reply{}, err
		}
		cs.m[host] = conn
	}
	r, err := conn.Do(cs.timeout, args...)
	if err != nil {
		conn.Close()
		delete(cs.m, host)
	}
	return r, err
}

func (cs *conns) close() {
	for _, c := range cs.m {
		c.Close()
	}
}

// pause paces a loop; it returns false once ctx is done.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (w *Workload) probe(ctx context.Context, host string) {
	defer w.wg.Done()
	cs := &conns{c: w.C, m: map[string]*Conn{}, timeout: w.Timeout}
	defer cs.close()
	for seq := 0; ctx.Err() == nil; seq++ {
		key := fmt.Sprintf("probe-%s-%06d", host, seq)
		val := fmt.Sprintf("v%d", time.Now().UnixNano())
		p := Probe{Host: host, Key: key, Value: val, Call: time.Now()}
		r, err := cs.do(host, "SET", key, val)
		p.Ret = time.Now()
		p.Acked = err == nil && r.Kind == '+' && r.Str == "OK"
		w.mu.Lock()
		w.probes = append(w.probes, p)
		w.mu.Unlock()
		if err != nil || r.Kind == '-' {
			// Not served: do not spin on a refusing node.
			if !pause(ctx, 50*time.Millisecond) {
				return
			}
		} else if !pause(ctx, 10*time.Millisecond) {
			return
		}
	}
}

func (w *Workload) client(ctx context.Context, id int, rng *rand.Rand) {
	defer w.wg.Done()
	cs := &conns{c: w.C, m: map[string]*Conn{}, timeout: w.Timeout}
	defer cs.close()
	seen := map[string]*string{} // the last value this client saw per key
	// A host that did not answer is avoided for a while, as a real
	// client would: every write sent into a dead, paused or cut-off node
	// ends with an unknown outcome, and each unknown write is open-ended
	// in the history, which makes porcupine's search much longer.
	avoid := map[string]time.Time{}
	for seq := 0; ctx.Err() == nil; seq++ {
		host := w.C.Hosts[rng.Intn(len(w.C.Hosts))]
		for i := 0; i < len(w.C.Hosts) && time.Now().Before(avoid[host]); i++ {
			host = w.C.Hosts[(rng.Intn(len(w.C.Hosts)))]
		}
		key := w.Keys[rng.Intn(len(w.Keys))]
		val := fmt.Sprintf("c%d.%d;", id, seq)
		in := Input{Key: key, Value: val}
		switch x := rng.Intn(10); {
		case x < 4:
			in.Kind = Get
		case x < 6:
			in.Kind = Set
		case x < 8:
			in.Kind = Append
		default:
			in.Kind = CAS
			if s := seen[key]; s != nil {
				in.Expected = *s
			} else {
				in.ExpectAbsent = true
			}
		}
		op := w.Do(cs, id, host, in)
		w.Hist.Add(op)
		if op.Result == Unknown {
			avoid[host] = time.Now().Add(avoidFor)
		}
		switch {
		case op.Result == OK && op.Input.Kind == Get && op.Output.Found:
			v := op.Output.Value
			seen[key] = &v
		case op.Result == OK && op.Input.Kind == CAS && op.Output.CurrentFound:
			v := op.Output.Current
			seen[key] = &v
		case op.Result == OK && op.Input.Kind == Set:
			seen[key] = &val
		}
		if op.Result != OK && !pause(ctx, 20*time.Millisecond) {
			return
		}
	}
}

// Do runs one operation through host and classifies the reply.
func (w *Workload) Do(cs *conns, client int, host string, in Input) Op {
	op := Op{Client: client, Input: in, Call: w.Hist.Now()}
	var args []string
	switch in.Kind {
	case Get:
		args = []string{"GET", in.Key}
	case Set:
		args = []string{"SET", in.Key, in.Value}
	case Append:
		args = []string{"APPEND", in.Key, in.Value}
	case CAS:
		args = []string{"CAS", in.Key, in.Value, "EXPECT", in.Expected}
		if in.ExpectAbsent {
			args = []string{"CAS", in.Key, in.Value, "ABSENT"}
		}
	}
	r, err := cs.do(host, args...)
	op.Return = w.Hist.Now()
	op.Err = host
	op.Output, op.Result = classify(in.Kind, r, err)
	switch {
	case err != nil:
		op.Err += ": " + err.Error()
	case r.Err() != "":
		op.Err += ": " + r.Err()
	case op.Result == Unknown:
		op.Err += ": " + BadReply + " " + r.String()
	}
	return op
}
