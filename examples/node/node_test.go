package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The end-to-end test: the node binary, three OS processes on 127.0.0.1,
// driven by the real redis-cli and redis-benchmark exactly as the README
// shows.

const howToGetRedisTools = "install Debian's redis-tools (apt-get install -y redis-tools) to run it; CI (.ci/run) does"

// proc is one running node process.
type proc struct {
	name   string
	cmd    *exec.Cmd
	redis  string // host:port of its RESP listener, from its ready line
	http   string // host:port of its -http listener, if any
	port   string
	stderr string        // path of its log
	done   chan struct{} // closed when the process has exited
	err    error         // Wait's result, set before done is closed
}

// buildNode builds the node binary into dir.
func buildNode(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "node")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// freePorts returns n distinct free TCP ports on 127.0.0.1. They are
// closed before use, so another process could take one in between; the
// node then fails to start and the test says so.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

var readyLine = regexp.MustCompile(`^ready name=(\S+) raft=(\S+) redis=(\S+)(?: http=(\S+))?$`)

// startNode starts one node process (with extra flags, if any) and waits
// for its ready line.
func startNode(t *testing.T, bin, dir, name, peers string, bootstrap bool, extra ...string) *proc {
	t.Helper()
	args := []string{"-name", name, "-peers", peers, "-data", filepath.Join(dir, name),
		"-redis", "127.0.0.1:0", "-log-level", "info"}
	args = append(args, extra...)
	if bootstrap {
		args = append(args, "-bootstrap")
	}
	p := &proc{name: name, stderr: filepath.Join(dir, name+".log"), done: make(chan struct{})}
	logf, err := os.Create(p.stderr)
	require.NoError(t, err)
	t.Cleanup(func() { logf.Close() })
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stderr = logf
	stdout, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	t.Logf("started %s (pid %d): %s %s", name, p.cmd.Process.Pid, bin, strings.Join(args, " "))
	ready := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := readyLine.FindStringSubmatch(sc.Text()); m != nil {
				ready <- m
			}
		}
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			b, _ := os.ReadFile(p.stderr)
			t.Logf("log of %s (last 3000 bytes):\n%s", name, tail(b, 3000))
		}
	})
	select {
	case m := <-ready:
		p.redis, p.http = m[3], m[4]
	case <-p.done:
		b, _ := os.ReadFile(p.stderr)
		t.Fatalf("%s exited before it was ready: %v\n%s", name, p.err, b)
	case <-time.After(30 * time.Second):
		t.Fatalf("%s printed no ready line within 30s", name)
	}
	_, p.port, err = net.SplitHostPort(p.redis)
	require.NoError(t, err)
	return p
}

// threeNodes builds the node binary and starts nodes a, b and c on
// loopback (a bootstraps), each with the extra flags; it returns them and
// their -peers list.
func threeNodes(t *testing.T, extra ...string) (dir, bin, peers string, procs []*proc) {
	t.Helper()
	dir = t.TempDir()
	bin = buildNode(t, dir)
	ports := freePorts(t, 3)
	var peerList []string
	for i, n := range []string{"a", "b", "c"} {
		peerList = append(peerList, fmt.Sprintf("%s@127.0.0.1:%d", n, ports[i]))
	}
	peers = strings.Join(peerList, ",")
	for i, n := range []string{"a", "b", "c"} {
		procs = append(procs, startNode(t, bin, dir, n, peers, i == 0, extra...))
	}
	return dir, bin, peers, procs
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// cli runs redis-cli against p and returns its output without the final
// newlines. redis-cli prints an error reply as "ERR ..." (it exits 0).
func cli(t *testing.T, p *proc, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	full := append([]string{"-h", "127.0.0.1", "-p", p.port}, args...)
	out, err := exec.CommandContext(ctx, "redis-cli", full...).CombinedOutput()
	require.NoError(t, err, "redis-cli %s: %s", strings.Join(full, " "), out)
	return strings.TrimRight(string(out), "\n")
}

// info returns p's INFO fields.
func info(t *testing.T, p *proc) map[string]string {
	t.Helper()
	fields := map[string]string{}
	for _, line := range strings.Split(cli(t, p, "INFO"), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			fields[k] = v
		}
	}
	return fields
}

