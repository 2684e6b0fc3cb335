package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/rafter-go/rafter/internal/hoptrace"
)

// Sampling rates of the block and mutex profiles: one blocking event per
// blockRate nanoseconds blocked, one mutex contention event in mutexRate.
// Every event (rate 1) would slow the run it measures.
const (
	blockRate = 10_000
	mutexRate = 100
)

// diagnostics are a point's -trace, -blockprofile and -mutexprofile: what
// runs beside the load to say where a write's time goes.
type diagnostics struct {
	trace        float64 // sampling rate of -trace (0: off)
	blockprofile string  // file of the block profile ("" = none)
	mutexprofile string
	out          io.Writer // where the trace table goes (nil: stderr, beside the RESULT line on stdout)
	// events, if set, is the file the trace's events are written to, for
	// the table across processes (a "procs" run; see crossTrace).
	events string
}

// start turns on what d asks for and returns the function that turns it
// off and writes the results: the trace table to d.out, the profiles to
// their files.
func (d diagnostics) start() (stop func() error, err error) {
	w := d.out
	if w == nil {
		w = os.Stderr
	}
	var rec *hoptrace.Recorder
	if d.trace > 0 {
		if rec, err = hoptrace.New(d.trace); err != nil {
			return nil, fmt.Errorf("bench: -trace: %w", err)
		}
		if d.events != "" {
			rec.LogEvents(maxEvents)
		}
		hoptrace.Install(rec)
	}
	if d.blockprofile != "" {
		runtime.SetBlockProfileRate(blockRate)
	}
	if d.mutexprofile != "" {
		runtime.SetMutexProfileFraction(mutexRate)
	}
	return func() error {
		var first error
		if rec != nil {
			hoptrace.Install(nil)
			first = rec.WriteTable(w)
			if d.events != "" {
				first = firstErr(first, writeEvents(d.events, rec))
			}
		}
		if d.blockprofile != "" {
			runtime.SetBlockProfileRate(0)
			first = firstErr(first, writeProfile("block", d.blockprofile))
		}
		if d.mutexprofile != "" {
			runtime.SetMutexProfileFraction(0)
			first = firstErr(first, writeProfile("mutex", d.mutexprofile))
		}
		return first
	}, nil
}

// writeProfile writes the named runtime profile to file.
func writeProfile(name, file string) error {
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("bench: %s profile: %w", name, err)
	}
	err = pprof.Lookup(name).WriteTo(f, 0)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("bench: %s profile: %w", name, err)
	}
	return nil
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// maxEvents bounds the events one process keeps for the table across
// processes: 80 MB at most, about 50 s of a 128-client run (the leader
// keeps some 20,000 a second there: its marks and acks, and the answers
// of the writes it sampled; a follower a third of that).
const maxEvents = 1 << 20

// eventsFile is where the process of the peer with data in dir writes its
// trace events: beside dir, which is the peer's data directory.
func eventsFile(dir string) string { return dir + ".hops.jsonl" }

// writeEvents writes rec's events to file as JSON lines.
func writeEvents(file string, rec *hoptrace.Recorder) error {
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("bench: trace events: %w", err)
	}
	bw := bufio.NewWriter(f)
	enc := json.NewEncoder(bw)
	evs, dropped := rec.Events()
	for _, e := range evs {
		if err = enc.Encode(e); err != nil {
			break
		}
	}
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("bench: trace events: %w", err)
	}
	if dropped > 0 {
		fmt.Fprintf(os.Stderr, "bench: trace events: %d not kept (over %d)\n", dropped, maxEvents)
	}
	return nil
}

// crossTrace prints the table of the writes the leader sampled with every
// process's hops, from the event files the peer processes of a "procs" run
// wrote beside their data directories. Files that are missing are
// skipped (a peer that failed to start).
func crossTrace(w io.Writer, files []string) error {
	var all []hoptrace.Event
	for _, file := range files {
		f, err := os.Open(file)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("bench: trace events: %w", err)
		}
		dec := json.NewDecoder(bufio.NewReader(f))
		for {
			var e hoptrace.Event
			if err = dec.Decode(&e); err != nil {
				break
			}
			all = append(all, e)
		}
		_ = f.Close()
		if !errors.Is(err, io.EOF) {
			return fmt.Errorf("bench: trace events of %s: %w", file, err)
		}
	}
	if _, err := fmt.Fprintln(w, "trace across processes (every process's hops, stamped with the wall clock):"); err != nil {
		return err
	}
	return hoptrace.Replay(all).WriteTable(w)
}
