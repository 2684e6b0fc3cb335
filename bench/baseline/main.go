package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// flags are the command line; the point flags take comma lists.
type flags struct {
	transport, store, clients, size string
	procs                           bool
	warmup, duration                time.Duration
	runs                            int
	dir, jsonOut, aggregate, role   string
	maxBG                           float64
	quietWait                       time.Duration
	id                              int
	addrs                           string
}

func parseFlags() flags {
	var f flags
	flag.StringVar(&f.transport, "transport", "inmem", "inmem (raft.NewInmemTransport) | tcp (raft.NewTCPTransport on 127.0.0.1) (comma list)")
	flag.BoolVar(&f.procs, "procs", false, "with -transport tcp: each peer in its own OS process")
	flag.StringVar(&f.store, "store", "wal", "wal (raft-wal behind a 512-entry LogCache) | mem (raft.InmemStore, no disk) (comma list)")
	flag.StringVar(&f.clients, "clients", "1,16,128", "concurrent closed-loop client goroutines (comma list)")
	flag.StringVar(&f.size, "size", "100,1024", "value size in bytes (comma list)")
	flag.DurationVar(&f.duration, "duration", 5*time.Second, "measurement window per run")
	flag.DurationVar(&f.warmup, "warmup", time.Second, "warm-up before the window")
	flag.IntVar(&f.runs, "runs", 3, "repetitions per point, each a fresh child process; the table shows medians")
	flag.StringVar(&f.dir, "dir", "bench-data", "directory for the peers' data (a fresh subdirectory per run, removed afterwards); put it on the filesystem to measure")
	flag.StringVar(&f.jsonOut, "json", "", "append every run as a JSON line to this file")
	flag.Float64Var(&f.maxBG, "maxbg", 0.25, "before each run wait (up to -quietwait) until other machine load is below this many cores")
	flag.DurationVar(&f.quietWait, "quietwait", 2*time.Minute, "longest wait for a quiet machine before each run")
	flag.StringVar(&f.aggregate, "aggregate", "", "print the median table of these JSON-lines files (comma list) and exit")
	flag.StringVar(&f.role, "role", "", "internal: point (one point in this process) | node (one peer of a -procs run)")
	flag.IntVar(&f.id, "id", 0, "internal (-role node): this peer's index in -addrs")
	flag.StringVar(&f.addrs, "addrs", "", "internal (-role node): the three peers' host:port")
	flag.Parse()
	return f
}

