package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hostile-input tests of the Redis front end. Each runs an in-process
// server (no Raft peer behind it: PING and ECHO need none) and states two
// bounds: the Go heap in use (runtime.MemStats.HeapAlloc after a GC, the
// server's buffers and the test's own client sockets together; goroutine
// stacks and the race detector's shadow memory are not in it) stays under
// heapBound above what it was before the attack, and a well-behaved client
// gets its PING answered within pingBound while the attack is on. The
// process RSS is logged beside it (it includes the race detector's memory
// when run with -race, so it is reported, not bounded).
const pingBound = 2 * time.Second // generous: the machine is shared

// heapNow is the Go heap in use after a collection.
func heapNow() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// rssNow is the process's resident set size (VmRSS), 0 if unknown.
func rssNow() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

const mib = 1 << 20

// checkHeap fails if the heap grew by more than bound since base, and
// logs the figures. It samples a few times over a short while, so an
// allocation the server makes shortly after reading an attack is seen.
func checkHeap(t *testing.T, what string, base uint64, bound uint64) {
	t.Helper()
	var worst uint64
	for range 3 {
		if h := heapNow(); h > worst {
			worst = h
		}
	}
	grew := int64(worst) - int64(base)
	t.Logf("%s: Go heap %.1f MiB -> %.1f MiB (grew %.1f MiB, bound %d MiB); process RSS %.1f MiB",
		what, float64(base)/mib, float64(worst)/mib, float64(grew)/mib, bound/mib, float64(rssNow())/mib)
	assert.Less(t, grew, int64(bound), "%s: the heap grew past its bound", what)
}

// checkPing dials a fresh connection and requires PONG within pingBound.
func checkPing(t *testing.T, s *server, what string) {
	t.Helper()
	start := time.Now()
	c, err := net.DialTimeout("tcp", s.ln.Addr().String(), pingBound)
	require.NoError(t, err, "%s: a well-behaved client could not connect", what)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(pingBound)))
	_, err = c.Write([]byte("*1\r\n$4\r\nPING\r\n"))
	require.NoError(t, err)
	line, err := bufio.NewReader(c).ReadString('\n')
	took := time.Since(start)
	require.NoError(t, err, "%s: a well-behaved client got no answer within %v", what, pingBound)
	require.Equal(t, "+PONG\r\n", line, what)
	t.Logf("%s: a well-behaved client's PING answered in %v (bound %v)", what, took.Round(time.Microsecond), pingBound)
}

// hostileServer is a test server with the flag defaults of a real node,
// room for many clients, and the given changes.
func hostileServer(t *testing.T, opts ...func(*config)) *server {
	t.Helper()
	return testServer(t, append([]func(*config){func(c *config) {
		c.MaxRequestBytes = 1 << 20
		c.MaxArgs = 4096
		c.MaxOutputBytes = 32 << 20
		c.MaxClients = 20000
	}}, opts...)...)
}

// expectClosedWith reads from c until the server closes it and checks the
// reply.
func expectClosedWith(t *testing.T, c net.Conn, want string, within time.Duration) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(within)))
	b, err := io.ReadAll(c)
	if err != nil && !strings.Contains(err.Error(), "reset") {
		require.NoError(t, err, "the server should have closed the connection within %v; got %q", within, b)
	}
	assert.Equal(t, want, string(b))
}

// TestHostileBulkHeader: a 1 GB bulk header is refused at once with the
// default -max-request-bytes; with a limit above it, the declared length
// still allocates nothing until bytes arrive (1 KiB sent: heap bound 8 MiB,
// where the old parser allocated the whole gigabyte).
func TestHostileBulkHeader(t *testing.T) {
	t.Run("over the limit", func(t *testing.T) {
		s := hostileServer(t)
		base := heapNow()
		c, err := net.Dial("tcp", s.ln.Addr().String())
		require.NoError(t, err)
		defer c.Close()
		_, err = c.Write([]byte("*2\r\n$4\r\nECHO\r\n$1000000000\r\n"))
		require.NoError(t, err)
		expectClosedWith(t, c, "-ERR Protocol error: invalid bulk length\r\n", 10*time.Second)
		checkPing(t, s, "1 GB bulk header")
		checkHeap(t, "1 GB bulk header", base, 8*mib)
	})
	t.Run("under a raised limit", func(t *testing.T) {
		s := hostileServer(t, func(c *config) { c.MaxRequestBytes = 2 << 30 })
		base := heapNow()
		c, err := net.Dial("tcp", s.ln.Addr().String())
		require.NoError(t, err)
		defer c.Close()
		_, err = c.Write([]byte("*2\r\n$4\r\nECHO\r\n$1000000000\r\n" + strings.Repeat("x", 1024)))
		require.NoError(t, err)
		checkPing(t, s, "1 GB bulk header, 1 KiB sent")
		checkHeap(t, "1 GB bulk header, 1 KiB sent", base, 8*mib)
	})
}

// TestHostileArrayHeader: a 10-million-element array header is refused
// before anything is allocated for it (heap bound 8 MiB).
func TestHostileArrayHeader(t *testing.T) {
	s := hostileServer(t)
	base := heapNow()
	c, err := net.Dial("tcp", s.ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("*10000000\r\n$4\r\nECHO\r\n"))
	require.NoError(t, err)
	expectClosedWith(t, c, "-ERR Protocol error: invalid multibulk length\r\n", 10*time.Second)
	checkPing(t, s, "10-million-element array header")
	checkHeap(t, "10-million-element array header", base, 8*mib)
}

// dialMany opens n connections to s (fewer if the test runs out of file
// descriptors: the count is returned and logged).
func dialMany(t *testing.T, s *server, n int) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, 0, n)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for range n {
		c, err := net.DialTimeout("tcp", s.ln.Addr().String(), 10*time.Second)
		require.NoError(t, err, "dial %d of %d", len(conns)+1, n)
		conns = append(conns, c)
	}
	return conns
}

