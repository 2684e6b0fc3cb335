package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHostileNodeProcess: the attacks of issue 12 against a real node
// process (a one-peer cluster, built without the race detector), whose
// RSS is measured from /proc/<pid>/status:
//
//   - 1,000 slowloris connections declaring "$1000000" and trickling the
//     request a byte at a time: RSS and the Go heap (INFO used_memory)
//     each grow by less than 64 MiB (the old parser allocated 1 MB per
//     connection at once: +1 GB of heap, of which RSS shows only the
//     pages touched);
//   - 10,000 idle connections (a separate process from the test, so
//     neither needs more than RLIMIT_NOFILE's 20,000): RSS grows by less
//     than 256 MiB (the old server, with 32 KiB of buffers per
//     connection: +161 MiB; now +64 MiB), and with -max-clients above them
//     a well-behaved client is answered within pingBound.
func TestHostileNodeProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the node and opens 11,000 connections; skipped with -short")
	}
	dir := t.TempDir()
	bin := buildNode(t, dir)
	port := freePorts(t, 1)[0]
	p := startNode(t, bin, dir, "a", fmt.Sprintf("a@127.0.0.1:%d", port), true, "-max-clients", "10100")
	s := &server{ln: fixedAddr(p.redis)}
	pid := p.cmd.Process.Pid
	checkPing(t, s, "node process")
	base, baseHeap := procRSS(t, pid), usedMemory(t, s)

	t.Run("1,000 slowloris", func(t *testing.T) {
		conns := dialMany(t, s, 1000)
		req := []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000000\r\n" + strings.Repeat("v", 100))
		tick := time.NewTicker(20 * time.Millisecond) // the attack's pace, not synchronisation
		defer tick.Stop()
		for i := range req {
			for _, c := range conns {
				_, err := c.Write(req[i : i+1])
				require.NoError(t, err)
			}
			<-tick.C
		}
		checkPing(t, s, "node process, 1,000 slowloris connections")
		checkRSS(t, pid, "node process, 1,000 slowloris connections", base, 64*mib)
		heap := usedMemory(t, s)
		t.Logf("node process, 1,000 slowloris connections: Go heap (INFO used_memory) %.1f MiB -> %.1f MiB (bound +64 MiB)", float64(baseHeap)/mib, float64(heap)/mib)
		assert.Less(t, int64(heap)-int64(baseHeap), int64(64*mib), "the node's heap grew past its bound")
		for _, c := range conns {
			c.Close()
		}
	})

	t.Run("10,000 idle", func(t *testing.T) {
		fdLimit(t)
		conns := dialMany(t, s, 10000)
		// Every connection is being served once a PING on the last one
		// is answered after all were opened (they are accepted in order).
		last := conns[len(conns)-1]
		require.NoError(t, last.SetDeadline(time.Now().Add(30*time.Second)))
		_, err := last.Write([]byte("PING\r\n"))
		require.NoError(t, err)
		buf := make([]byte, 7)
		_, err = last.Read(buf)
		require.NoError(t, err)
		require.Equal(t, "+PONG\r\n", string(buf))
		checkPing(t, s, "node process, 10,000 idle connections")
		checkRSS(t, pid, "node process, 10,000 idle connections", base, 256*mib)
	})
}

// usedMemory is the node's INFO used_memory (its Go heap objects).
func usedMemory(t *testing.T, s *server) uint64 {
	t.Helper()
	c, err := net.Dial("tcp", s.ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = c.Write([]byte("INFO\r\n"))
	require.NoError(t, err)
	br := bufio.NewReader(c)
	head, err := br.ReadString('\n')
	require.NoError(t, err)
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(head, "$")))
	require.NoError(t, err, "INFO reply %q", head)
	body := make([]byte, n)
	_, err = io.ReadFull(br, body)
	require.NoError(t, err)
	for _, line := range strings.Split(string(body), "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			u, err := strconv.ParseUint(v, 10, 64)
			require.NoError(t, err)
			return u
		}
	}
	t.Fatalf("no used_memory in INFO:\n%s", body)
	return 0
}

// fixedAddr is a net.Listener that only knows its address: enough for
// the helpers that dial a server's s.ln.Addr().
type fixedAddr string

func (a fixedAddr) Accept() (net.Conn, error) { return nil, net.ErrClosed }
func (a fixedAddr) Close() error              { return nil }
func (a fixedAddr) Addr() net.Addr {
	addr, _ := net.ResolveTCPAddr("tcp", string(a))
	return addr
}

// procRSS is process pid's VmRSS.
func procRSS(t *testing.T, pid int) uint64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

func checkRSS(t *testing.T, pid int, what string, base, bound uint64) {
	t.Helper()
	rss := procRSS(t, pid)
	grew := int64(rss) - int64(base)
	t.Logf("%s: RSS %.1f MiB -> %.1f MiB (grew %.1f MiB, bound %d MiB)", what, float64(base)/mib, float64(rss)/mib, float64(grew)/mib, bound/mib)
	assert.Less(t, grew, int64(bound), "%s: RSS grew past its bound", what)
}
