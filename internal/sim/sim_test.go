package sim

import (
	"flag"
	"runtime"
	"sync"
	"testing"
	"time"
)

var (
	flagSeeds  = flag.Int("sim.seeds", 0, "number of seeded schedules TestSimulation runs (default 2000, 200 with -short)")
	flagFirst  = flag.Uint64("sim.first", 1, "first seed of TestSimulation")
	flagSeed   = flag.Uint64("sim.seed", 0, "replay this one seed (with its trace under -v)")
	flagTicks  = flag.Int("sim.ticks", 0, "override the chaos duration of each schedule, in ticks")
	flagSettle = flag.Int("sim.settle", 0, "override the settle duration of each schedule, in ticks")
)

// TestSimulation runs many seeded schedules (3, 5 and 7 peers, loss up to
// 30%, duplicates, reordering, partitions, crashes, membership changes)
// and fails on the first invariant violation, naming the seed to replay.
func TestSimulation(t *testing.T) {
	if *flagSeed != 0 {
		replay(t, *flagSeed)
		return
	}
	seeds := *flagSeeds
	if seeds == 0 {
		seeds = 2000
		if testing.Short() {
			seeds = 200
		}
	}
	start := time.Now()
	results := runSeeds(*flagFirst, seeds)
	var total Stats
	failed := 0
	for _, r := range results {
		total = total.Add(r.Stats)
		if testing.Verbose() {
			t.Logf("seed %d: hash %016x events %d committed %d err %v", r.Seed, r.Hash, r.Stats.Events, r.Stats.Committed, r.Err)
		}
		if r.Err != nil {
			failed++
			if failed <= 5 {
				t.Errorf("%v\nreplay: go test ./internal/sim -run TestSimulation -sim.seed=%d -v", r.Err, r.Seed)
			}
		}
	}
	var stuck, unanswered []uint64
	for _, r := range results {
		if r.Stats.Unconverged > 0 && len(stuck) < 20 {
			stuck = append(stuck, r.Seed)
		}
		if r.Stats.Unanswered > 0 && len(unanswered) < 20 {
			unanswered = append(unanswered, r.Seed)
		}
	}
	// Liveness: the settle phase meets Raft's timing requirement and lasts
	// four election timeouts, so nearly every schedule ends with a leader
	// (9 of 10,000 seeds did not when this bound was set: a leader removing
	// itself in the last election timeout). A rate above 1 in 200 means
	// elections or hand-overs got slower or stuck, which no safety check sees.
	if seeds >= 1000 && total.Unconverged*200 > seeds {
		t.Errorf("%d of %d schedules ended without a settled leader (bound: 1 in 200); first seeds: %v",
			total.Unconverged, seeds, stuck)
	}
	// Unanswered requests are a statistic, not a failure: see doc.go and FINDINGS.md.
	t.Logf("unconverged (no leader with an entry of its term committed after the settle phase), first seeds: %v", stuck)
	t.Logf("unanswered (a request still pending on a leader of the same term at the end), first seeds: %v", unanswered)
	t.Logf("%d schedules in %v, %d failed; totals %+v", seeds, time.Since(start).Round(time.Millisecond), failed, total)
	// The schedules must have exercised the protocol, or passing means nothing.
	if total.Committed == 0 || total.Acked == 0 || total.Reads == 0 || total.Grow == 0 || total.Shrink == 0 ||
		total.ReplaceLeader == 0 || total.Crashes == 0 || total.Partitions == 0 ||
		total.Staged == 0 || total.LearnersAdded == 0 ||
		!snapshotsExercised(total) {
		t.Errorf("schedules did too little: %+v", total)
	}
	// A save that an install overtook is rare (about one in 200 schedules).
	if seeds >= 1000 && total.StaleSaves == 0 {
		t.Errorf("no snapshot save was overtaken by an install in %d schedules", seeds)
	}
	// Learners: removed, crashed mid catch-up, and changes given up
	// (about one schedule in 20 each).
	if seeds >= 1000 && (total.LearnersRemoved == 0 || total.CatchUpTimeouts == 0 || total.CrashesCatchingUp == 0) {
		t.Errorf("learner schedules did too little in %d schedules: %+v", seeds, total)
	}
}

// snapshotsExercised: the schedules took, failed, compacted, streamed,
// installed and restored snapshots, and crashed peers in the middle of a
// save and of an install.
func snapshotsExercised(s Stats) bool {
	return s.Snapshots > 0 && s.SnapshotFailures > 0 && s.Compactions > 0 && s.Chunks > 0 &&
		s.Installs > 0 && s.Restores > 0 && s.CrashesMidSave > 0 && s.CrashesMidInstall > 0
}