// TestHostileSlowloris: 1,000 connections each declare a 1,000,000-byte
// bulk and trickle the request a byte at a time (30 rounds, 20 ms apart,
// then 100 bytes of the value). Heap bound 64 MiB (the old parser took
// 1,000 x 1 MB = 1 GB at the first "$1000000"); a well-behaved client is
// answered within pingBound during the attack.
func TestHostileSlowloris(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 connections; skipped with -short")
	}
	s := hostileServer(t)
	base := heapNow()
	conns := dialMany(t, s, 1000)
	req := []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000000\r\n" + strings.Repeat("v", 100))
	tick := time.NewTicker(20 * time.Millisecond) // the attack's pace, not synchronisation
	defer tick.Stop()
	for i := range req {
		for _, c := range conns {
			_, err := c.Write(req[i : i+1])
			require.NoError(t, err)
		}
		if i == len(req)/2 {
			checkPing(t, s, "1,000 slowloris connections, mid-trickle")
		}
		<-tick.C
	}
	require.Equal(t, 1000, s.clients(), "every slowloris connection is still open")
	checkPing(t, s, "1,000 slowloris connections")
	checkHeap(t, "1,000 slowloris connections", base, 64*mib)
}

// TestIdleTimeout: a connection that does not complete a request within
// -idle-timeout (idle, or trickling) is closed and logged; one that
// keeps sending whole requests is not.
func TestIdleTimeout(t *testing.T) {
	s := hostileServer(t, func(c *config) { c.IdleTimeout = 500 * time.Millisecond })
	idle := dialMany(t, s, 2)
	_, err := idle[1].Write([]byte("*1\r\n$4\r\nPI")) // half a request, never finished
	require.NoError(t, err)
	for _, c := range idle {
		expectClosedWith(t, c, "", 10*time.Second)
	}
	assert.Eventually(t, func() bool { return s.clients() == 0 }, 10*time.Second, 10*time.Millisecond)

	busy := dialMany(t, s, 1)[0]
	br := bufio.NewReader(busy)
	deadline := time.Now().Add(1500 * time.Millisecond) // three idle timeouts
	for time.Now().Before(deadline) {
		require.NoError(t, busy.SetDeadline(time.Now().Add(5*time.Second)))
		_, err := busy.Write([]byte("PING\r\n"))
		require.NoError(t, err)
		line, err := br.ReadString('\n')
		require.NoError(t, err, "a client sending requests must not time out")
		require.Equal(t, "+PONG\r\n", line)
		time.Sleep(100 * time.Millisecond) // the client's pace, well inside the idle timeout
	}
}

// fdLimit raises RLIMIT_NOFILE as far as it goes and returns the soft
// limit.
func fdLimit(t *testing.T) uint64 {
	var lim syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim))
	want := lim
	want.Cur, want.Max = max(lim.Max, 32768), max(lim.Max, 32768)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err == nil {
		return want.Cur
	}
	lim.Cur = lim.Max
	_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim))
	return lim.Cur
}

// TestHostileIdleConnections: 10,000 idle connections (both ends in this
// process, so 20,000 descriptors; RLIMIT_NOFILE is raised for them) cost
// at most 128 MiB of heap, and a well-behaved client is still answered
// within pingBound. With the default -max-clients (10000) they would fill
// the server: -idle-timeout is what frees it (TestIdleTimeout).
func TestHostileIdleConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 connections; skipped with -short")
	}
	n := 10000
	if lim := fdLimit(t); lim < uint64(2*n+200) {
		n = int(lim-200) / 2
		t.Logf("RLIMIT_NOFILE is %d and cannot be raised: %d idle connections instead of 10,000", lim, n)
	}
	s := hostileServer(t)
	base := heapNow()
	dialMany(t, s, n)
	assert.Eventually(t, func() bool { return s.clients() == n }, 30*time.Second, 10*time.Millisecond, "the server serves every connection")
	checkPing(t, s, fmt.Sprintf("%d idle connections", n))
	checkHeap(t, fmt.Sprintf("%d idle connections", n), base, 128*mib)
}

// TestHostilePipelineUnread: a client pipelines 100,000 ECHO commands
// (256-byte values, 27 MB of replies) and never reads a reply. The server
// writes until the socket buffers are full, then gives up after
// -write-timeout (1 s here), closes the connection and logs it. Heap bound
// 32 MiB; a well-behaved client is answered within pingBound meanwhile.
func TestHostilePipelineUnread(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 pipelined commands; skipped with -short")
	}
	s := hostileServer(t, func(c *config) { c.WriteTimeout = time.Second })
	base := heapNow()
	c, err := net.Dial("tcp", s.ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	one := encode(words("ECHO", strings.Repeat("e", 256)))
	var wg sync.WaitGroup
	wg.Add(1)
	var sent int
	go func() {
		defer wg.Done()
		batch := bytes.Repeat(one, 1000)
		for range 100 {
			if _, err := c.Write(batch); err != nil {
				return // the server gave up on us: expected
			}
			sent += 1000
		}
	}()
	checkPing(t, s, "100,000 pipelined commands unread")
	checkHeap(t, "100,000 pipelined commands unread", base, 32*mib)
	assert.Eventually(t, func() bool { return s.clients() == 0 }, 30*time.Second, 10*time.Millisecond,
		"the server closes a connection whose replies stay unread past -write-timeout")
	c.Close()
	wg.Wait()
	t.Logf("the client got %d commands into its socket before the server closed it", sent)
	assert.Contains(t, serverLog(s), "left its replies unread")
}
