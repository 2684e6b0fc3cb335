package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parseAll(t *testing.T, in string, maxBytes int) ([][][]byte, error) {
	t.Helper()
	r := newReader(strings.NewReader(in), readLimits{maxArgs: testMaxArgs, maxBytes: maxBytes})
	var out [][][]byte
	for {
		args, err := r.readRequest()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, args)
	}
}

// testMaxArgs is the -max-args of the parser tests.
const testMaxArgs = 4096

func words(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func TestReadRequest(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want [][][]byte
	}{
		{"array", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", [][][]byte{words("GET", "k")}},
		{"binary bulk with CRLF inside", "*2\r\n$4\r\nECHO\r\n$4\r\na\r\nb\r\n", [][][]byte{words("ECHO", "a\r\nb")}},
		{"empty bulk", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", [][][]byte{words("SET", "k", "")}},
		{"pipelined", "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n", [][][]byte{words("PING"), words("PING")}},
		{"empty array", "*0\r\n", [][][]byte{{}}},
		{"inline", "SET k v\r\n", [][][]byte{words("SET", "k", "v")}},
		{"inline bare LF and tabs", "GET\t k \n", [][][]byte{words("GET", "k")}},
		{"inline empty line", "\r\n", [][][]byte{{}}},
		{"inline double quotes", `SET k "a b\n\x41\""` + "\r\n", [][][]byte{words("SET", "k", "a b\nA\"")}},
		{"inline single quotes", `SET k 'it\'s "x"'` + "\r\n", [][][]byte{words("SET", "k", `it's "x"`)}},
		{"inline empty quoted", `SET k ""` + "\r\n", [][][]byte{words("SET", "k", "")}},
		{"inline then array", "PING\r\n*1\r\n$4\r\nPING\r\n", [][][]byte{words("PING"), words("PING")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAll(t, tt.in, 1<<20)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestReadRequestMalformed(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"bad multibulk length", "*x\r\n", "invalid multibulk length"},
		{"negative multibulk length", "*-2\r\n", "invalid multibulk length"},
		{"too many args", fmt.Sprintf("*%d\r\n", testMaxArgs+1), "invalid multibulk length"},
		{"10-million-element array", "*10000000\r\n", "invalid multibulk length"},
		{"inline with too many args", strings.Repeat("a ", testMaxArgs+1) + "\r\n", "too many arguments"},
		{"not a bulk", "*1\r\n:1\r\n", "expected '$', got ':'"},
		{"bad bulk length", "*1\r\n$x\r\n", "invalid bulk length"},
		{"negative bulk length", "*1\r\n$-1\r\n", "invalid bulk length"},
		{"bulk over the limit", "*1\r\n$17\r\n", "invalid bulk length"},
		{"bulks over the limit together", "*2\r\n$8\r\naaaaaaaa\r\n$9\r\n", "invalid bulk length"},
		{"bulk without CRLF", "*1\r\n$1\r\nab\r\n", "not terminated by CRLF"},
		{"unbalanced double quote", "SET k \"v\r\n", "unbalanced quotes"},
		{"text after closing quote", "SET k \"v\"x\r\n", "unbalanced quotes"},
		{"unbalanced single quote", "SET k 'v\r\n", "unbalanced quotes"},
		{"count line too long", "*" + strings.Repeat("1", 100) + "\r\n", "too big request line"},
		{"inline line too long", strings.Repeat("a", maxInlineBytes+1) + "\r\n", "too big request line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseAll(t, tt.in, 16)
			require.ErrorIs(t, err, errProtocol)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	t.Run("truncated request", func(t *testing.T) {
		for _, in := range []string{"*2\r\n$3\r\nGET\r\n", "*1\r\n$3\r\nGE", "*1", "PING"} {
			_, err := parseAll(t, in, 1<<20)
			assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "%q", in)
		}
	})
}

// encode is a client's RESP array encoding of args.
func encode(args [][]byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

// FuzzReadRequest: any input either parses or fails with an error, never a
// panic or an unbounded allocation; whatever parses re-encodes as an array
// that parses back to the same arguments.
func FuzzReadRequest(f *testing.F) {
	for _, s := range []string{
		"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "SET k \"a\\x41\"\r\n", "*0\r\n", "\r\n",
		"*1\r\n$-1\r\n", "'a\\'b'\n", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", "*99999999999999999999\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := newReader(bytes.NewReader(in), readLimits{maxArgs: testMaxArgs, maxBytes: 1 << 16})
		for {
			args, err := r.readRequest()
			if err != nil {
				return
			}
			total := 0
			for _, a := range args {
				total += len(a)
			}
			if total > 1<<16 && in[0] == '*' {
				t.Fatalf("request of %d bytes passed a limit of %d", total, 1<<16)
			}
			back, err := newReader(bytes.NewReader(encode(args)), readLimits{maxArgs: 1 << 20, maxBytes: 1 << 30}).readRequest()
			if err != nil {
				t.Fatalf("re-encoded %q does not parse: %v", args, err)
			}
			if len(args) != len(back) {
				t.Fatalf("round trip %q -> %q", args, back)
			}
			for i := range args {
				if !bytes.Equal(args[i], back[i]) {
					t.Fatalf("round trip %q -> %q", args, back)
				}
			}
		}
	})
}

// testServer is a server with no peer behind it: enough for the commands
// that do not reach Raft and for the connection handling.
// Options change the config before the server starts; its log goes to
// t.Log.
func testServer(t *testing.T, opts ...func(*config)) *server {
	t.Helper()
	cfg := config{Table: "default", OpTimeout: time.Second, MaxRequestBytes: 64, MaxClients: 3, ShutdownGrace: time.Second,
		IdleTimeout: time.Minute, AuthTimeout: 10 * time.Second, WriteTimeout: time.Minute, MaxArgs: testMaxArgs, MaxOutputBytes: minOutputBytes, Redis: "127.0.0.1:0"}
	for _, o := range opts {
		o(&cfg)
	}
	ln, err := listenRedis(cfg)
	require.NoError(t, err)
	logs := &logBuffer{}
	s := newServer(cfg, nil, ln, slog.New(slog.NewTextHandler(io.MultiWriter(tWriter{t}, logs), &slog.HandlerOptions{Level: slog.LevelInfo})))
	testLogs.Store(s, logs)
	go s.serve()
	t.Cleanup(func() { s.close(time.Second) })
	return s
}

// testLogs holds each test server's log (by *server), for serverLog.
var testLogs sync.Map

// serverLog is what a test server has logged so far.
func serverLog(s *server) string {
	l, _ := testLogs.Load(s)
	return l.(*logBuffer).String()
}

// logBuffer is a log that tests read while the server writes it.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tWriter sends a server's log lines to t.Log, so a failing test shows
// them (and a passing one with -v).
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// roundTrip writes in on a fresh connection and returns everything the
// server writes back until it closes the connection or stops writing.
func roundTrip(t *testing.T, s *server, in string, closeWrite bool) string {
	t.Helper()
	c, err := net.Dial("tcp", s.ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte(in))
	require.NoError(t, err)
	if closeWrite {
		require.NoError(t, c.(*net.TCPConn).CloseWrite())
	}
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	b, err := io.ReadAll(bufio.NewReader(c))
	require.NoError(t, err, "the server should close the connection, got %q", b)
	return string(b)
}

func TestServerReplies(t *testing.T) {
	s := testServer(t)
	tests := []struct {
		name, in, want string
	}{
		{"ping", "PING\r\n", "+PONG\r\n"},
		{"ping message", "*2\r\n$4\r\nping\r\n$2\r\nhi\r\n", "$2\r\nhi\r\n"},
		{"echo", "ECHO \"a b\"\r\n", "$3\r\na b\r\n"},
		{"unknown command", "FOO a b c d\r\n", "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' 'c' \r\n"},
		{"unknown command with CRLF in name", "*1\r\n$4\r\nx\r\ny\r\n", "-ERR unknown command 'x  y', with args beginning with: \r\n"},
		{"wrong arity", "GET\r\n", "-ERR wrong number of arguments for 'get' command\r\n"},
		{"wrong arity of a fixed-arity command", "GET a b\r\n", "-ERR wrong number of arguments for 'get' command\r\n"},
		{"set with options", "SET k v NX\r\n", "-ERR syntax error\r\n"},
		{"cas syntax", "CAS k v MAYBE\r\n", "-ERR syntax error: use CAS key new EXPECT old, or CAS key new ABSENT\r\n"},
		{"cas arity", "CAS k v EXPECT\r\n", "-ERR wrong number of arguments for 'cas' command\r\n"},
		{"config get", "CONFIG GET save\r\n", "*0\r\n"},
		{"pipelined, in order", "PING\r\nECHO 1\r\nNOPE\r\nECHO 2\r\n", "+PONG\r\n$1\r\n1\r\n-ERR unknown command 'NOPE', with args beginning with: \r\n$1\r\n2\r\n"},
		{"quit closes after its reply", "PING\r\nQUIT\r\nPING\r\n", "+PONG\r\n+OK\r\n"},
		{"protocol error closes", "PING\r\n*1\r\n$x\r\nPING\r\n", "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"},
		{"request over the size limit closes", "*1\r\n$65\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"binary junk", "\x00\xff*\r\n$\r\n", "-ERR unknown command ' \xff*', with args beginning with: \r\n-ERR unknown command '$', with args beginning with: \r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, roundTrip(t, s, tt.in, true))
		})
	}
}

// TestServerMaxClients: a connection over -max-clients gets Redis's error
// and is closed; the others keep working.
func TestServerMaxClients(t *testing.T) {
	s := testServer(t)
	var held []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", s.ln.Addr().String())
		require.NoError(t, err)
		defer c.Close()
		_, err = c.Write([]byte("PING\r\n"))
		require.NoError(t, err)
		line, err := bufio.NewReader(c).ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, "+PONG\r\n", line)
		held = append(held, c)
	}
	// Nothing is sent: unread request bytes would turn the close into a reset.
	assert.Equal(t, "-ERR max number of clients reached\r\n", roundTrip(t, s, "", false))
	held[0].Close()
	assert.Eventually(t, func() bool { return s.clients() < 3 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, "+PONG\r\n", roundTrip(t, s, "PING\r\n", true))
}

// TestServerClose: close ends idle connections at once and refuses new
// ones.
func TestServerClose(t *testing.T) {
	s := testServer(t)
	c, err := net.Dial("tcp", s.ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("PING\r\n"))
	require.NoError(t, err)
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "+PONG\r\n", line)
	done := make(chan struct{})
	go func() { s.close(10 * time.Second); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("close waited for an idle connection")
	}
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = br.ReadByte()
	assert.ErrorIs(t, err, io.EOF, "the idle connection should be closed")
	_, err = net.Dial("tcp", s.ln.Addr().String())
	assert.Error(t, err, "the listener should be closed")
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, key string
		want         bool
	}{
		{"*", "", true},
		{"*", "a/b:c", true},
		{"user:*", "user:1", true},
		{"user:*", "users", false},
		{"h?llo", "hello", true},
		{"h?llo", "hllo", false},
		{"h[ae]llo", "hallo", true},
		{"h[ae]llo", "hillo", false},
		{"h[^e]llo", "hallo", true},
		{"h[^e]llo", "hello", false},
		{"h[a-b]llo", "hbllo", true},
		{"h[b-a]llo", "hallo", true},
		{`h\*llo`, "h*llo", true},
		{`h\*llo`, "hello", false},
		{"*a*b*c", "xxaxxbxxc", true},
		{"*a*b*c", "xxaxxbxx", false},
		{"a*", "b", false},
		{"[abc", "a", true},
		{"", "", true},
		{"", "a", false},
		{strings.Repeat("*a", 30) + "b", strings.Repeat("a", 100), false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, globMatch(tt.pattern, tt.key), "globMatch(%q, %q)", tt.pattern, tt.key)
	}
}

