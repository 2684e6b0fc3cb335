package main

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/kvsm"
)

// server is the Redis front end of one peer: one goroutine per connection,
// commands of a connection run in order (so pipelined replies come back
// in order), connections run concurrently.
type server struct {
	cfg  config
	sys  *rafter.System
	self rafter.Peer
	kv   *kvsm.Client
	log  *slog.Logger
	ln   net.Listener

	// base is the parent context of every command; cancelled when the
	// shutdown grace period is over.
	base   context.Context
	cancel context.CancelFunc

	// refused and refusedLogged belong to the accept loop (logRefused).
	refused       int
	refusedLogged time.Time

	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	closing bool
	wg      sync.WaitGroup
}

func newServer(cfg config, sys *rafter.System, ln net.Listener, logger *slog.Logger) *server {
	base, cancel := context.WithCancel(context.Background())
	self := cfg.self()
	return &server{
		cfg: cfg, sys: sys, self: self, kv: kvsm.NewClient(sys, self),
		log: logger, ln: ln, base: base, cancel: cancel,
		conns: make(map[net.Conn]struct{}),
	}
}

// serve accepts connections until close.
func (s *server) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if s.stopping() {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			s.log.Error("redis: accept failed; no more connections", "err", err)
			return
		}
		switch s.track(c) {
		case tracked:
			go s.serveConn(c)
		case tooMany:
			// As Redis: an error reply, then close. A fresh socket's
			// buffer takes the reply at once; on the TLS port it would
			// need a handshake, which a stalling client could drag out
			// while the accept loop waits, so it is closed unanswered.
			if _, isTLS := c.(*tls.Conn); !isTLS {
				_ = c.SetWriteDeadline(time.Now().Add(time.Second))
				_, _ = c.Write([]byte("-ERR max number of clients reached\r\n"))
			}
			c.Close()
			s.logRefused(c)
		case closing:
			c.Close()
			return
		}
	}
}

// refusedLogEvery spaces the log lines about refused connections, so a
// flood of them does not flood the log.
const refusedLogEvery = 10 * time.Second

// logRefused logs a connection refused at -max-clients: the first, then
// at most one line per refusedLogEvery with the count since the last.
// Only the accept loop calls it.
func (s *server) logRefused(c net.Conn) {
	s.refused++
	if now := time.Now(); now.Sub(s.refusedLogged) >= refusedLogEvery {
		s.log.Warn("redis: connections refused at -max-clients", "limit", s.cfg.MaxClients, "refused", s.refused, "last", c.RemoteAddr().String())
		s.refused, s.refusedLogged = 0, now
	}
}

type trackResult int

const (
	tracked trackResult = iota
	tooMany
	closing
)

func (s *server) track(c net.Conn) trackResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closing:
		return closing
	case len(s.conns) >= s.cfg.MaxClients:
		return tooMany
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return tracked
}

func (s *server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
	s.wg.Done()
}

func (s *server) stopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

func (s *server) clients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// flushBytes: replies of pipelined requests are held back while more
// requests are already buffered, and written together; once this many
// bytes wait they are written anyway, so a client's unread replies are
// held in the kernel's socket buffers (and it is disconnected after
// -write-timeout), never piling up in the server.
const flushBytes = 16 << 10

// session is one connection's state.
type session struct {
	remote    string
	authed    bool
	reader    *reader
	deadlines deadlines
}

// limits are the request limits of an authenticated client (or of every
// client when there is no -requirepass).
func (s *server) limits() readLimits {
	return readLimits{maxArgs: s.cfg.MaxArgs, maxBytes: s.cfg.MaxRequestBytes}
}

// serveConn reads requests and answers them in order. Replies are held
// while more requests are already buffered, and flushed together
// (pipelining). A client has -idle-timeout to send each whole request
// (which ends idle and trickling connections alike) and -write-timeout to
// take each batch of replies.
func (s *server) serveConn(c net.Conn) {
	defer s.untrack(c)
	sess := &session{remote: c.RemoteAddr().String(), authed: s.cfg.RequirePass == ""}
	if !s.handshake(c, sess) {
		return
	}
	lim := s.limits()
	if !sess.authed {
		lim = readLimits{maxArgs: min(unauthMaxArgs, lim.maxArgs), maxBytes: min(unauthMaxBytes, lim.maxBytes)}
	}
	sess.reader = newReader(c, lim)
	w := newWriter(c, s.cfg.MaxOutputBytes)
	for {
		if !s.armRead(c, sess) {
			return
		}
		args, err := sess.reader.readRequest()
		if err != nil {
			s.readFailed(c, sess, w, err)
			return
		}
		if len(args) == 0 {
			continue
		}
		mark := w.pending()
		s.execSession(sess, w, args)
		if w.overflowed() {
			w.cutReply(mark)
			s.log.Warn("redis: reply over -max-output-bytes replaced by an error", "remote", sess.remote, "limit", s.cfg.MaxOutputBytes)
			w.errorReply("ERR reply exceeds -max-output-bytes (" + strconv.Itoa(s.cfg.MaxOutputBytes) + ")")
		}
		quit := len(args[0]) == 4 && string(toLower(args[0])) == "quit"
		if quit || !sess.reader.buffered() || w.pending() >= flushBytes {
			if err := s.flush(c, sess, w); err != nil || quit {
				return
			}
		}
	}
}