// Crashes hit snapshot saves and installs mid-way in ordinary schedules
// (not only in the 2,000 of TestSimulation).
func TestSnapshotCrashesHappen(t *testing.T) {
	var total Stats
	for _, r := range runSeeds(1, 400) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		total = total.Add(r.Stats)
	}
	t.Logf("snapshots %d (failed %d), compactions %d, chunks %d (dropped %d), installs %d, restores %d, crashes mid-save %d, mid-install %d, reconciled %d",
		total.Snapshots, total.SnapshotFailures, total.Compactions, total.Chunks, total.ChunksDropped,
		total.Installs, total.Restores, total.CrashesMidSave, total.CrashesMidInstall, total.Reconciled)
	if !snapshotsExercised(total) {
		t.Errorf("400 schedules did not exercise snapshots: %+v", total)
	}
}

func replay(t *testing.T, seed uint64) {
	o := flagOptions(seed)
	if testing.Verbose() {
		o.Trace = traceWriter{t}
	}
	r := Run(o)
	t.Logf("seed %d: options %+v", seed, o)
	t.Logf("seed %d: hash %016x stats %+v", seed, r.Hash, r.Stats)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
}

type traceWriter struct{ t *testing.T }

func (w traceWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p[:len(p)-1]))
	return len(p), nil
}

// flagOptions is RandomOptions(seed) with the -sim.ticks and -sim.settle
// overrides.
func flagOptions(seed uint64) Options {
	o := RandomOptions(seed)
	if *flagTicks > 0 {
		o.Ticks = *flagTicks
	}
	if *flagSettle > 0 {
		o.Settle = *flagSettle
	}
	return o
}

// runSeeds runs seeds first..first+n-1 on GOMAXPROCS workers.
func runSeeds(first uint64, n int) []Result {
	results := make([]Result, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				o := flagOptions(first + uint64(i))
				results[i] = Run(o)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// A seed replays exactly: two runs of one seed have the same hash (every
// event, every message, the final logs); different seeds differ.
func TestSeedReplaysExactly(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 42} {
		a, b := Run(RandomOptions(seed)), Run(RandomOptions(seed))
		t.Logf("seed %d: hash %016x / %016x, %d events", seed, a.Hash, b.Hash, a.Stats.Events)
		if a.Hash != b.Hash || a.Stats != b.Stats {
			t.Errorf("seed %d does not replay: %016x %+v vs %016x %+v", seed, a.Hash, a.Stats, b.Hash, b.Stats)
		}
	}
	if Run(RandomOptions(1)).Hash == Run(RandomOptions(2)).Hash {
		t.Error("seeds 1 and 2 gave the same run")
	}
}

// Seeds that once broke an invariant, kept as regressions (FINDINGS.md).
// 106762: a follower's success reply, held until its write was durable, was
// released after a newer term's leader had made it truncate the entry the
// reply acknowledged (core.Sendable now drops held messages of an older
// term). 39714: a follower applied the committed 5/2 before its own write
// of it (replacing a stale 5/1) was durable, snapshotted and compacted at
// 5, and crashed: the snapshot sat above a log compacted from 5/1
// (logserver's compaction now syncs the writes handed over before it;
// TestStoreCompactSyncsPendingWritesFirst is the model's check). 115514: a
// blank peer receiving a leader's snapshot took a Bootstrap retry and wrote
// the first entry while its log server installed the snapshot (the
// Bootstrap now waits for the install: core TestBootstrap_DuringAnInstall).
func TestSimulationRegressions(t *testing.T) {
	for _, seed := range []uint64{115514} {
		if r := Run(RandomOptions(seed)); r.Err != nil {
			t.Errorf("seed %d: %v", seed, r.Err)
		}
	}
	for _, seed := range []uint64{106762} {
		o := RandomOptions(seed)
		o.Bootstrap = false // the legacy start the seed was found with
		if r := Run(o); r.Err != nil {
			t.Errorf("seed %d: %v", seed, r.Err)
		}
	}
	o := RandomOptions(39714)
	if r := Run(o); r.Err != nil {
		t.Errorf("seed 39714: %v", r.Err)
	}
	o.Faults.CompactUnsynced = true
	if r := Run(o); r.Err == nil {
		t.Logf("seed 39714 no longer reaches an unsynced compaction (the schedules changed): find a new one with the fault on")
	}
}
