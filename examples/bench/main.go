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
	transport, op, clients, size string
	warmup, duration             time.Duration
	runs                         int
	dir                          string
	stats                        bool
	maxAppend, maxInflight       int
	cpuprofile, jsonOut          string
	maxBG                        float64
	quietWait                    time.Duration
	aggregate, compare, role     string
	id                           int
	addrs                        string
}

func parseFlags() flags {
	var f flags
	flag.StringVar(&f.transport, "transport", "local", "local (3 peers in one System) | remote (3 Systems over 127.0.0.1 gRPC, one process) | procs (each peer its own OS process over 127.0.0.1) (comma list)")
	flag.StringVar(&f.op, "op", "write,read", "write (Op, committed+applied) | read (ReadOp, linearizable) (comma list)")
	flag.StringVar(&f.clients, "clients", "1,16,128", "concurrent closed-loop client goroutines (comma list)")
	flag.StringVar(&f.size, "size", "100,1024", "value size in bytes (comma list)")
	flag.DurationVar(&f.duration, "duration", 5*time.Second, "measurement window per run")
	flag.DurationVar(&f.warmup, "warmup", time.Second, "warm-up before the window")
	flag.IntVar(&f.runs, "runs", 3, "repetitions per point, each a fresh child process; the table shows medians")
	flag.StringVar(&f.dir, "dir", "bench-data", "directory for the peers' data (a fresh subdirectory per run, removed afterwards); put it on the filesystem to measure")
	flag.BoolVar(&f.stats, "stats", true, "report the leader's entries per fsync (System.LogStats)")
	flag.IntVar(&f.maxAppend, "maxappend", 0, "Options.MaxAppendEntries (0: rafter's default)")
	flag.IntVar(&f.maxInflight, "inflight", 0, "Options.MaxInflight (0: rafter's default)")
	flag.StringVar(&f.cpuprofile, "cpuprofile", "", "write a CPU profile of each run's window to PREFIX.<transport>-<op>-s<size>-c<clients>-r<run>.pprof")
	flag.StringVar(&f.jsonOut, "json", "", "append every run as a JSON line to this file")
	flag.Float64Var(&f.maxBG, "maxbg", 0.25, "before each run wait (up to -quietwait) until other machine load is below this many cores")
	flag.DurationVar(&f.quietWait, "quietwait", 2*time.Minute, "longest wait for a quiet machine before each run")
	flag.StringVar(&f.aggregate, "aggregate", "", "print the median table of these JSON-lines files (comma list) and exit")
	flag.StringVar(&f.compare, "compare", "", "print the ratio table rafter / hashicorp of these JSON-lines files (this program's and bench/baseline's, comma list) and exit")
	flag.StringVar(&f.role, "role", "", "internal: point (run one point in this process and print RESULT <json>) | peer (one peer of a -transport procs run)")
	flag.IntVar(&f.id, "id", 0, "internal (-role peer): this peer's index in -addrs")
	flag.StringVar(&f.addrs, "addrs", "", "internal (-role peer): the three peers' host:port")
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
	case f.compare != "":
		rs, err := readJSONLines(strings.Split(f.compare, ","))
		if err != nil {
			return err
		}
		printRatios(os.Stdout, groupRows(rs))
		return nil
	case f.role == "point":
		return runChild(f)
	case f.role == "peer":
		p, err := pointOf(f, f.transport, f.op, f.clients, f.size)
		if err != nil {
			return err
		}
		p.cpuprofile = f.cpuprofile
		return runPeerProcess(p, f.id, strings.Split(f.addrs, ","), f.dir)
	case f.role != "":
		return fmt.Errorf("bench: unknown -role %q", f.role)
	}
	return runParent(f)
}

// runChild is the child process: exactly one point, result on stdout.
func runChild(f flags) error {
	p, err := pointOf(f, f.transport, f.op, f.clients, f.size)
	if err != nil {
		return err
	}
	p.cpuprofile = f.cpuprofile
	res, err := runPointHere(p, f.dir)
	if err != nil {
		return err
	}
	return printResult(res)
}

// printResult prints the one line the parent reads.
func printResult(r Result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	fmt.Println("RESULT " + string(b))
	return nil
}

