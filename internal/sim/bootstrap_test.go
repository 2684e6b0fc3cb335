package sim

import (
	"strings"
	"testing"
)

// Schedules that create their cluster with Bootstrap (some peers crashing
// right after they were asked, the usual crashes, partitions, loss,
// membership changes and transfers afterwards) keep every invariant, and
// the bootstrap did happen: asks, crashes during it, and clusters that
// went on to commit.
func TestSimulationBootstrap(t *testing.T) {
	seeds := 400
	if testing.Short() {
		seeds = 100
	}
	var total Stats
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		o := RandomOptions(seed)
		o.Bootstrap = true
		r := Run(o)
		if r.Err != nil {
			t.Fatalf("%v\nreplay: RandomOptions(%d) with Bootstrap = true", r.Err, seed)
		}
		total = total.Add(r.Stats)
	}
	t.Logf("%d schedules with Bootstrap: %+v", seeds, total)
	if total.Bootstraps < seeds || total.BootstrapCrashes == 0 || total.Committed == 0 || total.Acked == 0 ||
		total.Grow == 0 || total.ReplaceLeader == 0 {
		t.Errorf("the schedules did too little: %+v", total)
	}
	if total.Unconverged > seeds/20 {
		t.Errorf("%d of %d bootstrapped schedules never converged", total.Unconverged, seeds)
	}
}

// Half the random schedules bootstrap, half take rafter's legacy path.
func TestRandomOptionsMixBootstrap(t *testing.T) {
	n := 0
	for seed := uint64(1); seed <= 200; seed++ {
		if RandomOptions(seed).Bootstrap {
			n++
		}
	}
	if n < 60 || n > 140 {
		t.Errorf("%d of 200 schedules bootstrap", n)
	}
}

// The bootstrap check sees a confirmation that came before the write was
// durable.
func TestCheckerCatchesEarlyBootstrapAnswer(t *testing.T) {
	o := RandomOptions(1)
	o.Bootstrap = true
	o.Faults = Faults{AckBeforeDurable: true, NoSendCheck: true}
	r := Run(o)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "confirms the bootstrap with nothing durable") {
		t.Errorf("want the early confirmation caught, got %v", r.Err)
	}
}
