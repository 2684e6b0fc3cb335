package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// The Redis protocol, RESP2 (https://redis.io/docs/latest/develop/reference/protocol-spec/):
// a request is either an array of bulk strings ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
// what redis-cli and redis-benchmark send) or an inline command, one line of
// space-separated words ("GET k\r\n", what a person types into telnet).

// Limits of one request. A request over them is a protocol error: the
// connection gets an error reply and is closed, as Redis does.
const (
	// maxInlineBytes bounds an inline command line (Redis:
	// PROTO_INLINE_MAX_SIZE, 64 KiB).
	maxInlineBytes = 64 << 10
	// maxArgs bounds the elements of one request array. Every command
	// here takes a handful of arguments, DEL and EXISTS a list of keys.
	maxArgs = 4096
)

// errProtocol marks a malformed request; the connection cannot be
// resynchronised after it, so the server replies and closes.
var errProtocol = errors.New("Protocol error")

// protocolError is a malformed request, with what was wrong.
func protocolError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errProtocol, fmt.Sprintf(format, args...))
}

// reader reads requests from one connection.
type reader struct {
	br *bufio.Reader
	// maxBytes bounds the total argument bytes of one request.
	maxBytes int
}

func newReader(r io.Reader, maxBytes int) *reader {
	return &reader{br: bufio.NewReaderSize(r, 16<<10), maxBytes: maxBytes}
}

// buffered reports whether more request bytes are already buffered, so the
// server can hold its replies back and flush them together (pipelining).
func (r *reader) buffered() bool { return r.br.Buffered() > 0 }

// readRequest returns the next request's arguments. An empty inline line
// gives an empty, non-nil slice (Redis ignores it). io.EOF at a request
// boundary means the client closed; errProtocol wraps malformed input.
func (r *reader) readRequest() ([][]byte, error) {
	b, err := r.br.ReadByte()
	if err != nil {
		return nil, err
	}
	if b != '*' {
		if err := r.br.UnreadByte(); err != nil {
			return nil, err
		}
		return r.readInline()
	}
	n, err := r.readCount('*')
	if err != nil {
		return nil, err
	}
	if n <= 0 {
		return [][]byte{}, nil // "*0" and "*-1": nothing to run
	}
	if n > maxArgs {
		return nil, protocolError("invalid multibulk length")
	}
	args := make([][]byte, 0, n)
	total := 0
	for range n {
		b, err := r.br.ReadByte()
		if err != nil {
			return nil, unexpectedEOF(err)
		}
		if b != '$' {
			return nil, protocolError("expected '$', got '%s'", printable(b))
		}
		size, err := r.readCount('$')
		if err != nil {
			return nil, err
		}
		if size < 0 || size > r.maxBytes-total {
			return nil, protocolError("invalid bulk length")
		}
		total += size
		arg := make([]byte, size+2)
		if _, err := io.ReadFull(r.br, arg); err != nil {
			return nil, unexpectedEOF(err)
		}
		if arg[size] != '\r' || arg[size+1] != '\n' {
			return nil, protocolError("bulk string not terminated by CRLF")
		}
		args = append(args, arg[:size:size])
	}
	return args, nil
}

// readCount reads the decimal number after a '*' or '$' up to CRLF.
func (r *reader) readCount(kind byte) (int, error) {
	line, err := r.readLine(32)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(string(line))
	if err != nil || (n < 0 && n != -1) {
		if kind == '*' {
			return 0, protocolError("invalid multibulk length")
		}
		return 0, protocolError("invalid bulk length")
	}
	return n, nil
}

