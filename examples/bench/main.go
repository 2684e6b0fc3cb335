package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/examples/bench/benchkit"
)

// flags are the command line: benchkit's flags common with bench/baseline
// and this program's own; the point flags take comma lists.
type flags struct {
	benchkit.CommonFlags
	transport, op          string
	stats                  bool
	maxAppend, maxInflight int
	cpuprofile             string
	diag                   diagnostics
	compare, role          string
	metrics                string
	snapshotEntries        uint64
	soak, soakEvery        time.Duration
	restart                string
}

// peerRole is -role's value in a peer process of a -transport procs run.
const peerRole = "peer"

func parseFlags() flags {
	var f flags
	f.Register(flag.CommandLine, peerRole)
	flag.StringVar(&f.transport, "transport", "local", "local (3 peers in one System) | remote (3 Systems over 127.0.0.1 gRPC, one process) | procs (each peer its own OS process over 127.0.0.1) (comma list)")
	flag.StringVar(&f.op, "op", "write,read", "write (Op, committed+applied) | read (ReadOp, linearizable) (comma list)")
	flag.BoolVar(&f.stats, "stats", true, "report the leader's entries per fsync (System.LogStats)")
	flag.IntVar(&f.maxAppend, "maxappend", 0, "Options.MaxAppendEntries (0: rafter's default)")
	flag.IntVar(&f.maxInflight, "inflight", 0, "Options.MaxInflight (0: rafter's default)")
	flag.StringVar(&f.cpuprofile, "cpuprofile", "", "write a CPU profile of each run's window to PREFIX.<transport>-<op>-s<size>-c<clients>-r<run>.pprof")
	flag.Float64Var(&f.diag.trace, "trace", 0, "sample this fraction of writes (0.01: 1 %) and print each hop's median/p99 share of a write's latency after each run (with -transport procs: the leader process's table, then one of every process's hops, stamped with the wall clock; 0: off)")
	flag.StringVar(&f.diag.blockprofile, "blockprofile", "", "write a block profile of each run to PREFIX.<transport>-<op>-s<size>-c<clients>-r<run>.pprof (with -transport procs: the leader's process)")
	flag.StringVar(&f.diag.mutexprofile, "mutexprofile", "", "write a mutex profile of each run to PREFIX.<transport>-<op>-s<size>-c<clients>-r<run>.pprof (with -transport procs: the leader's process)")
	flag.StringVar(&f.compare, "compare", "", "print the ratio table rafter / hashicorp of these JSON-lines files (this program's and bench/baseline's, comma list) and exit")
	flag.StringVar(&f.metrics, "metrics", "off", "off | on: Prometheus metrics (SystemOptions.Metrics, a fresh registry per System) (comma list; \"off,on\" measures the overhead, each load's off and on points run back to back)")
	flag.Uint64Var(&f.snapshotEntries, "snapshot-entries", rafter.DefaultOptions().SnapshotEntries,
		"Options.SnapshotEntries (0: no snapshots, the log grows for ever)")
	flag.DurationVar(&f.soak, "soak", 0, "run one -transport local write load of -clients/-size for this long, printing memory, disk and throughput every -soak-every (instead of a sweep)")
	flag.DurationVar(&f.soakEvery, "soak-every", 30*time.Second, "with -soak: the reporting period")
	flag.StringVar(&f.restart, "restart", "", "start a local cluster on the data a -soak left in this directory (-dir) and time the first linearizable read")
	flag.StringVar(&f.role, "role", "", "internal: point (run one point in this process and print RESULT <json>) | peer (one peer of a -transport procs run)")
	flag.Parse()
	return f
}

func main() { benchkit.Exit(run(parseFlags())) }

