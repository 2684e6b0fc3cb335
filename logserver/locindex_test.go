package logserver

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// locIndex behaves as the plain slice it replaces, across chunk
// boundaries, under any mix of appends, truncations and front drops.
func TestLocIndexMatchesASlice(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var x locIndex
		var ref []loc
		next := int64(0)
		for range rapid.IntRange(1, 40).Draw(t, "steps") {
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0, 1: // appends dominate, as in a log
				for range rapid.IntRange(0, 3*locChunk).Draw(t, "appends") {
					at := loc{off: next, term: uint64(next) / 7, size: uint32(next % 100), seg: uint32(next / 1000)}
					x.push(at)
					ref = append(ref, at)
					next++
				}
			case 2:
				n := rapid.IntRange(0, len(ref)).Draw(t, "keep")
				x.truncate(n)
				ref = ref[:n]
			case 3:
				k := rapid.IntRange(0, len(ref)).Draw(t, "drop")
				x.dropFront(k)
				ref = ref[k:]
			}
			require.Equal(t, len(ref), x.len())
			for _, i := range []int{0, len(ref) / 2, len(ref) - 1} {
				if i >= 0 && i < len(ref) {
					require.Equal(t, ref[i], x.at(uint64(i)), "index %d", i)
				}
			}
			if len(ref) > 0 {
				require.Equal(t, ref[len(ref)-1], x.last())
			}
			require.LessOrEqual(t, len(x.chunks), (x.skip+x.n)/locChunk+1, "no chunk is kept beyond what it holds")
		}
		for i := range ref {
			require.Equal(t, ref[i], x.at(uint64(i)))
		}
	})
}
