package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func main() {
	n := flag.Int("n", 5, "number of peers (1..9)")
	addr := flag.String("http", "127.0.0.1:8080", "loopback host:port of the page")
	dir := flag.String("dir", "", "data directory of the peers (default: a temporary directory, removed at exit)")
	slow := flag.Int("slow", 1, "slow motion: heartbeat and election timeouts multiplied by this (1..50)")
	prevote := flag.Bool("prevote", true, "peers use PreVote")
	verbose := flag.Bool("v", false, "log the peers' warnings to stderr")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := config{N: *n, Addr: *addr, Dir: *dir, Settings: settings{Slow: *slow, PreVote: *prevote},
		Timing: demoTiming, Verbose: *verbose}
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "scope:", err)
		os.Exit(1)
	}
}

// config is what the command line sets.
type config struct {
	N        int      // peers
	Addr     string   // loopback host:port of the page
	Dir      string   // data directory; "" for a temporary one
	Settings settings // initial slow motion and PreVote
	Timing   timing   // real-speed timing
	Verbose  bool     // log the peers' warnings
}

// run serves the page until ctx ends.
func run(ctx context.Context, cfg config) error {
	srv, err := serve(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Printf("scope: %d peers; open http://%s/ (Ctrl-C to stop)\n", cfg.N, srv.addr)
	<-ctx.Done()
	return srv.close()
}

// server is a running scope: the cluster and its page.
type server struct {
	addr  string
	scope *scope
	http  *http.Server
	tmp   string
	done  chan error
}

// serve starts the cluster and the page on cfg.Addr (a loopback address).
func serve(ctx context.Context, cfg config) (*server, error) {
	n, addr, dir, set := cfg.N, cfg.Addr, cfg.Dir, cfg.Settings
	if n < 1 || n > 9 {
		return nil, fmt.Errorf("-n %d: between 1 and 9 peers", n)
	}
	if set.Slow < 1 || set.Slow > maxSlow {
		return nil, fmt.Errorf("-slow %d: between 1 and %d", set.Slow, maxSlow)
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("-http %q: the page can kill peers: it listens on a loopback IP only", addr)
	}
	srv := &server{done: make(chan error, 1)}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "rafter-scope-"); err != nil {
			return nil, err
		}
		srv.tmp = dir
	}
	level := slog.LevelError + 4 // quiet: the page is the output
	if cfg.Verbose {
		level = slog.LevelWarn
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	reg := prometheus.NewRegistry()
	sc, err := newScope(ctx, n, dir, cfg.Timing, set, logger, reg)
	if err != nil {
		srv.removeTmp()
		return nil, err
	}
	srv.scope = sc
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = sc.close()
		srv.removeTmp()
		return nil, err
	}
	srv.addr = ln.Addr().String()
	srv.http = &http.Server{Handler: sc.handler(reg), ReadHeaderTimeout: 5 * time.Second}
	go func() { srv.done <- srv.http.Serve(ln) }()
	return srv, nil
}

// close stops the page and the cluster; the temporary directory goes.
func (s *server) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// /events streams never end on their own: Shutdown waits for them,
	// so the cluster (which closes them) stops first.
	errCluster := s.scope.close()
	errHTTP := s.http.Shutdown(ctx)
	if err := <-s.done; !errors.Is(err, http.ErrServerClosed) {
		errHTTP = errors.Join(errHTTP, err)
	}
	s.removeTmp()
	return errors.Join(errCluster, errHTTP)
}

func (s *server) removeTmp() {
	if s.tmp != "" {
		_ = os.RemoveAll(s.tmp)
	}
}
