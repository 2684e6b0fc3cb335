package benchkit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// ErrBadFlag: a flag's value is out of its range.
var ErrBadFlag = errors.New("benchkit: bad flag")

// maxSize bounds -size: a value is one Raft entry, 1 MiB is far above the
// benchmark's points.
const maxSize = 1 << 20

// SweepOptions are a sweep's settings common to both programs.
type SweepOptions struct {
	Runs      int           // repetitions of every point
	Dir       string        // data root: a fresh subdirectory per run, removed afterwards
	JSONOut   string        // append every run as a JSON line here ("" = none)
	MaxBG     float64       // before each run wait until other load is below this many cores
	QuietWait time.Duration // longest wait for that
}

// Point is one point of a sweep.
type Point struct {
	// Label starts the point's log lines, e.g. "rafter-go local  write
	// size=100   clients=16  ".
	Label string
	// Run runs the point once in child process(es) with data under dir
	// (fresh, removed afterwards); run counts from 1.
	Run func(dir string, run int) (Result, error)
}

// Sweep builds a point from each combination (Cross) with point, all
// before the first run so that a bad value is refused before anything
// runs; then it runs every point o.Runs times, each run after WaitQuiet
// and with the background load before and after it recorded (BGCores). It
// logs each run to stderr, appends it to o.JSONOut, and prints the median
// table to stdout. A failed run is logged and left out of the table.
func Sweep(o SweepOptions, combos [][]string, point func(combo []string) (Point, error)) error {
	var points []Point
	for _, c := range combos {
		p, err := point(c)
		if err != nil {
			return err
		}
		points = append(points, p)
	}
	var jf *os.File
	if o.JSONOut != "" {
		var err error
		if jf, err = os.OpenFile(o.JSONOut, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
			return fmt.Errorf("benchkit: %w", err)
		}
		defer jf.Close()
	}
	fmt.Fprintf(os.Stderr, "# %s, GOMAXPROCS=%d, NumCPU=%d, %s/%s\n", runtime.Version(),
		runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	var all []Result
	for _, p := range points {
		for r := 1; r <= o.Runs; r++ {
			res, err := runOnce(o, p, r)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s run %d: ERROR %v\n", p.Label, r, err)
				continue
			}
			fmt.Fprintf(os.Stderr, "%s run %d: %8.0f ops/s  p50 %8.0fus  p99 %8.0fus  cpu %.2f (proc %.2f, bg %.2f)  ent/fsync %.1f  errs %d\n",
				p.Label, r, res.OpsPerSec, res.P50us, res.P99us, res.CPUCores, res.ProcCores, res.BGCores, res.EntriesPerWrite, res.Errors)
			if jf != nil {
				if err := appendJSONLine(jf, res); err != nil {
					return err
				}
			}
			all = append(all, res)
		}
	}
	_ = os.Remove(o.Dir) // only if empty: every run removed its own subdirectory
	PrintTable(os.Stdout, GroupRows(all))
	return nil
}

// runOnce runs point p once in a fresh data directory, after waiting for a
// quiet machine, and records the background load before and after.
func runOnce(o SweepOptions, p Point, run int) (Result, error) {
	dir := filepath.Join(o.Dir, fmt.Sprintf("run-%d-%d", os.Getpid(), time.Now().UnixNano()))
	defer os.RemoveAll(dir)
	bg := WaitQuiet(o.MaxBG, o.QuietWait)
	res, err := p.Run(dir, run)
	if after := SampleBusy(time.Second); after > bg {
		bg = after
	}
	if err != nil {
		return Result{}, err
	}
	res.BGCores = bg
	return res, nil
}

// Cross is every combination of the comma lists, the last varying
// fastest: the order in which a sweep runs its points.
func Cross(lists ...string) [][]string {
	out := [][]string{nil}
	for _, l := range lists {
		var next [][]string
		for _, prefix := range out {
			for _, v := range strings.Split(l, ",") {
				next = append(next, append(append([]string(nil), prefix...), v))
			}
		}
		out = next
	}
	return out
}

// ParseLoad parses one (not comma-list) -clients and -size value: at least
// one client, a size from 0 to 1 MiB.
func ParseLoad(clients, size string) (c, s int, err error) {
	c, err = strconv.Atoi(clients)
	if err != nil || c < 1 {
		return 0, 0, fmt.Errorf("%w: -clients %q (want a whole number from 1)", ErrBadFlag, clients)
	}
	s, err = strconv.Atoi(size)
	if err != nil || s < 0 || s > maxSize {
		return 0, 0, fmt.Errorf("%w: -size %q (want 0 to %d bytes)", ErrBadFlag, size, maxSize)
	}
	return c, s, nil
}