// readLine reads up to CRLF (or a bare LF, as Redis accepts inline) and
// returns the line without it; a line longer than limit is an error.
func (r *reader) readLine(limit int) ([]byte, error) {
	var line []byte
	for {
		frag, err := r.br.ReadSlice('\n')
		if len(line)+len(frag) > limit+2 {
			return nil, protocolError("too big request line")
		}
		line = append(line, frag...)
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return nil, unexpectedEOF(err)
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

func (r *reader) readInline() ([][]byte, error) {
	line, err := r.readLine(maxInlineBytes)
	if err != nil {
		return nil, err
	}
	args, err := splitInline(line)
	if err != nil {
		return nil, err
	}
	if len(args) > maxArgs {
		return nil, protocolError("too many arguments")
	}
	return args, nil
}

// splitInline splits an inline command into words: runs of spaces or tabs
// separate them, "double quotes" allow spaces and the escapes \n \r \t \b
// \a \\ \" \xHH, 'single quotes' allow spaces and \'. Redis: sdssplitargs.
func splitInline(line []byte) ([][]byte, error) {
	args := [][]byte{}
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			return args, nil
		}
		var word []byte
		var err error
		switch line[i] {
		case '"':
			word, i, err = doubleQuoted(line, i+1)
		case '\'':
			word, i, err = singleQuoted(line, i+1)
		default:
			start := i
			for i < len(line) && !isSpace(line[i]) {
				i++
			}
			word = append([]byte(nil), line[start:i]...)
		}
		if err != nil {
			return nil, err
		}
		args = append(args, word)
	}
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// doubleQuoted reads a "..." word starting after the quote; the closing
// quote must be followed by a space or the end of the line.
func doubleQuoted(line []byte, i int) ([]byte, int, error) {
	word := []byte{}
	for i < len(line) {
		c := line[i]
		switch {
		case c == '"':
			if i+1 < len(line) && !isSpace(line[i+1]) {
				return nil, 0, protocolError("unbalanced quotes in request")
			}
			return word, i + 1, nil
		case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
			v, _ := strconv.ParseUint(string(line[i+2:i+4]), 16, 8)
			word = append(word, byte(v))
			i += 4
		case c == '\\' && i+1 < len(line):
			word = append(word, unescape(line[i+1]))
			i += 2
		default:
			word = append(word, c)
			i++
		}
	}
	return nil, 0, protocolError("unbalanced quotes in request")
}

func singleQuoted(line []byte, i int) ([]byte, int, error) {
	word := []byte{}
	for i < len(line) {
		c := line[i]
		switch {
		case c == '\'':
			if i+1 < len(line) && !isSpace(line[i+1]) {
				return nil, 0, protocolError("unbalanced quotes in request")
			}
			return word, i + 1, nil
		case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
			word = append(word, '\'')
			i += 2
		default:
			word = append(word, c)
			i++
		}
	}
	return nil, 0, protocolError("unbalanced quotes in request")
}

func isHex(b byte) bool {
	return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F')
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func printable(b byte) string {
	if b < ' ' || b > '~' {
		return fmt.Sprintf("\\x%02x", b)
	}
	return string(b)
}

// writer writes RESP2 replies to one connection.
type writer struct {
	bw *bufio.Writer
}

func newWriter(w io.Writer) *writer { return &writer{bw: bufio.NewWriterSize(w, 16<<10)} }

func (w *writer) simple(s string) { w.line('+', s) }

// errorReply writes "-PREFIX message". The text may not hold CR or LF,
// which would end the reply early: they become spaces.
func (w *writer) errorReply(s string) { w.line('-', s) }

func (w *writer) integer(n int64) { w.line(':', strconv.FormatInt(n, 10)) }

func (w *writer) bulk(b []byte) {
	w.bw.WriteByte('$')
	w.bw.WriteString(strconv.Itoa(len(b)))
	w.bw.WriteString("\r\n")
	w.bw.Write(b)
	w.bw.WriteString("\r\n")
}

func (w *writer) null() { w.bw.WriteString("$-1\r\n") }

func (w *writer) arrayHeader(n int) {
	w.bw.WriteByte('*')
	w.bw.WriteString(strconv.Itoa(n))
	w.bw.WriteString("\r\n")
}

func (w *writer) line(kind byte, s string) {
	w.bw.WriteByte(kind)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.bw.WriteByte(c)
	}
	w.bw.WriteString("\r\n")
}

func (w *writer) flush() error { return w.bw.Flush() }
