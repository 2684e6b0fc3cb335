package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/rafter-go/rafter"
)

// runRestart is -restart DIR: it starts the three peers of a local cluster
// on the data a run left in DIR (a -soak with -dir) and reports how long
// until a linearizable read is answered, with what each peer recovered.
// That time is what a restart costs: loading the snapshot and the log after
// it, replaying, electing a leader.
func runRestart(w io.Writer, f flags) error {
	dir := f.restart
	sys, err := rafter.NewSystem(systemOptions("", false))
	if err != nil {
		return err
	}
	defer sys.Shutdown()
	o := clusterOptions{transport: "local", dir: dir, snapshotEntries: f.snapshotEntries}
	peers := []rafter.Peer{{Name: "p0"}, {Name: "p1"}, {Name: "p2"}}
	logBytes := int64(0)
	for _, p := range peers {
		logBytes += dirBytes(filepath.Join(dir, p.Name))
	}
	begin := time.Now()
	for _, p := range peers {
		if err := sys.StartNode(p, peerOptions(o, filepath.Join(dir, p.Name))); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for {
		for _, p := range peers {
			rctx, rcancel := context.WithTimeout(ctx, time.Second)
			_, err := sys.ReadOp(rctx, p, []byte("k0"))
			rcancel()
			if err == nil {
				took := time.Since(begin)
				fmt.Fprintf(w, "restart: %d MiB of data in %s; first linearizable read after %v (via %s)\n",
					logBytes>>20, dir, took.Round(time.Millisecond), p.Name)
				for _, q := range peers {
					if st, err := sys.Status(ctx, q); err == nil {
						fmt.Fprintf(w, "restart: %s: snapshot %d, first index %d, last %d, applied %d\n",
							q.Name, st.SnapshotIndex, st.FirstIndex, st.LastIndex, st.AppliedIndex)
					}
				}
				return nil
			}
		}
		if ctx.Err() != nil {
			return fmt.Errorf("bench: no linearizable read within 10 minutes of the restart")
		}
	}
}
