package kvsm

import (
	"bytes"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/kvsm/kvsmpb"
)

// putCommands returns n encoded Puts of 100-byte values over keys keys of
// table "t", in a fixed pseudo-random order.
func putCommands(tb testing.TB, n, keys int) [][]byte {
	val := make([]byte, 100)
	cmds := make([][]byte, n)
	x := uint32(2463534242)
	for i := range cmds {
		x ^= x << 13 // xorshift32: a fixed order without math/rand
		x ^= x >> 17
		x ^= x << 5
		c := &kvsmpb.Command{Op: &kvsmpb.Command_Put{Put: &kvsmpb.Put{
			Table: "t", Key: fmt.Sprintf("key%08d", x%uint32(keys)), Value: val}}}
		b, err := proto.Marshal(c)
		require.NoError(tb, err)
		cmds[i] = b
	}
	return cmds
}

// BenchmarkApplyPut measures Apply of Puts of 100 B values to a table of
// 10k (examples/bench's key space) and 100k keys: the cost the state's
// data structure adds to every committed write.
func BenchmarkApplyPut(b *testing.B) {
	for _, keys := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) { benchApplyPut(b, keys, 0) })
	}
}

// BenchmarkApplyPutSnapshotEvery8192 is BenchmarkApplyPut with a snapshot
// taken (and released) every 8192 applies, rafter's default
// SnapshotEntries: it adds the copy-on-write cost, each Apply after a
// snapshot copying the tree nodes on its path that the snapshot shared.
func BenchmarkApplyPutSnapshotEvery8192(b *testing.B) {
	for _, keys := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) { benchApplyPut(b, keys, 8192) })
	}
}

func benchApplyPut(b *testing.B, keys, snapEvery int) {
	m := New()
	_, err := m.Apply(1, enc(b, cmdNew("t")))
	require.NoError(b, err)
	warm := putCommands(b, keys, keys)
	for i, c := range warm {
		_, _ = m.Apply(uint64(i+2), c)
	}
	cmds := putCommands(b, 1<<16, keys)
	idx := uint64(len(warm) + 2)
	b.ReportAllocs()
	cpu := startCPU(b)
	for i := 0; b.Loop(); i++ {
		if snapEvery > 0 && i%snapEvery == 0 {
			takeAndRelease(b, m)
		}
		if _, err := m.Apply(idx, cmds[i&(len(cmds)-1)]); err != nil {
			b.Fatal(err)
		}
		idx++
	}
	cpu.report()
}

// cpuMeter reports the process's CPU time per op beside the wall time:
// on a loaded machine wall time measures the neighbours, CPU time much
// less so.
type cpuMeter struct {
	b     *testing.B
	start time.Duration
}

func startCPU(b *testing.B) cpuMeter {
	b.ResetTimer()
	return cpuMeter{b: b, start: cpuTime()}
}

func (c cpuMeter) report() {
	c.b.ReportMetric(float64((cpuTime()-c.start).Nanoseconds())/float64(c.b.N), "cpu-ns/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// bigMachine returns a Machine with one table of n keys of 100-byte
// values (about 100 MB of values at a million keys), built directly.
func bigMachine(n int) *Machine {
	m := New()
	t := new(table)
	for i := range n {
		v := make([]byte, 100)
		v[0] = byte(i)
		t.Load(fmt.Sprintf("key%08d", i), v)
	}
	m.tables["t"] = t
	m.applied = uint64(n)
	return m
}

// BenchmarkSnapshot measures Snapshot (and Release): the time the
// consensus actor stops applying to take a snapshot. It does not grow
// with the number of keys.
func BenchmarkSnapshot(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			m := bigMachine(n)
			put := enc(b, cmdPut("t", "key00000001", "x"))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				s, err := m.Snapshot()
				if err != nil {
					b.Fatal(err)
				}
				s.Release()
				b.StopTimer() // an Apply between snapshots, as in a peer
				_, _ = m.Apply(uint64(n+i+1), put)
				b.StartTimer()
			}
		})
	}
}

// BenchmarkSnapshotWriteTo measures writing a million-key snapshot
// (about 100 MB of values) to io.Discard, off the consensus actor.
func BenchmarkSnapshotWriteTo(b *testing.B) {
	m := bigMachine(1_000_000)
	var size int64
	for b.Loop() {
		s, err := m.Snapshot()
		if err != nil {
			b.Fatal(err)
		}
		size, err = s.WriteTo(io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		s.Release()
	}
	b.SetBytes(size)
}

// BenchmarkRestore measures restoring a million-key snapshot.
func BenchmarkRestore(b *testing.B) {
	var buf bytes.Buffer
	require.NoError(b, bigMachine(1_000_000).WriteSnapshot(&buf))
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		if err := New().Restore(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}

func takeAndRelease(b *testing.B, m *Machine) {
	s, err := m.Snapshot()
	if err != nil {
		b.Fatal(err)
	}
	s.Release()
}
