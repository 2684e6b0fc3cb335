package main

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPasswordMatches(t *testing.T) {
	assert.True(t, passwordMatches("s3cret", []byte("s3cret")))
	assert.False(t, passwordMatches("s3cret", []byte("s3cre")))
	assert.False(t, passwordMatches("s3cret", []byte("s3cret ")))
	assert.False(t, passwordMatches("s3cret", nil))
}

// respConn is a client connection: do sends a request and returns the first reply line.
type respConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialSession(t *testing.T, s *server) *respConn {
	t.Helper()
	c, err := net.Dial("tcp", s.ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return &respConn{t: t, c: c, br: bufio.NewReader(c)}
}

func (s *respConn) do(req string) string {
	s.t.Helper()
	require.NoError(s.t, s.c.SetDeadline(time.Now().Add(5*time.Second)))
	_, err := s.c.Write([]byte(req))
	require.NoError(s.t, err)
	line, err := s.br.ReadString('\n')
	require.NoError(s.t, err, "reply to %q", req)
	return strings.TrimSuffix(line, "\r\n")
}

func TestAuth(t *testing.T) {
	s := testServer(t, func(c *config) { c.RequirePass = "s3cret"; c.MaxRequestBytes = 1 << 20 })
	a := dialSession(t, s)
	assert.Equal(t, "-"+replyNoAuth, a.do("PING\r\n"), "no command before AUTH")
	assert.Equal(t, "-"+replyNoAuth, a.do("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"))
	assert.Equal(t, "-"+replyWrongPass, a.do("AUTH nope\r\n"))
	assert.Equal(t, "-"+replyWrongPass, a.do("AUTH bob s3cret\r\n"), "only the default user")
	assert.Equal(t, "-ERR wrong number of arguments for 'auth' command", a.do("AUTH\r\n"))
	assert.Equal(t, "-"+replyNoAuth, a.do("PING\r\n"), "still not authenticated")
	assert.Equal(t, "+OK", a.do("auth s3cret\r\n"))
	assert.Equal(t, "+PONG", a.do("PING\r\n"))
	assert.Equal(t, "-"+replyWrongPass, a.do("AUTH nope\r\n"))
	assert.Equal(t, "+PONG", a.do("PING\r\n"), "a failed AUTH keeps an authenticated connection authenticated (as Redis)")
	// After AUTH the full request limits apply.
	big := strings.Repeat("x", 20000)
	assert.Equal(t, "$20000", a.do(string(encode(words("ECHO", big)))))

	b := dialSession(t, s)
	assert.Equal(t, "+OK", b.do("AUTH default s3cret\r\n"), "AUTH default <password> (Redis 6)")
	assert.Equal(t, "+PONG", b.do("PING\r\n"))

	q := dialSession(t, s)
	assert.Equal(t, "+OK", q.do("QUIT\r\n"), "QUIT works before AUTH")

	assert.Contains(t, serverLog(s), "redis: AUTH failed")
}

// TestAuthSmallRequestsFirst: before AUTH only small requests are read
// (10 arguments, 16 KiB), so a stranger cannot make the server buffer
// anything large.
func TestAuthSmallRequestsFirst(t *testing.T) {
	s := testServer(t, func(c *config) { c.RequirePass = "s3cret"; c.MaxRequestBytes = 1 << 20 })
	assert.Equal(t, "-ERR Protocol error: invalid multibulk length\r\n", roundTrip(t, s, "*11\r\n", false))
	assert.Equal(t, "-ERR Protocol error: invalid bulk length\r\n", roundTrip(t, s, "*2\r\n$4\r\nAUTH\r\n$20000\r\n", false))
}

func TestAuthWithoutPassword(t *testing.T) {
	s := testServer(t)
	a := dialSession(t, s)
	assert.Equal(t, "+PONG", a.do("PING\r\n"), "no -requirepass: no AUTH needed")
	assert.Equal(t, "-"+replyNoPass, a.do("AUTH x\r\n"))
}

// TestAuthTimeout: with -requirepass a client must authenticate within
// -auth-timeout, whatever else it sends; once authenticated, -idle-timeout
// applies.
func TestAuthTimeout(t *testing.T) {
	s := testServer(t, func(c *config) {
		c.RequirePass = "s3cret"
		c.AuthTimeout = 500 * time.Millisecond
		c.IdleTimeout = time.Minute
	})
	stranger := dialSession(t, s)
	authed := dialSession(t, s)
	assert.Equal(t, "+OK", authed.do("AUTH s3cret\r\n"))
	start := time.Now()
	for time.Since(start) < 5*time.Second {
		_, err := stranger.c.Write([]byte("PING\r\n"))
		if err != nil {
			break
		}
		require.NoError(t, stranger.c.SetReadDeadline(time.Now().Add(5*time.Second)))
		if _, err := stranger.br.ReadString('\n'); err != nil {
			break // closed by the server
		}
		time.Sleep(50 * time.Millisecond) // the stranger's pace: busy, never authenticated
	}
	took := time.Since(start)
	assert.Less(t, took, 5*time.Second, "an unauthenticated client must be disconnected after -auth-timeout")
	assert.GreaterOrEqual(t, took, 400*time.Millisecond, "not before -auth-timeout")
	assert.Contains(t, serverLog(s), "not authenticated within -auth-timeout")
	assert.Equal(t, "+PONG", authed.do("PING\r\n"), "an authenticated client keeps -idle-timeout")
}
