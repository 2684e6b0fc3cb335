package sim

import (
	"testing"
)

// The checker is not allowed to pass silently: each deliberate harness
// fault below breaks a guarantee the core relies on, and the simulator must
// report a violation within a fixed set of seeds. The seeds are fixed, so
// the test is deterministic.
func TestCheckerCatchesFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults Faults
		seeds  uint64
		opts   func(uint64) Options // nil: faultOptions
	}{
		// Persisted and the held messages go out before the write is
		// durable: a crash then loses entries that were counted.
		{"ack before durable", Faults{AckBeforeDurable: true}, 100, nil},
		// Votes and AppendEntries successes leave before their write is
		// durable (api.go step 2 ignored).
		{"send before persist", Faults{SendBeforePersist: true}, 100, nil},
		// The same two with the durable-before-send check off: the
		// end-to-end invariants (leader completeness, committed entries,
		// state machines, acknowledged writes) must catch them on their own.
		{"ack before durable, end to end", Faults{AckBeforeDurable: true, NoSendCheck: true}, 1000, nil},
		{"send before persist, end to end", Faults{SendBeforePersist: true, NoSendCheck: true}, 1000, nil},
		// Reads served from a peer's local state machine (no ReadIndex).
		{"local reads", Faults{LocalReads: true}, 100, nil},
		// A snapshot serialized when its save completes, not when asked:
		// it holds operations after its index.
		{"late snapshot", Faults{LateSnapshot: true}, 100, snapOptions},
		// An installed snapshot not restored: the state machine skips the
		// entries the snapshot covers.
		{"no restore", Faults{NoRestore: true}, 100, snapOptions},
		// An install that keeps a log that conflicts with the snapshot:
		// its old suffix later counts as committed.
		{"install keeps log", Faults{InstallKeepsLog: true}, 300, snapOptions},
		// A retried session command applied a second time.
		{"session reapply", Faults{SessionReapply: true}, 1000, sessionOptions},
		// Snapshots without the session table: a restored replica forgets
		// its sessions.
		{"session-less snapshot", Faults{SessionLessSnapshot: true}, 100, func(seed uint64) Options {
			o := sessionOptions(seed)
			o.SnapshotEntries, o.TrailingEntries = 5, seed%3
			return o
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seeds := tt.seeds
			found := 0
			var first error
			for seed := uint64(1); seed <= seeds; seed++ {
				opts := tt.opts
				if opts == nil {
					opts = faultOptions
				}
				o := opts(seed)
				o.Faults = tt.faults
				if r := Run(o); r.Err != nil {
					if found == 0 {
						first = r.Err
					}
					found++
				}
			}
			t.Logf("%d of %d seeds caught the fault; first: %v", found, seeds, first)
			if found == 0 {
				t.Errorf("no violation reported in %d seeds with fault %+v", seeds, tt.faults)
			}
		})
	}
}

// faultOptions is a schedule that gives faults a chance to show: frequent
// crashes, slow disks, some loss and partitions.
func faultOptions(seed uint64) Options {
	o := RandomOptions(seed)
	o.Peers = 3
	o.CrashEvery = 3
	o.PartitionEvery = 10
	o.MaxFsync = 5 * TickUnit
	o.Clients = 3
	return o
}

// sessionOptions is faultOptions with every client on sessions.
func sessionOptions(seed uint64) Options {
	o := faultOptions(seed)
	o.Sessions = true
	return o
}

// snapOptions is a schedule with a snapshot every 5 entries and few kept
// behind, so that followers often need InstallSnapshot.
func snapOptions(seed uint64) Options {
	o := RandomOptions(seed)
	o.SnapshotEntries, o.TrailingEntries = 5, seed%3
	return o
}

// The same schedules without faults pass: what the faults test catches is
// the fault, not a schedule the core cannot survive.
func TestFaultSchedulesPassWithoutFaults(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		if r := Run(faultOptions(seed)); r.Err != nil {
			t.Fatal(r.Err)
		}
		if r := Run(snapOptions(seed)); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
}
