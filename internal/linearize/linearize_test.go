package linearize

import (
	"flag"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Flags (or the environment, for go test ./... runs): how long, which
// seed, where the visualization goes.
var (
	flagDuration = flag.Duration("linearize.duration", envDuration("LINEARIZE_DURATION", 10*time.Second),
		"how long the clients run (env LINEARIZE_DURATION)")
	flagSeed = flag.Int64("linearize.seed", envInt("LINEARIZE_SEED", 0),
		"seed of the nemesis and the clients; 0 picks one (env LINEARIZE_SEED)")
	flagClients = flag.Int("linearize.clients", int(envInt("LINEARIZE_CLIENTS", 6)),
		"concurrent clients (env LINEARIZE_CLIENTS)")
	flagOut = flag.String("linearize.out", os.Getenv("LINEARIZE_OUT"),
		"directory for porcupine's HTML visualization on failure; default os.TempDir() (env LINEARIZE_OUT)")
)

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}

func envInt(name string, def int64) int64 {
	if n, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil {
		return n
	}
	return def
}

func seed(t *testing.T) int64 {
	s := *flagSeed
	if s == 0 {
		s = time.Now().UnixNano()
	}
	t.Logf("seed %d (replay: go test ./internal/linearize -run '^%s$' -linearize.seed=%d, or LINEARIZE_SEED=%d)",
		s, t.Name(), s, s)
	return s
}

// checkTimeout bounds porcupine's search; a history it cannot decide in
// this time fails the test too (Unknown is not a pass).
const checkTimeout = 60 * time.Second

// The linearizability test of issue 6: kvsm through the public API, six
// concurrent clients through all three peers, while the nemesis isolates
// peers, crashes consensus and log actors and restarts peers on their data
// directories. porcupine must find the history linearizable.
func TestLinearizableUnderFaults(t *testing.T) {
	s := seed(t)
	start := time.Now()
	h, events := Run(t, Config{
		Seed: s, Duration: *flagDuration, Clients: *flagClients, Keys: 10,
		Faults: AllFaults, OpTimeout: time.Second, Logf: t.Logf,
	})
	require.Empty(t, h.Unexpected(), "kvsm error results the workload cannot produce")
	v, err := Check(h.Ops(), checkTimeout, *flagOut, "faults")
	require.NoError(t, err)
	t.Logf("seed %d: %d nemesis events; %v; run+check %v, check %v",
		s, len(events), v.Counts, time.Since(start).Round(time.Millisecond), v.Elapsed.Round(time.Millisecond))
	require.Greater(t, v.Counts.ByOutcome[OK], 50, "too few successful operations to mean anything")
	require.Equal(t, porcupine.Ok, v.Result,
		"history not linearizable (seed %d); porcupine's visualization: %s", s, v.HTML)
}

// The same over mutual TLS: each peer in its own System, every client call,
// forwarded request and Raft message on an authenticated gRPC connection
// (issue 12), under the same faults.
func TestLinearizableUnderFaultsTLS(t *testing.T) {
	s := seed(t)
	h, events := Run(t, Config{
		Seed: s, Duration: *flagDuration, Clients: *flagClients, Keys: 10,
		Faults: AllFaults, OpTimeout: time.Second, Logf: t.Logf, TLS: true,
	})
	require.Empty(t, h.Unexpected(), "kvsm error results the workload cannot produce")
	v, err := Check(h.Ops(), checkTimeout, *flagOut, "faults-tls")
	require.NoError(t, err)
	t.Logf("seed %d: %d nemesis events; %v; check %v", s, len(events), v.Counts, v.Elapsed.Round(time.Millisecond))
	require.Greater(t, v.Counts.ByOutcome[OK], 50, "too few successful operations to mean anything")
	require.Equal(t, porcupine.Ok, v.Result,
		"history not linearizable over TLS (seed %d); porcupine's visualization: %s", s, v.HTML)
}

// The checker can fail: with stale reads (kvsm.Client.StaleGet over
// rafter.System.StaleReadOp, the documented non-linearizable read, like
// etcd's serializable reads) while the nemesis isolates peers, porcupine
// must report the violation.
func TestCheckerCatchesStaleReads(t *testing.T) {
	s := seed(t)
	h, _ := Run(t, Config{
		Seed: s, Duration: 4 * time.Second, Clients: 6, Keys: 3,
		Faults: Partition, OpTimeout: time.Second, StaleReads: true, Logf: t.Logf,
	})
	require.Empty(t, h.Unexpected(), "kvsm error results the workload cannot produce")
	v, err := Check(h.Ops(), checkTimeout, *flagOut, "stale-reads")
	require.NoError(t, err)
	t.Logf("seed %d: %v; verdict %s; visualization %s", s, v.Counts, v.Result, v.HTML)
	require.Equal(t, porcupine.Illegal, v.Result, "stale reads went unnoticed (seed %d)", s)
	require.FileExists(t, v.HTML)
	_ = os.Remove(v.HTML)
}

