package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// The Redis protocol, RESP2 (https://redis.io/docs/latest/develop/reference/protocol-spec/):
// a request is either an array of bulk strings ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
// what redis-cli and redis-benchmark send) or an inline command, one line of
// space-separated words ("GET k\r\n", what a person types into telnet).

// Limits of one request. A request over them is a protocol error: the
// connection gets an error reply and is closed, as Redis does. The
// per-request limits on arguments and bytes are flags (readLimits).
const (
	// maxInlineBytes bounds an inline command line (Redis:
	// PROTO_INLINE_MAX_SIZE, 64 KiB).
	maxInlineBytes = 64 << 10
	// readBufferBytes is the read buffer of a connection: how far the
	// server reads ahead of the request it runs. Pipelined requests
	// beyond it wait in the kernel, where TCP flow control pushes back on
	// the client, so a client's backlog costs the server no more than
	// this. Small, because every idle connection holds one.
	readBufferBytes = 4 << 10
	// bulkChunkBytes is the first allocation for a bulk string's bytes;
	// larger ones grow (doubling) only once the bytes already read fill
	// them, so a declared length ("$1000000") costs nothing until the
	// bytes arrive.
	bulkChunkBytes = 4 << 10
	// argsChunk is the first capacity of a request's argument list, for
	// the same reason ("*4096" allocates room for 16 until they arrive).
	argsChunk = 16
)

// Before AUTH a client may send only small requests, as Redis 7 does
// (its "unauthenticated multibulk/bulk length"): a stranger without the
// password cannot make the server buffer anything large.
const (
	unauthMaxArgs  = 10
	unauthMaxBytes = 16 << 10
)

// readLimits bound one request.
type readLimits struct {
	maxArgs  int // elements of a request array
	maxBytes int // total bytes of a request's arguments (so of any one bulk)
}

// errProtocol marks a malformed request; the connection cannot be
// resynchronised after it, so the server replies and closes.
var errProtocol = errors.New("Protocol error")

// protocolError is a malformed request, with what was wrong.
func protocolError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errProtocol, fmt.Sprintf(format, args...))
}

// reader reads requests from one connection.
type reader struct {
	br  *bufio.Reader
	lim readLimits
}

func newReader(r io.Reader, lim readLimits) *reader {
	return &reader{br: bufio.NewReaderSize(r, readBufferBytes), lim: lim}
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
	if n > r.lim.maxArgs {
		return nil, protocolError("invalid multibulk length")
	}
	args := make([][]byte, 0, min(n, argsChunk))
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
		if size < 0 || size > r.lim.maxBytes-total {
			return nil, protocolError("invalid bulk length")
		}
		total += size
		arg, err := r.readBulk(size)
		if err != nil {
			return nil, err
		}
		args = append(args, arg)
	}
	return args, nil
}

// readBulk reads a bulk string of size bytes and its CRLF. The buffer
// grows only as bytes arrive: it starts at bulkChunkBytes and doubles
// when full, so what it holds is never more than twice what the client
// has actually sent (a slowloris client declaring "$1000000" and
// trickling bytes costs what it sent, not a megabyte).
func (r *reader) readBulk(size int) ([]byte, error) {
	arg := make([]byte, 0, min(size, bulkChunkBytes))
	for len(arg) < size {
		if len(arg) == cap(arg) {
			arg = slices.Grow(arg, min(size-len(arg), cap(arg)))
		}
		n, err := r.br.Read(arg[len(arg):min(size, cap(arg))])
		arg = arg[:len(arg)+n]
		if err != nil {
			return nil, unexpectedEOF(err)
		}
	}
	var crlf [2]byte
	if _, err := io.ReadFull(r.br, crlf[:]); err != nil {
		return nil, unexpectedEOF(err)
	}
	if crlf[0] != '\r' || crlf[1] != '\n' {
		return nil, protocolError("bulk string not terminated by CRLF")
	}
	return arg[:size:size], nil
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
	if len(args) > r.lim.maxArgs {
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

// writer holds one connection's replies until they are flushed. Its
// buffer grows with the replies, up to max bytes: a reply that would go
// past it is cut off and marked (overflowed), and the server replaces it
// with an error (cutReply). After a flush a buffer grown past
// keepBufferBytes is dropped, so a connection that once received a large
// reply does not hold that memory while idle.
type writer struct {
	w    io.Writer
	buf  []byte
	max  int
	over bool
}

// keepBufferBytes is the largest reply buffer kept across flushes.
const keepBufferBytes = 16 << 10

func newWriter(w io.Writer, max int) *writer { return &writer{w: w, max: max} }

// put appends b unless that would exceed max.
func (w *writer) put(b ...byte) {
	if w.over || len(w.buf)+len(b) > w.max {
		w.over = true
		return
	}
	w.buf = append(w.buf, b...)
}

func (w *writer) putString(s string) {
	if w.over || len(w.buf)+len(s) > w.max {
		w.over = true
		return
	}
	w.buf = append(w.buf, s...)
}

func (w *writer) simple(s string) { w.line('+', s) }

// errorReply writes "-PREFIX message". The text may not hold CR or LF,
// which would end the reply early: they become spaces.
func (w *writer) errorReply(s string) { w.line('-', s) }

func (w *writer) integer(n int64) { w.line(':', strconv.FormatInt(n, 10)) }

func (w *writer) bulk(b []byte) {
	w.put('$')
	w.putString(strconv.Itoa(len(b)))
	w.putString("\r\n")
	w.put(b...)
	w.putString("\r\n")
}

func (w *writer) null() { w.putString("$-1\r\n") }

func (w *writer) arrayHeader(n int) {
	w.put('*')
	w.putString(strconv.Itoa(n))
	w.putString("\r\n")
}

func (w *writer) line(kind byte, s string) {
	w.put(kind)
	if !strings.ContainsAny(s, "\r\n") {
		w.putString(s)
		w.putString("\r\n")
		return
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.put(c)
	}
	w.putString("\r\n")
}

// pending is how many reply bytes wait for a flush.
func (w *writer) pending() int { return len(w.buf) }

// overflowed reports whether a reply was cut off at max since the last
// cutReply.
func (w *writer) overflowed() bool { return w.over }

// cutReply drops what was written after mark (the start of the reply that
// overflowed) and clears the mark, so an error reply can take its place.
func (w *writer) cutReply(mark int) {
	w.buf = w.buf[:mark]
	w.over = false
}

// flush writes the pending replies.
func (w *writer) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.w.Write(w.buf)
	if cap(w.buf) > keepBufferBytes {
		w.buf = nil
	} else {
		w.buf = w.buf[:0]
	}
	return err
}