func run(f flags) error {
	switch {
	case f.Aggregate != "":
		return benchkit.Aggregate(os.Stdout, f.Aggregate)
	case f.compare != "":
		return benchkit.Compare(os.Stdout, f.compare)
	case f.role == "point" || f.role == peerRole:
		p, err := f.pointOf(f.transport, f.op, f.Clients, f.Size, f.metrics)
		if err != nil {
			return err
		}
		p.cpuprofile, p.diag = f.cpuprofile, f.diag
		if f.role == peerRole {
			return runPeerProcess(p, f.ID, strings.Split(f.Addrs, ","), f.Dir)
		}
		res, err := runPointHere(p, f.Dir)
		if err != nil {
			return err
		}
		return benchkit.PrintResult(os.Stdout, res)
	case f.role != "":
		return fmt.Errorf("bench: unknown -role %q", f.role)
	case f.soak > 0:
		return runSoak(os.Stdout, f)
	case f.restart != "":
		return runRestart(os.Stdout, f)
	}
	return benchkit.Sweep(f.SweepOptions(), benchkit.Cross(f.transport, f.op, f.Size, f.Clients, f.metrics), f.sweepPoint)
}

// pointOf builds one point from single (not comma-list) values.
func (f flags) pointOf(transport, op, clients, size, metrics string) (point, error) {
	c, s, err := benchkit.ParseLoad(clients, size)
	if err == nil && metrics != "on" && metrics != "off" {
		err = fmt.Errorf("%w: -metrics %q (want on or off)", benchkit.ErrBadFlag, metrics)
	}
	return point{transport: transport, op: op, clients: c, size: s, warmup: f.Warmup,
		duration: f.Duration, stats: f.stats, maxAppend: f.maxAppend, maxInflight: f.maxInflight,
		metrics: metrics == "on", snapshotEntries: f.snapshotEntries}, err
}

// sweepPoint is the sweep's point for one (transport, op, size, clients,
// metrics).
func (f flags) sweepPoint(v []string) (benchkit.Point, error) {
	p, err := f.pointOf(v[0], v[1], v[3], v[2], v[4])
	label := fmt.Sprintf("rafter-go %-6s %-5s size=%-5d clients=%-4d", p.transport, p.op, p.size, p.clients)
	if f.metrics != "off" { // the labels of runs without metrics stay as they were
		label += " metrics=" + v[4]
	}
	return benchkit.Point{Label: label, Run: func(dir string, run int) (benchkit.Result, error) { return f.runOnce(p, dir, run) }}, err
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// runOnce runs point p once in fresh child processes with data under dir:
// one for "local" and "remote", one per peer for "procs".
func (f flags) runOnce(p point, dir string, run int) (benchkit.Result, error) {
	args := []string{"-transport", p.transport, "-op", p.op,
		"-clients", strconv.Itoa(p.clients), "-size", strconv.Itoa(p.size),
		"-warmup", p.warmup.String(), "-duration", p.duration.String(),
		"-stats=" + strconv.FormatBool(p.stats),
		"-maxappend", strconv.Itoa(p.maxAppend), "-inflight", strconv.Itoa(p.maxInflight),
		"-metrics", onOff(p.metrics), "-snapshot-entries", strconv.FormatUint(p.snapshotEntries, 10)}
	suffix := fmt.Sprintf(".%s-%s-s%d-c%d-r%d.pprof", p.transport, p.op, p.size, p.clients, run)
	for _, pf := range []struct{ flag, prefix string }{
		{"-cpuprofile", f.cpuprofile}, {"-blockprofile", f.diag.blockprofile}, {"-mutexprofile", f.diag.mutexprofile},
	} {
		if pf.prefix != "" {
			args = append(args, pf.flag, pf.prefix+suffix)
		}
	}
	if f.diag.trace > 0 {
		args = append(args, "-trace", strconv.FormatFloat(f.diag.trace, 'g', -1, 64))
	}
	if p.transport == "procs" {
		res, err := benchkit.RunProcs(args, peerRole, dir, p.warmup+p.duration)
		if err == nil && f.diag.trace > 0 {
			var files []string
			for i := range benchkit.Peers {
				files = append(files, eventsFile(benchkit.PeerDir(dir, i)))
			}
			err = crossTrace(os.Stderr, files)
		}
		return res, err
	}
	return benchkit.RunChild(append(args, "-role", "point", "-dir", dir))
}
