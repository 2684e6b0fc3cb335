package main

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

// cpuSample is the machine-wide busy and total jiffies from /proc/stat.
type cpuSample struct{ busy, total uint64 }

// readCPU reads the "cpu" line of /proc/stat; busy is
// user+nice+system+irq+softirq+steal, as examples/bench counts it.
func readCPU() cpuSample {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return cpuSample{}
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
		return cpuSample{busy, busy + v[3] + v[4]}
	}
	return cpuSample{}
}

// coresSince is the busy CPU between old and c, in cores.
func (c cpuSample) coresSince(old cpuSample) float64 {
	if c.total <= old.total {
		return 0
	}
	return float64(c.busy-old.busy) / float64(c.total-old.total) * float64(runtime.NumCPU())
}

// selfCPU is this process's user+system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sampleBusy returns the machine-wide busy cores over d.
func sampleBusy(d time.Duration) float64 {
	a := readCPU()
	time.Sleep(d) // the sampling interval
	return readCPU().coresSince(a)
}

// waitQuiet waits, up to limit, until other load is below maxBusy cores
// over a 1 s sample, and returns the last sample (examples/bench's rule, so
// both harnesses start from the same quiet).
func waitQuiet(maxBusy float64, limit time.Duration) float64 {
	deadline := time.Now().Add(limit)
	for {
		b := sampleBusy(time.Second)
		if b <= maxBusy || time.Now().After(deadline) {
			if b > maxBusy {
				fmt.Fprintf(os.Stderr, "warning: machine still busy (%.2f cores) before run\n", b)
			}
			return b
		}
	}
}
