package benchkit

import (
	"flag"
	"time"
)

// CommonFlags are the flags both programs take, with the same names,
// defaults and meaning; each program adds its own (-transport, -role, ...).
type CommonFlags struct {
	Clients, Size    string // comma lists
	Warmup, Duration time.Duration
	Runs             int
	Dir              string
	JSONOut          string
	MaxBG            float64
	QuietWait        time.Duration
	Aggregate        string
	ID               int    // internal: a peer process's index in Addrs
	Addrs            string // internal: the peers' host:port, comma list
}

// Register defines the common flags on fs; peerRole is the program's
// -role value for one peer process (RunProcs), named in the help of -id
// and -addrs.
func (c *CommonFlags) Register(fs *flag.FlagSet, peerRole string) {
	fs.StringVar(&c.Clients, "clients", "1,16,128", "concurrent closed-loop client goroutines (comma list)")
	fs.StringVar(&c.Size, "size", "100,1024", "value size in bytes (comma list)")
	fs.DurationVar(&c.Duration, "duration", 5*time.Second, "measurement window per run")
	fs.DurationVar(&c.Warmup, "warmup", time.Second, "warm-up before the window")
	fs.IntVar(&c.Runs, "runs", 3, "repetitions per point, each a fresh child process; the table shows medians")
	fs.StringVar(&c.Dir, "dir", "bench-data", "directory for the peers' data (a fresh subdirectory per run, removed afterwards); put it on the filesystem to measure")
	fs.StringVar(&c.JSONOut, "json", "", "append every run as a JSON line to this file")
	fs.Float64Var(&c.MaxBG, "maxbg", 0.25, "before each run wait (up to -quietwait) until other machine load is below this many cores")
	fs.DurationVar(&c.QuietWait, "quietwait", 2*time.Minute, "longest wait for a quiet machine before each run")
	fs.StringVar(&c.Aggregate, "aggregate", "", "print the median table of these JSON-lines files (comma list) and exit")
	fs.IntVar(&c.ID, "id", 0, "internal (-role "+peerRole+"): this peer's index in -addrs")
	fs.StringVar(&c.Addrs, "addrs", "", "internal (-role "+peerRole+"): the three peers' host:port")
}

// SweepOptions are the sweep settings the flags give.
func (c *CommonFlags) SweepOptions() SweepOptions {
	return SweepOptions{Runs: c.Runs, Dir: c.Dir, JSONOut: c.JSONOut, MaxBG: c.MaxBG, QuietWait: c.QuietWait}
}
