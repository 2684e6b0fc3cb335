package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rafter-go/rafter/examples/bench/benchkit"
)

// runSoak is -soak: one write load (-clients goroutines of -size values on
// the benchkit key space, so the state stays bounded) against a local
// cluster for f.soak, with a line every f.soakEvery of what must stay flat
// if compaction works: the Go heap in use after a GC (the three peers share
// this process), the process's RSS, each peer's data-directory bytes, and
// the leader's snapshot and first index. With -snapshot-entries 0 the same
// run shows the growth without compaction.
func runSoak(w io.Writer, f flags) error {
	clients, size, err := benchkit.ParseLoad(f.Clients, f.Size)
	if err == nil && (strings.Contains(f.Clients, ",") || strings.Contains(f.Size, ",")) {
		err = fmt.Errorf("%w: -soak takes one -clients and one -size", benchkit.ErrBadFlag)
	}
	if err != nil {
		return err
	}
	dir := f.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "rafter-soak-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cl, err := startCluster(ctx, clusterOptions{transport: "local", dir: dir, stats: false,
		snapshotEntries: f.snapshotEntries})
	if err != nil {
		return fmt.Errorf("bench: start cluster: %w", err)
	}
	defer cl.close()

	var ops, errs atomic.Int64
	lctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for g := range clients {
		wg.Go(func() {
			for seq := 0; lctx.Err() == nil; seq++ {
				octx, ocancel := context.WithTimeout(lctx, 10*time.Second)
				_, err := cl.client.Op(octx, cl.leader, benchkit.MakeCmd(benchkit.KeyFor(g, seq), size))
				ocancel()
				if err == nil {
					ops.Add(1)
				} else if lctx.Err() == nil {
					errs.Add(1)
				}
			}
		})
	}
	fmt.Fprintf(w, "soak: %d clients, %d B values, snapshot-entries %d, for %v, data in %s\n",
		clients, size, f.snapshotEntries, f.soak, dir)
	fmt.Fprintf(w, "%8s %12s %10s %10s %10s %s\n", "elapsed", "ops", "ops/s", "heap MiB", "rss MiB", "data-dir MiB per peer; leader snapshot/first index")
	begin, last, lastOps := time.Now(), time.Now(), int64(0)
	tick := time.NewTicker(f.soakEvery)
	defer tick.Stop()
	end := time.After(f.soak)
	for done := false; !done; {
		select {
		case <-tick.C:
		case <-end:
			done = true
		}
		n := ops.Load()
		rate := float64(n-lastOps) / time.Since(last).Seconds()
		last, lastOps = time.Now(), n
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		var dirs []string
		for _, p := range cl.peers {
			dirs = append(dirs, fmt.Sprintf("%.1f", float64(dirBytes(filepath.Join(dir, p.Name)))/(1<<20)))
		}
		snap := "?"
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		if st, err := cl.client.Status(sctx, cl.leader); err == nil {
			snap = fmt.Sprintf("%d/%d", st.SnapshotIndex, st.FirstIndex)
		}
		scancel()
		fmt.Fprintf(w, "%8s %12d %10.0f %10.1f %10.1f %s; %s\n", time.Since(begin).Round(time.Second), n, rate,
			float64(ms.HeapInuse)/(1<<20), float64(rssBytes())/(1<<20), strings.Join(dirs, " "), snap)
	}
	stop()
	wg.Wait()
	fmt.Fprintf(w, "soak: %d ops committed, %d errors\n", ops.Load(), errs.Load())
	return nil
}

// dirBytes is the size of the files under dir.
func dirBytes(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// rssBytes is the process's resident set (Linux /proc; 0 elsewhere).
func rssBytes() int64 {
	fh, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
