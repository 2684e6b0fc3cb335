package linearize

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/cluster"
	"github.com/rafter-go/rafter/internal/testpki"
	"github.com/rafter-go/rafter/kvsm"
)

// Table is the kvsm table the clients use.
const Table = "lin"

// failureBackoff is how long a client waits after a definite failure.
const failureBackoff = 20 * time.Millisecond

// Config describes one run.
type Config struct {
	// Seed drives the nemesis schedule and the clients' choices.
	Seed int64
	// Duration is how long the clients run.
	Duration time.Duration
	// Clients is the number of concurrent clients (5–10 in the tests).
	Clients int
	// Keys is the number of keys; more keys make porcupine's partitions
	// smaller and faster to check.
	Keys int
	// Faults is what the nemesis injects (0: none).
	Faults Faults
	// OpTimeout bounds each client call; when it expires the outcome is
	// unknown.
	OpTimeout time.Duration
	// StaleReads makes every Get a stale read (kvsm.Client.StaleGet, over
	// rafter.System.StaleReadOp): answered by the via peer from its own
	// state machine, no quorum round, as etcd's serializable reads. It is
	// not linearizable, and the checker must say so: it is how the tests
	// show that the check can fail.
	StaleReads bool
	// TLS puts each peer in its own System on 127.0.0.1, every connection
	// between them mutual TLS with certificates of one test CA (each
	// naming its System's peer), so the clients' calls, the forwarding
	// and the Raft traffic all cross authenticated gRPC connections.
	TLS bool
	// Logf receives progress lines (t.Logf).
	Logf func(string, ...any)
}

// Run starts a 3-peer kvsm cluster (data dirs under t.TempDir()), runs the
// clients and the nemesis for cfg.Duration, and returns the history and
// the nemesis events. Errors of the setup fail t.
func Run(t testing.TB, cfg Config) (*History, []string) {
	t.Helper()
	part := &partition{}
	cc := cluster.Config{
		N:           3,
		Interceptor: part.intercept,
		Options: func(i int, o *rafter.Options) {
			o.StateMachine = kvsm.Factory()
			o.Seed = cfg.Seed + int64(i) + 1
			// Small thresholds, so that snapshots, compaction and
			// InstallSnapshot happen under the faults (issue 11).
			o.SnapshotEntries, o.TrailingEntries, o.SnapshotChunkBytes = 50, 10, 256
			o.SnapshotMinInterval = 0
			o.SegmentBytes = 4 << 10
		},
	}
	if cfg.TLS {
		cc.Remote, cc.System = true, cluster.MutualTLS(t, testpki.NewCA(t, "linearize-ca"), 3)
	}
	c := cluster.Start(t, cc)
	c.Configure()
	c.WaitLeader()
	var last error
	ok := c.Poll(func(ctx context.Context) bool {
		last = kvsm.NewClient(c.Client(), c.Peers[0]).NewTable(ctx, Table)
		return last == nil || errors.Is(last, kvsm.ErrTableExists)
	})
	if !ok {
		t.Fatalf("linearize: create table: %v", last)
	}

	h := NewHistory()
	r := &runner{cfg: cfg, c: c, h: h}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Duration)
	defer cancel()
	nem := &nemesis{rng: rand.New(rand.NewSource(cfg.Seed)), faults: cfg.Faults, c: c, part: part,
		logf: cfg.Logf, kills: make(map[string][]time.Time)}
	begin := time.Now()
	var wg sync.WaitGroup
	wg.Go(func() { nem.run(ctx) })
	for i := range cfg.Clients {
		rng := rand.New(rand.NewSource(cfg.Seed*1_000_003 + int64(i)))
		wg.Go(func() { r.client(ctx, rng) })
	}
	wg.Wait()
	part.set()
	nem.revive() // every peer up again, so the cleanup stops them cleanly
	cfg.Logf("run: clients and nemesis done after %v", time.Since(begin).Round(time.Millisecond))
	for _, p := range c.Peers {
		sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
		if st, err := c.Client().Status(sctx, p); err == nil {
			cfg.Logf("run: %s: snapshot at %d, first index %d, last %d, snapshots sent %d (repeated %d)",
				p.Name, st.SnapshotIndex, st.FirstIndex, st.LastIndex, st.SnapshotsSent, st.RepeatedSnapshots)
		}
		scancel()
	}
	return h, nem.Events
}

type runner struct {
	cfg Config
	c   *cluster.Cluster
	h   *History
	ids atomic.Int64 // porcupine client ids, dense from 0
	seq atomic.Int64 // unique write values
	// kvs holds one kvsm.Client (so one exactly-once session) per peer,
	// shared by the clients: sessions are safe for concurrent use, and a
	// client per operation would register a session per operation.
	kvs sync.Map // int (peer index) -> *kvsm.Client
}

