package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
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
			// As Redis: an error reply, then close.
			_, _ = c.Write([]byte("-ERR max number of clients reached\r\n"))
			c.Close()
		case closing:
			c.Close()
			return
		}
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

// serveConn reads requests and answers them in order. Replies are held in
// the connection's buffer while more requests are already buffered, and
// flushed together (pipelining).
func (s *server) serveConn(c net.Conn) {
	defer s.untrack(c)
	r := newReader(c, s.cfg.MaxRequestBytes)
	w := newWriter(c)
	for {
		args, err := r.readRequest()
		if err != nil {
			if errors.Is(err, errProtocol) {
				s.log.Debug("redis: protocol error", "remote", c.RemoteAddr().String(), "err", err)
				w.errorReply("ERR " + err.Error())
				_ = w.flush()
			} else if !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, net.ErrClosed) {
				s.log.Debug("redis: connection read failed", "remote", c.RemoteAddr().String(), "err", err)
			}
			return
		}
		if len(args) == 0 {
			continue
		}
		s.exec(s.base, w, args)
		quit := len(args) > 0 && len(args[0]) == 4 && string(toLower(args[0])) == "quit"
		if quit || !r.buffered() {
			if err := w.flush(); err != nil || quit {
				return
			}
		}
	}
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