func op(client int, call, ret int64, in Input, out Output, res Outcome) Op {
	return Op{Client: client, Call: call, Return: ret, Input: in, Output: out, Result: res}
}

// Hand-made histories: the model accepts what is linearizable and rejects
// what is not, including how unknown and failed outcomes are treated.
func TestCheckerHistories(t *testing.T) {
	put := func(k, v string) Input { return Input{Kind: Put, Key: k, Value: v} }
	get := Input{Kind: Get, Key: "x"}
	found := func(v string) Output { return Output{Found: true, Value: v} }
	for _, tc := range []struct {
		name string
		ops  []Op
		want porcupine.CheckResult
	}{
		{"sequential put then get", []Op{
			op(0, 0, 10, put("x", "1"), Output{}, OK),
			op(1, 20, 30, get, found("1"), OK),
		}, porcupine.Ok},
		{"stale read after a completed put", []Op{
			op(0, 0, 10, put("x", "1"), Output{}, OK),
			op(0, 20, 30, put("x", "2"), Output{}, OK),
			op(1, 40, 50, get, found("1"), OK),
		}, porcupine.Illegal},
		{"read of a value never written", []Op{
			op(1, 0, 10, get, found("7"), OK),
		}, porcupine.Illegal},
		{"concurrent put may be seen or not", []Op{
			op(0, 0, 100, put("x", "1"), Output{}, OK),
			op(1, 10, 20, get, Output{}, OK),
			op(2, 30, 40, get, found("1"), OK),
		}, porcupine.Ok},
		{"value appears then disappears", []Op{
			op(0, 0, 100, put("x", "1"), Output{}, OK),
			op(2, 30, 40, get, found("1"), OK),
			op(1, 50, 60, get, Output{}, OK),
		}, porcupine.Illegal},
		{"unknown put may take effect later", []Op{
			op(0, 0, 10, put("x", "1"), Output{}, Unknown),
			op(1, 500, 510, get, Output{}, OK),
			op(1, 600, 610, get, found("1"), OK),
		}, porcupine.Ok},
		{"unknown put may never take effect", []Op{
			op(0, 0, 10, put("x", "1"), Output{}, Unknown),
			op(1, 500, 510, get, Output{}, OK),
		}, porcupine.Ok},
		{"definitely failed put must not be seen", []Op{
			op(0, 0, 10, put("x", "1"), Output{}, Failed),
			op(1, 500, 510, get, found("1"), OK),
		}, porcupine.Illegal},
		{"append results chain", []Op{
			op(0, 0, 10, Input{Kind: Append, Key: "x", Value: "a"}, Output{Value: "a"}, OK),
			op(1, 20, 30, Input{Kind: Append, Key: "x", Value: "b"}, Output{Value: "ab"}, OK),
		}, porcupine.Ok},
		{"append lost an earlier append", []Op{
			op(0, 0, 10, Input{Kind: Append, Key: "x", Value: "a"}, Output{Value: "a"}, OK),
			op(1, 20, 30, Input{Kind: Append, Key: "x", Value: "b"}, Output{Value: "b"}, OK),
		}, porcupine.Illegal},
		{"cas swaps the value it read", []Op{
			op(0, 0, 10, put("x", "1"), Output{}, OK),
			op(1, 20, 30, Input{Kind: CAS, Key: "x", Expected: "1", Value: "2"},
				Output{Swapped: true, CurrentFound: true, Current: "2"}, OK),
			op(1, 40, 50, get, found("2"), OK),
		}, porcupine.Ok},
		{"cas on absent key cannot swap twice", []Op{
			op(0, 0, 10, Input{Kind: CAS, Key: "x", ExpectAbsent: true, Value: "1"},
				Output{Swapped: true, CurrentFound: true, Current: "1"}, OK),
			op(1, 20, 30, Input{Kind: CAS, Key: "x", ExpectAbsent: true, Value: "2"},
				Output{Swapped: true, CurrentFound: true, Current: "2"}, OK),
		}, porcupine.Illegal},
		{"keys are independent", []Op{
			op(0, 0, 10, put("y", "1"), Output{}, OK),
			op(1, 20, 30, get, Output{}, OK),
		}, porcupine.Ok},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Check(tc.ops, 10*time.Second, t.TempDir(), "unit")
			require.NoError(t, err)
			assert.Equal(t, tc.want, v.Result)
			if tc.want == porcupine.Illegal {
				assert.FileExists(t, v.HTML, "a failure names its visualization")
			}
		})
	}
}
