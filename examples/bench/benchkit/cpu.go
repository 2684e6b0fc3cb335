package benchkit

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPUSample is the machine-wide busy and total jiffies from /proc/stat.
type CPUSample struct{ busy, total uint64 }

// ReadCPU reads the "cpu" line of /proc/stat; busy is
// user+nice+system+irq+softirq+steal. Without /proc/stat (not Linux) it
// returns the zero sample, and CoresSince then reports 0.
func ReadCPU() CPUSample {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return CPUSample{}
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 8 || fs[0] != "cpu" {
			continue
		}
		var v [10]uint64
		for i := 1; i < len(fs) && i <= 10; i++ {
			v[i-1], _ = strconv.ParseUint(fs[i], 10, 64)
		}
		busy := v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
		return CPUSample{busy, busy + v[3] + v[4]}
	}
	return CPUSample{}
}

// CoresSince is the busy CPU between old and c, in cores.
func (c CPUSample) CoresSince(old CPUSample) float64 {
	if c.total <= old.total {
		return 0
	}
	return float64(c.busy-old.busy) / float64(c.total-old.total) * float64(runtime.NumCPU())
}

// SelfCPU is this process's user+system CPU time so far.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// SampleBusy returns the machine-wide busy cores over d.
func SampleBusy(d time.Duration) float64 {
	a := ReadCPU()
	time.Sleep(d) // the sampling interval
	return ReadCPU().CoresSince(a)
}

// WaitQuiet waits, up to limit, until other load is below maxBusy cores
// over a 1 s sample, and returns the last sample, so that both programs
// start every run from the same quiet.
func WaitQuiet(maxBusy float64, limit time.Duration) float64 {
	deadline := time.Now().Add(limit)
	for {
		b := SampleBusy(time.Second)
		if b <= maxBusy || time.Now().After(deadline) {
			if b > maxBusy {
				fmt.Fprintf(os.Stderr, "warning: machine still busy (%.2f cores) before run\n", b)
			}
			return b
		}
	}
}
