package main

import (
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