func FuzzGlobMatch(f *testing.F) {
	f.Add("*a?[b-c]\\*", "xab*")
	f.Fuzz(func(t *testing.T, pattern, key string) {
		got := globMatch(pattern, key)
		if pattern == "*" && !got {
			t.Fatalf("* did not match %q", key)
		}
		if !strings.ContainsAny(pattern, `*?[\`) && got != (pattern == key) {
			t.Fatalf("literal %q vs %q: %v", pattern, key, got)
		}
	})
}

// TestServerMaxArgs: -max-args bounds a request array and an inline
// command.
func TestServerMaxArgs(t *testing.T) {
	s := testServer(t, func(c *config) { c.MaxArgs = 3 })
	assert.Equal(t, "$1\r\na\r\n", roundTrip(t, s, "*2\r\n$4\r\nECHO\r\n$1\r\na\r\n", true))
	assert.Equal(t, "-ERR Protocol error: invalid multibulk length\r\n", roundTrip(t, s, "*4\r\n", false))
	assert.Equal(t, "-ERR Protocol error: too many arguments\r\n", roundTrip(t, s, "EXISTS a b c\r\n", false))
	assert.Contains(t, serverLog(s), "redis: protocol error; disconnected")
}

// TestServerMaxOutput: a reply over -max-output-bytes is replaced by an
// error, logged, and the connection carries on.
func TestServerMaxOutput(t *testing.T) {
	s := testServer(t, func(c *config) { c.MaxRequestBytes = 1 << 20 })
	big := strings.Repeat("x", minOutputBytes)
	c := dialSession(t, s)
	assert.Equal(t, "-ERR reply exceeds -max-output-bytes (65536)", c.do(string(encode(words("ECHO", big)))))
	assert.Equal(t, "+PONG", c.do("PING\r\n"))
	fits := strings.Repeat("x", minOutputBytes-100)
	assert.Equal(t, fmt.Sprintf("$%d", len(fits)), c.do(string(encode(words("ECHO", fits)))))
	assert.Contains(t, serverLog(s), "redis: reply over -max-output-bytes replaced by an error")
}

// TestServerMaxClientsLogged: refusals at -max-clients are logged.
func TestServerMaxClientsLogged(t *testing.T) {
	s := testServer(t, func(c *config) { c.MaxClients = 1 })
	dialSession(t, s).do("PING\r\n")
	assert.Equal(t, "-ERR max number of clients reached\r\n", roundTrip(t, s, "", false))
	assert.Eventually(t, func() bool { return strings.Contains(serverLog(s), "connections refused at -max-clients") },
		5*time.Second, 10*time.Millisecond)
}
