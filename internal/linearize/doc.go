// Package linearize is the linearizability test of rafter (issue 6): it
// runs kvsm through the public API (kvsm.Client over rafter.System.Op and
// ReadOp) with concurrent clients while a nemesis injects faults, records
// every operation, and checks the history with porcupine
// (github.com/anishathalye/porcupine).
//
// # What runs
//
// Run starts a 3-peer cluster (internal/cluster, one System, data dirs
// under t.TempDir()) and, for Config.Duration, Config.Clients goroutines
// issuing get, put, append and cas on a few keys of one table through
// every peer (followers forward to the leader), each call bounded by
// Config.OpTimeout. The nemesis acts every 300–1000 ms: it isolates a peer
// (often the leader) through SystemOptions.Interceptor, crashes a
// consensus or log actor with System.Kill (within the supervisor's restart
// intensity), or stops a peer and starts it again on its data dir.
//
// # What is checked
//
// Every operation is recorded with its invocation and response time and an
// outcome: ok, failed definitely (rafter.Definite: it did not happen, so it
// is dropped), or unknown (a timeout, a lost leadership: a write gets an
// open-ended return time and an output the model accepts, so porcupine
// may place it anywhere after its call, including never; an unknown read
// is dropped). Model is a key-value register per key with kvsm's exact
// semantics, partitioned by key. A history that is not linearizable fails
// the test, and porcupine's HTML visualization is written to a file named
// in the failure message (directory: -linearize.out or LINEARIZE_OUT,
// default os.TempDir()).
//
// The check can fail, and the tests show it: TestCheckerHistories feeds
// hand-made histories (a stale read, a lost append, a double cas, a
// definitely failed write that is seen) and expects them rejected;
// TestCheckerCatchesStaleReads runs the cluster with rafter's documented
// non-linearizable read (Config.StaleReads: every get is a
// kvsm.Client.StaleGet, served by the via peer from its own state machine
// over rafter.System.StaleReadOp, no quorum round) under partitions and
// expects porcupine to report the violation.
//
// # Seeds and replay
//
// The nemesis schedule and the clients' choices come from one seed, printed
// by every test. Replay with
//
//	go test ./internal/linearize -run '^TestLinearizableUnderFaults$' -linearize.seed=N
//
// (or LINEARIZE_SEED=N). Thread timing is not replayed, so a replay follows
// the same schedule of faults and operations, not the same interleaving.
//
// # A longer soak
//
// CI runs about 10 s of traffic (the whole package takes ~20 s with
// -race). For a soak, run longer and many times, for example 20 runs of a
// minute each with ten clients:
//
//	go test -race ./internal/linearize -run '^TestLinearizableUnderFaults$' -count=20 \
//	    -timeout=2h -linearize.duration=60s -linearize.clients=10 -linearize.out=/tmp/lin
//
// or through the environment, for a plain go test ./...:
//
//	LINEARIZE_DURATION=60s LINEARIZE_CLIENTS=10 go test -race -count=20 ./internal/linearize
//
// Each run prints its seed and its figures: operations per outcome and per
// kind, how many were checked, and how long porcupine took.
package linearize
