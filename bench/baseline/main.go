package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rafter-go/rafter/examples/bench/benchkit"
)

// flags are the command line: benchkit's flags common with examples/bench
// and this program's own; the point flags take comma lists.
type flags struct {
	benchkit.CommonFlags
	transport, store string
	procs            bool
	role             string
}

// nodeRole is -role's value in a peer process of a -procs run.
const nodeRole = "node"

func main() {
	var f flags
	f.Register(flag.CommandLine, nodeRole)
	f.register(flag.CommandLine)
	flag.Parse()
	benchkit.Exit(run(f))
}

// register defines this program's own flags on fs.
func (f *flags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.transport, "transport", "inmem", "inmem (raft.NewInmemTransport) | tcp (raft.NewTCPTransport on 127.0.0.1) (comma list)")
	fs.BoolVar(&f.procs, "procs", false, "with -transport tcp: each peer in its own OS process")
	fs.StringVar(&f.store, "store", "wal", "wal (raft-wal behind a 512-entry LogCache) | mem (raft.InmemStore, no disk) (comma list)")
	fs.StringVar(&f.role, "role", "", "internal: point (one point in this process) | node (one peer of a -procs run)")
}

func run(f flags) error {
	if f.Aggregate != "" {
		return benchkit.Aggregate(os.Stdout, f.Aggregate)
	}
	if f.role == "" {
		return benchkit.Sweep(f.SweepOptions(), benchkit.Cross(f.transport, f.store, f.Size, f.Clients), f.sweepPoint)
	}
	p, err := f.pointOf(f.transport, f.store, f.Clients, f.Size)
	if err != nil {
		return err
	}
	switch f.role {
	case "point":
		res, err := runInProcess(p, f.Dir)
		if err != nil {
			return err
		}
		return benchkit.PrintResult(os.Stdout, res)
	case nodeRole:
		return runNode(p, f.ID, strings.Split(f.Addrs, ","), f.Dir)
	}
	return fmt.Errorf("baseline: unknown -role %q", f.role)
}

// point is one measured configuration.
type point struct {
	transport, store string
	procs            bool
	clients, size    int
	warmup, duration time.Duration
}

// pointOf builds one point from single (not comma-list) values.
func (f flags) pointOf(transport, store, clients, size string) (point, error) {
	c, s, err := benchkit.ParseLoad(clients, size)
	if err != nil {
		return point{}, err
	}
	if f.procs && transport != "tcp" {
		return point{}, fmt.Errorf("baseline: -procs needs -transport tcp, not %q", transport)
	}
	if store != "wal" && store != "mem" {
		return point{}, fmt.Errorf("baseline: unknown store %q (want wal or mem)", store)
	}
	return point{transport: transport, store: store, procs: f.procs, clients: c, size: s,
		warmup: f.Warmup, duration: f.Duration}, nil
}

// storeNames are the stores' names in Results.
var storeNames = map[string]string{"wal": benchkit.HashicorpStore, "mem": "InmemStore"}

// label names a Result after its point, in examples/bench's vocabulary.
func (p point) label(r *benchkit.Result) {
	r.System, r.Transport, r.Procs, r.Op = benchkit.HashicorpSystem, p.transport, p.procs, "write"
	r.Store = storeNames[p.store]
	r.Clients, r.Size = p.clients, p.size
}

// sweepPoint is the sweep's point for one (transport, store, size, clients).
func (f flags) sweepPoint(v []string) (benchkit.Point, error) {
	p, err := f.pointOf(v[0], v[1], v[3], v[2])
	transport := benchkit.RowKey{Transport: p.transport, Procs: p.procs}.TransportLabel()
	label := fmt.Sprintf("hashicorp/raft %-9s %-10s size=%-5d clients=%-4d", transport, storeNames[p.store], p.size, p.clients)
	return benchkit.Point{Label: label, Run: func(dir string, _ int) (benchkit.Result, error) { return runOnce(p, dir) }}, err
}

// runOnce runs point p once in fresh child processes with data under dir:
// one for all three peers, or one per peer with -procs.
func runOnce(p point, dir string) (benchkit.Result, error) {
	if p.procs {
		return benchkit.RunProcs(childArgs(p), nodeRole, dir, p.warmup+p.duration)
	}
	return benchkit.RunChild(append(childArgs(p), "-role", "point", "-dir", dir))
}

// childArgs is the command line of a child process for point p.
func childArgs(p point) []string {
	return []string{"-transport", p.transport, "-store", p.store,
		"-clients", strconv.Itoa(p.clients), "-size", strconv.Itoa(p.size),
		"-warmup", p.warmup.String(), "-duration", p.duration.String(),
		"-procs=" + strconv.FormatBool(p.procs)}
}