// eventually polls cond every 50 ms until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(50 * time.Millisecond) // polling interval, not synchronisation
	}
}

func TestThreeProcessesWithRedisCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three processes and runs redis-benchmark; skipped with -short")
	}
	for _, tool := range []string{"redis-cli", "redis-benchmark"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: %s", tool, howToGetRedisTools)
		}
	}
	dir, bin, peers, procs := threeNodes(t)
	names := []string{"a", "b", "c"}
	a, b, c := procs[0], procs[1], procs[2]

	// The cluster is up when every node has the configuration, knows the
	// leader and the table exists (a write through each node succeeds).
	for _, p := range procs {
		eventually(t, 30*time.Second, p.name+" joins the cluster", func() bool {
			f := info(t, p)
			return f["members"] == peers && f["leader"] != "" && cli(t, p, "SET", "probe:"+p.name, "1") == "OK"
		})
	}

	t.Run("commands", func(t *testing.T) {
		assert.Equal(t, "PONG", cli(t, a, "PING"))
		assert.Equal(t, "OK", cli(t, a, "SET", "greeting", "hello"))
		assert.Equal(t, "hello", cli(t, b, "GET", "greeting"), "a write through a is read through b")
		assert.Equal(t, "hello", cli(t, c, "GET", "greeting"))
		assert.Equal(t, "12", cli(t, c, "APPEND", "greeting", ", world"))
		assert.Equal(t, "hello, world", cli(t, a, "GET", "greeting"))
		assert.Equal(t, "2", cli(t, b, "EXISTS", "greeting", "nope", "greeting"))
		assert.Equal(t, "OK", cli(t, b, "SET", "user:1", "ann"))
		assert.Equal(t, "OK", cli(t, c, "SET", "user:2", "bob"))
		assert.Equal(t, "user:1\nuser:2", cli(t, a, "KEYS", "user:*"))
		assert.Equal(t, "greeting\nprobe:a\nprobe:b\nprobe:c\nuser:1\nuser:2", cli(t, a, "KEYS", "*"))
		assert.Equal(t, "probe:a\nprobe:b", cli(t, a, "KEYS", "probe:[ab]"))
		assert.Equal(t, "1", cli(t, c, "DEL", "greeting", "nope"))
		assert.Equal(t, "", cli(t, a, "GET", "greeting"), "redis-cli prints nil as an empty line")
		assert.Equal(t, "0", cli(t, a, "EXISTS", "greeting"))

		assert.Equal(t, "1\nme", cli(t, a, "CAS", "lock", "me", "ABSENT"))
		assert.Equal(t, "0\nme", cli(t, b, "CAS", "lock", "you", "ABSENT"))
		assert.Equal(t, "0\nme", cli(t, c, "CAS", "lock", "you", "EXPECT", "nobody"))
		assert.Equal(t, "1\nyou", cli(t, c, "CAS", "lock", "you", "EXPECT", "me"))
		assert.Equal(t, "you", cli(t, a, "GET", "lock"))

		assert.Equal(t, "ERR unknown command 'foo', with args beginning with: 'bar' ", cli(t, a, "foo", "bar"))
		assert.Equal(t, "ERR wrong number of arguments for 'get' command", cli(t, b, "GET"))
		assert.Equal(t, "ERR wrong number of arguments for 'set' command", cli(t, c, "SET", "k"))
	})

	t.Run("info", func(t *testing.T) {
		leaders := 0
		term := ""
		for _, p := range procs {
			f := info(t, p)
			for _, k := range []string{"role", "term", "leader", "commit_index", "applied_index", "last_index"} {
				assert.NotEmpty(t, f[k], "%s INFO %s", p.name, k)
			}
			if f["role"] == "leader" {
				leaders++
				term = f["term"]
			}
			ci, _ := strconv.Atoi(f["commit_index"])
			assert.Greater(t, ci, 0, "%s commit_index", p.name)
			t.Logf("INFO %s: role=%s term=%s leader=%s commit=%s applied=%s last=%s",
				p.name, f["role"], f["term"], f["leader"], f["commit_index"], f["applied_index"], f["last_index"])
		}
		assert.Equal(t, 1, leaders, "exactly one leader")
		assert.NotEmpty(t, term)
	})

	t.Run("redis-benchmark", func(t *testing.T) {
		// Against a follower: every SET is forwarded to the leader and
		// every GET is a linearizable read through it.
		target := b
		for _, p := range procs {
			if info(t, p)["role"] == "follower" {
				target = p
				break
			}
		}
		role := info(t, target)["role"]
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		args := []string{"-h", "127.0.0.1", "-p", target.port, "-t", "set,get", "-n", "20000", "-c", "50", "-q"}
		start := time.Now()
		out, err := exec.CommandContext(ctx, "redis-benchmark", args...).CombinedOutput()
		require.NoError(t, err, "redis-benchmark %s:\n%s", strings.Join(args, " "), out)
		rates := benchmarkRates(out)
		t.Logf("redis-benchmark %s against %s (%s) took %v: SET %.0f requests/s, GET %.0f requests/s",
			strings.Join(args, " "), target.name, role, time.Since(start).Round(time.Millisecond), rates["SET"], rates["GET"])
		assert.Positive(t, rates["SET"], "no SET figure in:\n%s", out)
		assert.Positive(t, rates["GET"], "no GET figure in:\n%s", out)
		// redis-benchmark's SET writes a 3-byte value (-d 3) to the key
		// "key:__rand_int__"; every node reads the same one.
		v := cli(t, a, "GET", "key:__rand_int__")
		assert.Len(t, v, 3, "the benchmark's value")
		for _, p := range procs {
			assert.Equal(t, v, cli(t, p, "GET", "key:__rand_int__"), "benchmark write read through %s", p.name)
		}
	})

	stopAll := func(t *testing.T, procs []*proc) {
		for _, p := range procs {
			require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
		}
		for _, p := range procs {
			select {
			case <-p.done:
				err := p.err
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					t.Errorf("%s exited with %v after SIGTERM", p.name, ee)
				} else {
					assert.NoError(t, err, "%s", p.name)
				}
				log, _ := os.ReadFile(p.stderr)
				assert.Contains(t, string(log), "node: stopped", "%s logs its clean stop", p.name)
			case <-time.After(30 * time.Second):
				t.Errorf("%s did not exit within 30s of SIGTERM", p.name)
			}
		}
	}
	t.Run("sigterm", func(t *testing.T) { stopAll(t, procs) })
	if t.Failed() {
		return
	}

	// The same command lines again, on the same data directories: the
	// data is back, and -bootstrap on a configured peer is harmless.
	t.Run("restart", func(t *testing.T) {
		var again []*proc
		for i, n := range names {
			again = append(again, startNode(t, bin, dir, n, peers, i == 0))
		}
		for _, p := range again {
			eventually(t, 30*time.Second, p.name+" serves reads after the restart", func() bool {
				return cli(t, p, "GET", "user:1") == "ann"
			})
			assert.Equal(t, "you", cli(t, p, "GET", "lock"))
		}
		eventually(t, 30*time.Second, "a's -bootstrap finds the configuration in place", func() bool {
			log, _ := os.ReadFile(again[0].stderr)
			return bytes.Contains(log, []byte("node: configuration already in place"))
		})
		assert.Equal(t, "OK", cli(t, again[2], "SET", "after", "restart"))
		assert.Equal(t, "restart", cli(t, again[1], "GET", "after"))
		stopAll(t, again)
	})
}

// benchmarkRates parses redis-benchmark -q's "SET: 8410.43 requests per
// second, p50=5.199 msec" lines (the progress lines before them end in a
// carriage return, not a newline).
func benchmarkRates(out []byte) map[string]float64 {
	re := regexp.MustCompile(`([A-Z]+): ([0-9.]+) requests per second`)
	rates := map[string]float64{}
	for _, line := range bytes.Split(out, []byte("\n")) {
		if i := bytes.LastIndexByte(line, '\r'); i >= 0 {
			line = line[i+1:]
		}
		if m := re.FindSubmatch(bytes.TrimSpace(line)); m != nil {
			v, err := strconv.ParseFloat(string(m[2]), 64)
			if err == nil {
				rates[string(m[1])] = v
			}
		}
	}
	return rates
}
