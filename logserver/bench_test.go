package logserver

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/rafter-go/rafter/rafterpb"
	"github.com/stretchr/testify/require"
)

// appendReq asks the bench leader to append one command.
type appendReq struct{ cmd []byte }

// benchLeader stands in for the consensus actor of a leader: it assigns
// indexes to concurrent proposals, sends one LogWrite per proposal and
// answers each proposer when its LogWritten arrives.
func benchLeader(log *protoactor.PID) *protoactor.Props {
	var next, seq uint64
	waiting := map[uint64]*protoactor.PID{}
	return protoactor.PropsFromFunc(func(ctx protoactor.Context) {
		switch m := ctx.Message().(type) {
		case *appendReq:
			next++
			seq++
			waiting[seq] = ctx.Sender()
			ctx.Request(log, &rafterpb.LogWrite{Seq: seq, Entries: []*rafterpb.Entry{{
				Term: 1, Index: next, Type: rafterpb.EntryType_ENTRY_TYPE_OP, Cmd: m.cmd}}})
		case *rafterpb.LogWritten:
			ctx.Send(waiting[m.Seq], m)
			delete(waiting, m.Seq)
		}
	})
}

// BenchmarkAppendActor: appends per second with fsync through the actor,
// with 1, 16 and 128 concurrent appenders, each waiting for its
// acknowledgement before the next append. writes/fsync shows group commit.
func BenchmarkAppendActor(b *testing.B) {
	for _, size := range []int{128, 4096} {
		for _, conc := range []int{1, 16, 128} {
			b.Run(fmt.Sprintf("size=%d/appenders=%d", size, conc), func(b *testing.B) {
				sys := newSystem(b)
				log := sys.Root.Spawn(Props(b.TempDir(), DefaultOptions()))
				leader := sys.Root.Spawn(benchLeader(log))
				call[*rafterpb.LogStatsReply](b, sys, log, &rafterpb.LogGetStats{}) // opened
				cmd := make([]byte, size)
				b.SetBytes(int64(size))
				b.ResetTimer()
				start := time.Now()
				var wg sync.WaitGroup
				for g := range conc {
					n := b.N / conc
					if g < b.N%conc {
						n++
					}
					wg.Go(func() {
						for range n {
							res, err := sys.Root.RequestFuture(leader, &appendReq{cmd: cmd}, 30*time.Second).Result()
							if err != nil || res.(*rafterpb.LogWritten).Error != nil {
								b.Errorf("append: %v %v", err, res)
								return
							}
						}
					})
				}
				wg.Wait()
				elapsed := time.Since(start)
				b.StopTimer()
				st := call[*rafterpb.LogStatsReply](b, sys, log, &rafterpb.LogGetStats{})
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "appends/s")
				b.ReportMetric(float64(st.Writes)/float64(max(st.Syncs, 1)), "writes/fsync")
				b.ReportMetric(float64(st.MaxBatch), "max-batch")
				require.NoError(b, sys.Root.StopFuture(log).Wait())
			})
		}
	}
}

// BenchmarkAppendDirect: one FileLog.Write + Sync per append, no actor:
// what one appender costs without messaging.
func BenchmarkAppendDirect(b *testing.B) {
	for _, size := range []int{128, 4096} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			l := mustOpen(b, b.TempDir(), DefaultOptions())
			defer l.Close()
			cmd := make([]byte, size)
			b.SetBytes(int64(size))
			start := time.Now()
			for i := range b.N {
				e := &rafterpb.Entry{Term: 1, Index: uint64(i + 1), Cmd: cmd}
				if err := l.Write(nil, []*rafterpb.Entry{e}); err != nil {
					b.Fatal(err)
				}
				if err := l.Sync(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "appends/s")
		})
	}
}

// BenchmarkRawFdatasync: the disk's own rate, a loop of write + fdatasync
// on a file in the same temp directory as the logs above, appending (each
// fdatasync also commits the file's new length) or overwriting zeros
// already in the file, as FileLog does (zeroAhead).
func BenchmarkRawFdatasync(b *testing.B) {
	for _, mode := range []string{"append", "overwrite"} {
		for _, size := range []int{128, 4096} {
			b.Run(fmt.Sprintf("%s/size=%d", mode, size), func(b *testing.B) {
				f, err := os.Create(filepath.Join(b.TempDir(), "raw"))
				require.NoError(b, err)
				defer f.Close()
				if mode == "overwrite" {
					for off := int64(0); off < int64(b.N*size); off += zeroAhead {
						_, err := f.WriteAt(zeros[:], off)
						require.NoError(b, err)
					}
					require.NoError(b, f.Sync())
				}
				buf := make([]byte, size)
				for i := range buf {
					buf[i] = 0xa5
				}
				b.SetBytes(int64(size))
				b.ResetTimer()
				start := time.Now()
				for i := range b.N {
					if _, err := f.WriteAt(buf, int64(i*size)); err != nil {
						b.Fatal(err)
					}
					if err := datasync(f); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "fsyncs/s")
			})
		}
	}
}