func main() {
	if err := run(parseFlags()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(f flags) error {
	switch {
	case f.aggregate != "":
		rs, err := readJSONLines(strings.Split(f.aggregate, ","))
		if err != nil {
			return err
		}
		printTable(os.Stdout, groupRows(rs))
		return nil
	case f.role == "point" || f.role == "node":
		p, err := pointOf(f, f.transport, f.store, f.clients, f.size)
		if err != nil {
			return err
		}
		if f.role == "node" {
			return runNode(p, f.id, strings.Split(f.addrs, ","), f.dir)
		}
		res, err := runInProcess(p, f.dir)
		if err != nil {
			return err
		}
		return printResult(res)
	case f.role != "":
		return fmt.Errorf("baseline: unknown -role %q", f.role)
	}
	return runParent(f)
}

// point is one measured configuration.
type point struct {
	transport, store string
	procs            bool
	clients, size    int
	warmup, duration time.Duration
}

// pointOf builds one point from single (not comma-list) values.
func pointOf(f flags, transport, store, clients, size string) (point, error) {
	c, err := strconv.Atoi(clients)
	if err != nil || c < 1 {
		return point{}, fmt.Errorf("baseline: bad -clients %q", clients)
	}
	s, err := strconv.Atoi(size)
	if err != nil || s < 0 || s > 1<<20 {
		return point{}, fmt.Errorf("baseline: bad -size %q", size)
	}
	if f.procs && transport != "tcp" {
		return point{}, fmt.Errorf("baseline: -procs needs -transport tcp, not %q", transport)
	}
	if store != "wal" && store != "mem" {
		return point{}, fmt.Errorf("baseline: unknown store %q (want wal or mem)", store)
	}
	return point{transport: transport, store: store, procs: f.procs, clients: c, size: s,
		warmup: f.warmup, duration: f.duration}, nil
}

// label names a Result after its point, in examples/bench's vocabulary.
func (p point) label(r *Result) {
	r.System, r.Transport, r.Procs, r.Op = "hashicorp/raft", p.transport, p.procs, "write"
	r.Store = map[string]string{"wal": "raft-wal", "mem": "InmemStore"}[p.store]
	r.Clients, r.Size = p.clients, p.size
}

// childArgs is the command line of a child process for point p.
func childArgs(p point, dir string) []string {
	return []string{"-transport", p.transport, "-store", p.store,
		"-clients", strconv.Itoa(p.clients), "-size", strconv.Itoa(p.size),
		"-warmup", p.warmup.String(), "-duration", p.duration.String(), "-dir", dir,
		"-procs=" + strconv.FormatBool(p.procs)}
}

// printResult prints the one line the parent reads.
func printResult(r Result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	fmt.Println("RESULT " + string(b))
	return nil
}

// runParent runs every point -runs times, each in fresh child processes,
// and prints the median table.
func runParent(f flags) error {
	var jf *os.File
	if f.jsonOut != "" {
		var err error
		if jf, err = os.OpenFile(f.jsonOut, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		defer jf.Close()
	}
	fmt.Fprintf(os.Stderr, "# %s, GOMAXPROCS=%d, NumCPU=%d, %s/%s\n", runtime.Version(),
		runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	var all []Result
	for _, tr := range strings.Split(f.transport, ",") {
		for _, st := range strings.Split(f.store, ",") {
			for _, sz := range strings.Split(f.size, ",") {
				for _, c := range strings.Split(f.clients, ",") {
					p, err := pointOf(f, tr, st, c, sz)
					if err != nil {
						return err
					}
					for r := 1; r <= f.runs; r++ {
						res, err := runOnce(f, p)
						if err != nil {
							fmt.Fprintf(os.Stderr, "%s %s size=%d clients=%d run %d: ERROR %v\n", tr, st, p.size, p.clients, r, err)
							continue
						}
						fmt.Fprintf(os.Stderr, "hashicorp/raft %-9s %-10s size=%-5d clients=%-4d run %d: %8.0f ops/s  p50 %8.0fus  p99 %8.0fus  cpu %.2f (proc %.2f, bg %.2f)  ent/fsync %.1f  errs %d\n",
							transportLabel(res.key()), res.Store, p.size, p.clients, r, res.OpsPerSec, res.P50us, res.P99us, res.CPUCores, res.ProcCores, res.BGCores, res.EntriesPerWrite, res.Errors)
						if jf != nil {
							b, _ := json.Marshal(res)
							if _, err := jf.Write(append(b, '\n')); err != nil {
								return fmt.Errorf("baseline: %w", err)
							}
						}
						all = append(all, res)
					}
				}
			}
		}
	}
	_ = os.Remove(f.dir) // only if empty: every run removed its own subdirectory
	printTable(os.Stdout, groupRows(all))
	return nil
}

// runOnce runs point p once in fresh child process(es), after waiting for
// a quiet machine, and records the background load before and after.
func runOnce(f flags, p point) (Result, error) {
	dir := filepath.Join(f.dir, fmt.Sprintf("run-%d-%d", os.Getpid(), time.Now().UnixNano()))
	defer os.RemoveAll(dir)
	bg := waitQuiet(f.maxBG, f.quietWait)
	var res Result
	var err error
	if p.procs {
		res, err = runProcs(p, dir, childArgs)
	} else {
		res, err = runChild(p, dir)
	}
	if after := sampleBusy(time.Second); after > bg {
		bg = after
	}
	if err != nil {
		return Result{}, err
	}
	res.BGCores = bg
	return res, nil
}

// runChild runs point p in one child process (-role point).
func runChild(p point, dir string) (Result, error) {
	cmd := exec.Command(os.Args[0], append(childArgs(p, dir), "-role", "point")...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return Result{}, fmt.Errorf("baseline: child: %w", err)
	}
	return parseResult(string(out))
}

// parseResult finds the RESULT line in a child's output.
func parseResult(out string) (Result, error) {
	for _, l := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(l, "RESULT "); ok {
			var r Result
			if err := json.Unmarshal([]byte(rest), &r); err != nil {
				return Result{}, fmt.Errorf("baseline: child result: %w", err)
			}
			return r, nil
		}
	}
	return Result{}, errNoResultLine
}