// kv is the kvsm client that calls through peer via.
func (r *runner) kv(via int) *kvsm.Client {
	if kv, ok := r.kvs.Load(via); ok {
		return kv.(*kvsm.Client)
	}
	peer := r.c.Peers[via]
	kv, _ := r.kvs.LoadOrStore(via, kvsm.NewClient(r.c.SystemOf(peer), peer))
	return kv.(*kvsm.Client)
}

// client issues operations until ctx ends. It calls through one peer and
// moves to another after a failure; after an unknown outcome it takes a
// new client id (its open-ended write overlaps what it does next).
func (r *runner) client(ctx context.Context, rng *rand.Rand) {
	id := int(r.ids.Add(1) - 1)
	via := rng.Intn(len(r.c.Peers))
	seen := make(map[string]*string) // last value seen per key, for CAS
	for ctx.Err() == nil {
		in := r.pick(rng, seen)
		op := r.do(id, via, in)
		switch op.Result {
		case OK:
			switch {
			case in.Kind == Get && op.Output.Found, in.Kind == Append:
				v := op.Output.Value
				seen[in.Key] = &v
			case in.Kind == Get:
				seen[in.Key] = nil
			}
		case Unknown:
			id = int(r.ids.Add(1) - 1)
			via = rng.Intn(len(r.c.Peers))
		case Failed:
			// Most definite failures are "no leader" during an election:
			// back off a little instead of spinning (pacing, not
			// synchronisation: the next call's outcome decides).
			via = rng.Intn(len(r.c.Peers))
			time.Sleep(failureBackoff)
		}
	}
}

// pick draws an operation: 40% get, 20% each put, append, cas.
func (r *runner) pick(rng *rand.Rand, seen map[string]*string) Input {
	key := fmt.Sprintf("k%d", rng.Intn(r.cfg.Keys))
	val := fmt.Sprintf("%d", r.seq.Add(1))
	switch n := rng.Intn(10); {
	case n < 4:
		return Input{Kind: Get, Key: key}
	case n < 6:
		return Input{Kind: Put, Key: key, Value: val}
	case n < 8:
		return Input{Kind: Append, Key: key, Value: val + ";"}
	default:
		in := Input{Kind: CAS, Key: key, Value: val}
		if v := seen[key]; v != nil {
			in.Expected = *v
		} else {
			in.ExpectAbsent = true
		}
		return in
	}
}

// do runs one operation and records it.
func (r *runner) do(id, via int, in Input) Op {
	kv := r.kv(via)
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.OpTimeout)
	defer cancel()
	op := Op{Client: id, Input: in, Call: r.h.Now()}
	var err error
	switch in.Kind {
	case Get:
		get := kv.Get
		if r.cfg.StaleReads {
			get = kv.StaleGet
		}
		var v []byte
		v, op.Output.Found, err = get(ctx, Table, in.Key)
		op.Output.Value = string(v)
		if r.cfg.StaleReads && errors.Is(err, kvsm.ErrNoSuchTable) {
			// A peer that has not yet applied the table's creation (a
			// lagging or restarted one): a stale state in which the key
			// is absent, which is what stale reads may return.
			op.Output, err = Output{}, nil
		}
	case Put:
		err = kv.Put(ctx, Table, in.Key, []byte(in.Value))
	case Append:
		var v []byte
		v, err = kv.Append(ctx, Table, in.Key, []byte(in.Value))
		op.Output.Value = string(v)
	case CAS:
		var exp []byte
		if !in.ExpectAbsent {
			exp = []byte(in.Expected)
		}
		var cur []byte
		op.Output.Swapped, cur, err = kv.CAS(ctx, Table, in.Key, exp, []byte(in.Value))
		op.Output.CurrentFound, op.Output.Current = cur != nil, string(cur)
	}
	op.Return = r.h.Now()
	switch {
	case err == nil:
		op.Result = OK
	case errors.Is(err, kvsm.ErrNoSuchTable), errors.Is(err, kvsm.ErrTableExists), errors.Is(err, kvsm.ErrMalformed):
		// A kvsm error result cannot happen in this workload: the
		// harness is broken, and the test fails on it.
		op.Result, op.Err = Unknown, err.Error()
		r.h.unexpected(err)
	case rafter.Definite(err):
		op.Result, op.Err = Failed, err.Error()
	default:
		op.Result, op.Err = Unknown, err.Error()
	}
	r.h.Add(op)
	return op
}
