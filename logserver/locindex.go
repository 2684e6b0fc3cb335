package logserver

// locChunk is how many locs one chunk of the index holds (96 KiB of 24-byte
// locs).
const (
	locShift = 12
	locChunk = 1 << locShift
)

// locIndex is the in-memory index of the log: entry i (counting from the
// first entry held) is at(i). It is a list of fixed-size chunks rather than
// one slice: a slice that grows by one element per entry is copied whole
// each time it outgrows its array (every ~25 % of growth past a few
// thousand entries), and each copy touches fresh memory. With 100 B
// entries that growth was 8 % of a loaded leader's CPU profile
// (examples/bench/README.md, "Latency budget"). Chunks are never copied;
// compaction drops whole chunks from the front, truncation trims the back.
type locIndex struct {
	chunks [][]loc // every chunk has capacity locChunk; all but the last are full
	skip   int     // locs dropped from the front of chunks[0] by compaction
	n      int     // locs held
}

func (x *locIndex) len() int { return x.n }

// at is the i-th loc held; i < len().
func (x *locIndex) at(i uint64) loc {
	j := i + uint64(x.skip)
	return x.chunks[j>>locShift][j&(locChunk-1)]
}

// last is the last loc held; len() > 0.
func (x *locIndex) last() loc { return x.at(uint64(x.n - 1)) }

func (x *locIndex) push(at loc) {
	k := len(x.chunks) - 1
	if k < 0 || len(x.chunks[k]) == locChunk {
		x.chunks = append(x.chunks, make([]loc, 0, locChunk))
		k++
	}
	x.chunks[k] = append(x.chunks[k], at)
	x.n++
}

// truncate keeps the first n locs held; n <= len().
func (x *locIndex) truncate(n int) {
	total := x.skip + n
	k := (total + locChunk - 1) / locChunk
	clear(x.chunks[k:])
	x.chunks = x.chunks[:k]
	if k > 0 {
		x.chunks[k-1] = x.chunks[k-1][:total-(k-1)*locChunk]
	}
	x.n = n
}

// dropFront forgets the first k locs held; k <= len().
func (x *locIndex) dropFront(k int) {
	x.skip += k
	x.n -= k
	d := x.skip / locChunk
	if d > 0 {
		x.chunks = append([][]loc(nil), x.chunks[d:]...) // let the dropped chunks go
		x.skip -= d * locChunk
	}
	if x.n == 0 {
		*x = locIndex{}
	}
}
