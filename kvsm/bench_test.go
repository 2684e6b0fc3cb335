package kvsm

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/kvsm/kvsmpb"
)

// benchKeys is the key space of BenchmarkApplyPut: large enough that the
// state does not sit in a cache line, small enough to build quickly.
const benchKeys = 100_000

// putCommands returns n encoded Puts of 100-byte values over benchKeys keys
// of table "t", in a fixed pseudo-random order.
func putCommands(tb testing.TB, n int) [][]byte {
	val := make([]byte, 100)
	cmds := make([][]byte, n)
	x := uint32(2463534242)
	for i := range cmds {
		x ^= x << 13 // xorshift32: a fixed order without math/rand
		x ^= x >> 17
		x ^= x << 5
		c := &kvsmpb.Command{Op: &kvsmpb.Command_Put{Put: &kvsmpb.Put{
			Table: "t", Key: fmt.Sprintf("key%08d", x%benchKeys), Value: val}}}
		b, err := proto.Marshal(c)
		require.NoError(tb, err)
		cmds[i] = b
	}
	return cmds
}

// BenchmarkApplyPut measures Apply of Puts to a table of benchKeys keys:
// the cost the state's data structure adds to every committed write.
func BenchmarkApplyPut(b *testing.B) {
	m := New()
	_, err := m.Apply(1, enc(b, cmdNew("t")))
	require.NoError(b, err)
	warm := putCommands(b, benchKeys)
	for i, c := range warm {
		_, _ = m.Apply(uint64(i+2), c)
	}
	cmds := putCommands(b, 1<<16)
	idx := uint64(len(warm) + 2)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := m.Apply(idx, cmds[i&(len(cmds)-1)]); err != nil {
			b.Fatal(err)
		}
		idx++
	}
}