// BenchmarkEntryLookup: random Entry(i) on a 100 000-entry log of 128 B
// commands spread over many segments (O(1) index + one pread), directly and
// through the actor.
func BenchmarkEntryLookup(b *testing.B) {
	const n = 100_000
	dir := b.TempDir()
	o := DefaultOptions()
	o.SegmentBytes = 1 << 20
	l := mustOpen(b, dir, o)
	cmd := make([]byte, 128)
	batch := make([]*rafterpb.Entry, 0, 1000)
	for i := uint64(1); i <= n; i++ {
		batch = append(batch, &rafterpb.Entry{Term: 1, Index: i, Type: rafterpb.EntryType_ENTRY_TYPE_OP, Cmd: cmd})
		if len(batch) == cap(batch) {
			require.NoError(b, l.Write(nil, batch))
			batch = batch[:0]
		}
	}
	require.NoError(b, l.Sync())
	rng := testRand(b)
	b.Run("direct", func(b *testing.B) {
		start := time.Now()
		for range b.N {
			if _, err := l.Entry(1 + rng.Uint64N(n)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "lookups/s")
	})
	require.NoError(b, l.Close())
	b.Run("actor", func(b *testing.B) {
		sys := newSystem(b)
		log := sys.Root.Spawn(Props(dir, o))
		defer func() { require.NoError(b, sys.Root.StopFuture(log).Wait()) }()
		call[*rafterpb.LogStatsReply](b, sys, log, &rafterpb.LogGetStats{}) // recovery done
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			r := call[*rafterpb.LogEntryReply](b, sys, log, &rafterpb.LogGetEntry{Index: 1 + rng.Uint64N(n)})
			if r.Entry == nil {
				b.Fatal("missing entry")
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "lookups/s")
	})
}

// BenchmarkRecover: Open (recovery) of a 200 000-entry log of 128 B
// commands, without a snapshot ("full-log": every record scanned, and
// LogLoad would hand all of them to the core), and with a 16 MiB snapshot
// at 199 900 and the log compacted behind it ("snapshot": the body's CRC
// check plus the last segment's records). The second is what a restart
// costs with compaction on.
func BenchmarkRecover(b *testing.B) {
	const n = 200_000
	dir := b.TempDir()
	o := DefaultOptions()
	o.SegmentBytes = 4 << 20
	l := mustOpen(b, dir, o)
	cmd := make([]byte, 128)
	batch := make([]*rafterpb.Entry, 0, 1000)
	for i := uint64(1); i <= n; i++ {
		batch = append(batch, &rafterpb.Entry{Term: 1, Index: i, Type: rafterpb.EntryType_ENTRY_TYPE_OP, Cmd: cmd})
		if len(batch) == cap(batch) {
			require.NoError(b, l.Write(nil, batch))
			batch = batch[:0]
		}
	}
	require.NoError(b, l.Sync())
	require.NoError(b, l.Close())
	reopen := func(b *testing.B, dir string, wantFirst uint64) {
		for range b.N {
			l, err := Open(dir, o)
			if err != nil {
				b.Fatal(err)
			}
			if l.LastIndex() != n || (wantFirst > 0 && l.FirstIndex() < wantFirst) {
				b.Fatalf("recovered %d..%d", l.FirstIndex(), l.LastIndex())
			}
			_ = l.Close()
		}
	}
	b.Run("full-log", func(b *testing.B) { reopen(b, dir, 0) })

	l = mustOpen(b, dir, o)
	saveSnap(b, l, n-100, body(16<<20, 1))
	require.NoError(b, l.Compact(n-100))
	first := l.FirstIndex()
	require.NoError(b, l.Close())
	b.Run("snapshot", func(b *testing.B) { reopen(b, dir, first) })
}

// BenchmarkWriteBatch: the log write path without fdatasync, one Write of
// 64 entries of 100 B (a leader's group commit at 128 clients) plus the
// pwrite that a Sync would issue. -benchmem shows the allocations per
// batch: the entries' encoding, their records and the index grow in
// buffers reused across batches.
func BenchmarkWriteBatch(b *testing.B) {
	l := mustOpen(b, b.TempDir(), DefaultOptions())
	defer l.Close()
	cmd := make([]byte, 100)
	es := make([]*rafterpb.Entry, 64)
	for j := range es {
		es[j] = &rafterpb.Entry{Term: 1, Cmd: cmd}
	}
	index := uint64(1)
	b.ReportAllocs()
	for range b.N {
		for _, e := range es {
			e.Index = index
			index++
		}
		if err := l.Write(nil, es); err != nil {
			b.Fatal(err)
		}
		if err := l.readable(); err != nil {
			b.Fatal(err)
		}
	}
}