// pointOf builds one point from single (not comma-list) values.
func pointOf(f flags, transport, op, clients, size string) (point, error) {
	c, err := strconv.Atoi(clients)
	if err != nil || c < 1 {
		return point{}, fmt.Errorf("bench: bad -clients %q", clients)
	}
	s, err := strconv.Atoi(size)
	if err != nil || s < 0 || s > 1<<20 {
		return point{}, fmt.Errorf("bench: bad -size %q", size)
	}
	return point{transport: transport, op: op, clients: c, size: s, warmup: f.warmup,
		duration: f.duration, stats: f.stats, maxAppend: f.maxAppend, maxInflight: f.maxInflight}, nil
}

// runParent runs every point -runs times, each in a fresh child process,
// and prints the median table.
func runParent(f flags) error {
	var jf *os.File
	if f.jsonOut != "" {
		var err error
		if jf, err = os.OpenFile(f.jsonOut, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer jf.Close()
	}
	fmt.Fprintf(os.Stderr, "# %s, GOMAXPROCS=%d, NumCPU=%d, %s/%s\n", runtime.Version(),
		runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	var all []Result
	for _, tr := range strings.Split(f.transport, ",") {
		for _, op := range strings.Split(f.op, ",") {
			for _, sz := range strings.Split(f.size, ",") {
				for _, c := range strings.Split(f.clients, ",") {
					p, err := pointOf(f, tr, op, c, sz)
					if err != nil {
						return err
					}
					for r := 1; r <= f.runs; r++ {
						res, err := runOnce(f, p, r)
						if err != nil {
							fmt.Fprintf(os.Stderr, "%s %s size=%d clients=%d run %d: ERROR %v\n", tr, op, p.size, p.clients, r, err)
							continue
						}
						fmt.Fprintf(os.Stderr, "rafter-go %-6s %-5s size=%-5d clients=%-4d run %d: %8.0f ops/s  p50 %8.0fus  p99 %8.0fus  cpu %.2f (proc %.2f, bg %.2f)  ent/fsync %.1f  errs %d\n",
							tr, op, p.size, p.clients, r, res.OpsPerSec, res.P50us, res.P99us, res.CPUCores, res.ProcCores, res.BGCores, res.EntriesPerWrite, res.Errors)
						if jf != nil {
							b, _ := json.Marshal(res)
							if _, err := jf.Write(append(b, '\n')); err != nil {
								return fmt.Errorf("bench: %w", err)
							}
						}
						all = append(all, res)
					}
				}
			}
		}
	}
	printTable(os.Stdout, groupRows(all))
	return nil
}

// runOnce runs point p once in a child process, after waiting for a quiet
// machine, and records the background load before and after.
func runOnce(f flags, p point, run int) (Result, error) {
	dir := filepath.Join(f.dir, fmt.Sprintf("run-%d-%d", os.Getpid(), time.Now().UnixNano()))
	defer os.RemoveAll(dir)
	bg := waitQuiet(f.maxBG, f.quietWait)
	args := []string{"-transport", p.transport, "-op", p.op,
		"-clients", strconv.Itoa(p.clients), "-size", strconv.Itoa(p.size),
		"-warmup", p.warmup.String(), "-duration", p.duration.String(),
		"-stats=" + strconv.FormatBool(p.stats),
		"-maxappend", strconv.Itoa(p.maxAppend), "-inflight", strconv.Itoa(p.maxInflight)}
	if f.cpuprofile != "" {
		args = append(args, "-cpuprofile", fmt.Sprintf("%s.%s-%s-s%d-c%d-r%d.pprof",
			f.cpuprofile, p.transport, p.op, p.size, p.clients, run))
	}
	var res Result
	var err error
	if p.transport == "procs" {
		res, err = runProcs(p, dir, args)
	} else {
		res, err = runChildProc(append(args, "-role", "point", "-dir", dir))
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

// runChildProc runs this binary with args and reads its RESULT line.
func runChildProc(args []string) (Result, error) {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return Result{}, fmt.Errorf("bench: child: %w", err)
	}
	return parseResult(string(out))
}

// parseResult finds the child's RESULT line.
func parseResult(out string) (Result, error) {
	for _, l := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(l, "RESULT "); ok {
			var r Result
			if err := json.Unmarshal([]byte(rest), &r); err != nil {
				return Result{}, fmt.Errorf("bench: child result: %w", err)
			}
			return r, nil
		}
	}
	return Result{}, fmt.Errorf("bench: child printed no RESULT line")
}
