package kvsm

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/kvsm/kvsmpb"
)

// stateCommands returns a prefix that builds two tables of n keys, and a
// rest that rewrites, appends to, deletes and drops most of that state:
// commands that change nearly every node a snapshot of the prefix shares.
func stateCommands(t testing.TB, rng *rand.Rand, n int) (prefix, rest [][]byte) {
	key := func(i int) string { return fmt.Sprintf("k%07d", i) }
	val := func() string { return fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64()) }
	add := func(to *[][]byte, c *kvsmpb.Command) { *to = append(*to, enc(t, c)) }
	add(&prefix, cmdNew("t"))
	add(&prefix, cmdNew("u"))
	for _, i := range rng.Perm(n) {
		add(&prefix, cmdPut("t", key(i), val()))
		if i%10 == 0 {
			add(&prefix, cmdPut("u", key(i), val()))
		}
	}
	for _, i := range rng.Perm(n) {
		switch i % 4 {
		case 0:
			add(&rest, cmdPut("t", key(i), val()))
		case 1:
			add(&rest, cmdAppend("t", key(i), val()))
		case 2:
			add(&rest, cmdDel("t", key(i)))
		case 3:
			add(&rest, cmdPut("t", key(n+i), val()))
		}
	}
	add(&rest, cmdDelTable("u"))
	add(&rest, cmdNew("a"))
	add(&rest, cmdPut("a", "x", "y"))
	return prefix, rest
}

func applyCmds(t testing.TB, m *Machine, from uint64, cmds [][]byte) {
	t.Helper()
	for i, c := range cmds {
		_, err := m.Apply(from+uint64(i), c)
		require.NoError(t, err)
	}
}

func written(t testing.TB, m *Machine) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, m.WriteSnapshot(&b))
	return b.Bytes()
}

// gatedWriter holds WriteTo at its first write until the test has applied
// more commands, so the writing and the mutation surely overlap.
type gatedWriter struct {
	buf      bytes.Buffer
	started  chan struct{}
	resume   chan struct{}
	startedN int
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	if g.startedN == 0 {
		close(g.started)
		<-g.resume
	}
	g.startedN++
	return g.buf.Write(p)
}

// A snapshot's WriteTo, run while Apply rewrites the state under it,
// writes exactly the state of the moment Snapshot was called: the bytes a
// fresh machine that applied the same prefix writes.
func TestSnapshotWriteToWhileApplying(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	prefix, rest := stateCommands(t, rand.New(rand.NewPCG(seed, 0)), 10_000)

	m := New()
	applyCmds(t, m, 1, prefix)
	s, err := m.Snapshot()
	require.NoError(t, err)
	defer s.Release()

	g := &gatedWriter{started: make(chan struct{}), resume: make(chan struct{})}
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := s.WriteTo(g)
		done <- result{n, err}
	}()
	select {
	case <-g.started:
	case <-time.After(time.Minute):
		t.Fatal("WriteTo never wrote")
	}
	applyCmds(t, m, uint64(len(prefix)+1), rest) // while WriteTo is mid-stream
	close(g.resume)
	r := <-done
	require.NoError(t, r.err)
	assert.Greater(t, g.startedN, 1, "the stream spans several writes, so Apply ran mid-stream")

	fresh := New()
	applyCmds(t, fresh, 1, prefix)
	want := written(t, fresh)
	assert.Equal(t, int64(len(want)), r.n, "WriteTo counts the bytes it wrote")
	assert.True(t, bytes.Equal(want, g.buf.Bytes()), "the snapshot is the state at the snapshot point")

	all := New()
	applyCmds(t, all, 1, append(append([][]byte{}, prefix...), rest...))
	assert.True(t, bytes.Equal(written(t, all), written(t, m)), "the snapshot did not disturb the machine")
}

func TestSnapshotWriteToOnce(t *testing.T) {
	m := seeded(t)
	s, err := m.Snapshot()
	require.NoError(t, err)
	_, err = s.WriteTo(&bytes.Buffer{})
	require.NoError(t, err)
	_, err = s.WriteTo(&bytes.Buffer{})
	assert.ErrorIs(t, err, ErrSnapshotSpent, "a second WriteTo")
	s.Release()

	s, err = m.Snapshot()
	require.NoError(t, err)
	s.Release()
	n, err := s.WriteTo(&bytes.Buffer{})
	assert.ErrorIs(t, err, ErrSnapshotSpent, "WriteTo after Release")
	assert.Zero(t, n)
	s.Release() // harmless
}

// Release without WriteTo lets go of the state only the snapshot still
// holds: here every value, overwritten since the snapshot.
func TestSnapshotReleaseWithoutWriteToFrees(t *testing.T) {
	const keys, size = 4096, 4 << 10 // 16 MiB of values
	m := New()
	_, err := m.Apply(1, enc(t, cmdNew("t")))
	require.NoError(t, err)
	put := func(idx uint64, fill byte) {
		for i := range keys {
			c := &kvsmpb.Command{Op: &kvsmpb.Command_Put{Put: &kvsmpb.Put{
				Table: "t", Key: fmt.Sprint(i), Value: bytes.Repeat([]byte{fill}, size)}}}
			_, err := m.Apply(idx+uint64(i), enc(t, c))
			require.NoError(t, err)
		}
	}
	put(2, 'a')
	s, err := m.Snapshot()
	require.NoError(t, err)
	put(2+keys, 'b') // the 'a' values now live only in the snapshot

	held := heapAfterGC()
	s.Release()
	freed := int64(held) - int64(heapAfterGC())
	runtime.KeepAlive(m)
	runtime.KeepAlive(s)
	t.Logf("Release freed %d MiB", freed>>20)
	assert.Greater(t, freed, int64(keys*size*3/4), "Release frees the snapshot's values")
}

func heapAfterGC() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// A length prefix that claims a huge record is refused, or read only as
// far as the stream goes: Restore allocates by the bytes it is given.
func TestRestoreBoundsAllocation(t *testing.T) {
	hdr, err := proto.Marshal(&kvsmpb.SnapshotHeader{Format: snapshotFormat})
	require.NoError(t, err)
	stream := func(claim uint64, body int) []byte {
		b := append([]byte{byte(len(hdr))}, hdr...)
		b = appendUvarint(b, claim)
		return append(b, make([]byte, body)...)
	}
	m := seeded(t)
	want := written(t, m)
	for _, tc := range []struct {
		name  string
		claim uint64
	}{
		{"under the limit, truncated", maxRecordBytes - 1},
		{"over the limit", maxRecordBytes + 1},
		{"absurd", 1 << 62},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := stream(tc.claim, 4096)
			before := totalAlloc()
			err := m.Restore(bytes.NewReader(in))
			alloc := totalAlloc() - before
			require.ErrorIs(t, err, ErrBadSnapshot)
			t.Logf("%v; allocated %d KiB", err, alloc>>10)
			assert.Less(t, alloc, uint64(1<<20), "allocation follows the bytes delivered, not the claim")
			assert.Equal(t, want, written(t, m), "the machine is unchanged")
		})
	}
}

func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func totalAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

// WriteTo refuses a key whose value outgrew the record limit rather than
// write a snapshot that Restore would refuse.
func TestSnapshotRefusesUnrestorableRecord(t *testing.T) {
	m := seeded(t)
	m.tables["t"].Set("huge", make([]byte, maxRecordBytes)) // as if grown by Appends
	var b bytes.Buffer
	err := m.WriteSnapshot(&b)
	require.ErrorIs(t, err, ErrRecordTooLarge)
	assert.Contains(t, err.Error(), `key "huge"`, "the error names the key")
}