// execSession runs one request of sess: AUTH and the NOAUTH gate here,
// the rest through exec.
func (s *server) execSession(sess *session, w *writer, args [][]byte) {
	if s.authGate(sess, w, args) {
		return
	}
	if strings.EqualFold(string(args[0]), "auth") {
		cmdAuth(sess, s, w, args)
		return
	}
	s.exec(s.base, w, args)
}

// Deadlines are re-armed lazily: setting one costs a timer update, which
// per request was a measurable share of a pipelined PING's cost. A
// deadline is renewed once more than 1/rearmFraction of its timeout has
// passed since it was set, so a client always gets between 15/16 of the
// timeout and all of it.
const rearmFraction = 16

// deadlines are one connection's read and write deadlines and when they
// were set.
type deadlines struct {
	read, write time.Time
}

// armRead gives the client -idle-timeout to send its next request. It
// reports false once the server is closing: close sets a past deadline to
// wake every reader, and a reader arming a fresh one after that must see
// the flag instead (close sets the flag first, under the same lock).
func (s *server) armRead(c net.Conn, sess *session) bool {
	timeout := s.readTimeout(sess)
	renew := timeout == s.cfg.IdleTimeout || sess.deadlines.read.IsZero()
	if now := time.Now(); renew && now.Sub(sess.deadlines.read) > timeout/rearmFraction {
		_ = c.SetReadDeadline(now.Add(timeout))
		sess.deadlines.read = now
	}
	return !s.stopping()
}

// readTimeout is -idle-timeout, or -auth-timeout if shorter while the
// client has not authenticated: a stranger without the password cannot
// hold one of -max-clients' places for long. The -auth-timeout deadline
// is set once, when the connection is accepted, and not renewed.
func (s *server) readTimeout(sess *session) time.Duration {
	if sess.authed || s.cfg.AuthTimeout >= s.cfg.IdleTimeout {
		return s.cfg.IdleTimeout
	}
	return s.cfg.AuthTimeout
}

// flush writes the held replies, giving the client -write-timeout to take
// them.
func (s *server) flush(c net.Conn, sess *session, w *writer) error {
	if now := time.Now(); now.Sub(sess.deadlines.write) > s.cfg.WriteTimeout/rearmFraction {
		_ = c.SetWriteDeadline(now.Add(s.cfg.WriteTimeout))
		sess.deadlines.write = now
	}
	err := w.flush()
	if errors.Is(err, os.ErrDeadlineExceeded) {
		s.log.Warn("redis: client left its replies unread for -write-timeout; disconnected", "remote", sess.remote, "timeout", s.cfg.WriteTimeout)
	}
	return err
}

// readFailed answers a malformed request and logs why a connection ends.
func (s *server) readFailed(c net.Conn, sess *session, w *writer, err error) {
	switch {
	case errors.Is(err, errProtocol):
		s.log.Info("redis: protocol error; disconnected", "remote", sess.remote, "err", err)
		w.errorReply("ERR " + err.Error())
		_ = s.flush(c, sess, w)
	case errors.Is(err, os.ErrDeadlineExceeded) && !s.stopping() && !sess.authed:
		s.log.Info("redis: not authenticated within -auth-timeout; disconnected", "remote", sess.remote, "timeout", s.readTimeout(sess))
	case errors.Is(err, os.ErrDeadlineExceeded) && !s.stopping():
		s.log.Info("redis: no whole request within -idle-timeout; disconnected", "remote", sess.remote, "timeout", s.cfg.IdleTimeout)
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), errors.Is(err, os.ErrDeadlineExceeded):
	default:
		s.log.Debug("redis: connection read failed", "remote", sess.remote, "err", err)
	}
}

// handshake completes a TLS handshake (a no-op on a plain connection)
// within -idle-timeout, so a client that opens TLS and stalls is dropped
// like an idle one.
func (s *server) handshake(c net.Conn, sess *session) bool {
	tc, ok := c.(*tls.Conn)
	if !ok {
		return true
	}
	ctx, cancel := context.WithTimeout(s.base, s.readTimeout(sess))
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		s.log.Info("redis: TLS handshake failed; disconnected", "remote", sess.remote, "err", err)
		return false
	}
	return true
}

func toLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// close stops accepting, lets every connection finish the command it is
// running (its reader is woken by a past read deadline, so an idle one
// ends at once) for up to grace, then cancels what is left and closes.
func (s *server) close(grace time.Duration) {
	s.mu.Lock()
	s.closing = true
	for c := range s.conns {
		_ = c.SetReadDeadline(time.Unix(1, 0))
	}
	s.mu.Unlock()
	_ = s.ln.Close()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		s.log.Warn("redis: commands still running after the grace period; cancelling them", "grace", grace)
		s.cancel()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		<-done
	}
	s.cancel()
}
