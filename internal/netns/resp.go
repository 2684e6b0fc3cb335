package netns

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// ErrProtocol is a malformed RESP reply.
var ErrProtocol = errors.New("netns: resp protocol error")

// Reply is one RESP2 reply. Exactly one of its forms is set by Kind:
// '+' simple string (Str), '-' error (Str), ':' integer (Int), '$' bulk
// string (Str, Nil when absent), '*' array (Elems, Nil when absent).
type Reply struct {
	Kind  byte
	Str   string
	Int   int64
	Nil   bool
	Elems []Reply
}

// Err returns the error text of an error reply, "" otherwise.
func (r Reply) Err() string {
	if r.Kind == '-' {
		return r.Str
	}
	return ""
}

func (r Reply) String() string {
	switch {
	case r.Nil:
		return "(nil)"
	case r.Kind == ':':
		return strconv.FormatInt(r.Int, 10)
	case r.Kind == '*':
		parts := make([]string, len(r.Elems))
		for i, e := range r.Elems {
			parts[i] = e.String()
		}
		return "[" + strings.Join(parts, " ") + "]"
	case r.Kind == '-':
		return "-" + r.Str
	}
	return strconv.Quote(r.Str)
}

// Conn is a RESP2 client connection (not safe for concurrent use).
type Conn struct {
	c net.Conn
	r *bufio.Reader
	w *bufio.Writer
}

// NewConn wraps an open connection.
func NewConn(c net.Conn) *Conn {
	return &Conn{c: c, r: bufio.NewReader(c), w: bufio.NewWriter(c)}
}

// Close closes the connection.
func (c *Conn) Close() error { return c.c.Close() }

// Do sends one command and reads its reply, all within timeout. Any error
// leaves the connection unusable (a late reply would answer the next
// command): the caller must close it.
func (c *Conn) Do(timeout time.Duration, args ...string) (Reply, error) {
	rs, err := c.Pipeline(timeout, [][]string{args})
	if err != nil {
		return Reply{}, err
	}
	return rs[0], nil
}

// Pipeline sends several commands at once and reads their replies in
// order, all within timeout. Keep batches small enough for the replies to
// fit the socket buffers: nothing is read until everything is written.
func (c *Conn) Pipeline(timeout time.Duration, cmds [][]string) ([]Reply, error) {
	if err := c.c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return nil, fmt.Errorf("netns: resp: %w", err)
	}
	for _, args := range cmds {
		fmt.Fprintf(c.w, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(c.w, "$%d\r\n%s\r\n", len(a), a)
		}
	}
	if err := c.w.Flush(); err != nil {
		return nil, fmt.Errorf("netns: resp: %w", err)
	}
	out := make([]Reply, len(cmds))
	for i := range out {
		r, err := readReply(c.r)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("netns: resp: %w", err)
	}
	if !strings.HasSuffix(line, "\r\n") {
		return "", fmt.Errorf("%w: line without CRLF %q", ErrProtocol, line)
	}
	return line[:len(line)-2], nil
}

func readReply(r *bufio.Reader) (Reply, error) {
	line, err := readLine(r)
	if err != nil {
		return Reply{}, err
	}
	if line == "" {
		return Reply{}, fmt.Errorf("%w: empty line", ErrProtocol)
	}
	rep := Reply{Kind: line[0]}
	body := line[1:]
	switch rep.Kind {
	case '+', '-':
		rep.Str = body
	case ':':
		if rep.Int, err = strconv.ParseInt(body, 10, 64); err != nil {
			return Reply{}, fmt.Errorf("%w: integer %q", ErrProtocol, body)
		}
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 {
			return Reply{}, fmt.Errorf("%w: bulk length %q", ErrProtocol, body)
		}
		if n == -1 {
			rep.Nil = true
			return rep, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return Reply{}, fmt.Errorf("netns: resp: %w", err)
		}
		if string(buf[n:]) != "\r\n" {
			return Reply{}, fmt.Errorf("%w: bulk without CRLF", ErrProtocol)
		}
		rep.Str = string(buf[:n])
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 {
			return Reply{}, fmt.Errorf("%w: array length %q", ErrProtocol, body)
		}
		if n == -1 {
			rep.Nil = true
			return rep, nil
		}
		rep.Elems = make([]Reply, n)
		for i := range rep.Elems {
			if rep.Elems[i], err = readReply(r); err != nil {
				return Reply{}, err
			}
		}
	default:
		return Reply{}, fmt.Errorf("%w: reply type %q", ErrProtocol, rep.Kind)
	}
	return rep, nil
}

// Info parses an INFO reply's "field:value" lines.
func Info(r Reply) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(r.Str, "\n") {
		k, v, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
		if ok && !strings.HasPrefix(k, "#") {
			out[k] = v
		}
	}
	return out
}
