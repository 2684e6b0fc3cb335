package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/kvsm"
	"github.com/rafter-go/rafter/rafterpb"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "certs" {
		err := runCerts(os.Args[2:], os.Stdout, os.Stderr)
		switch {
		case errors.Is(err, flag.ErrHelp):
			os.Exit(0)
		case err != nil:
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, cfg, os.Stdout, logger); err != nil {
		logger.Error("node failed", "err", err)
		os.Exit(1)
	}
}

// run starts the peer and its Redis front end, serves until ctx is done
// (SIGTERM or SIGINT), then stops both: no new connections, commands in
// flight get up to cfg.ShutdownGrace, the peer stops (its log server
// flushes and closes its files), the System shuts down. nil means a clean
// stop. Once serving it prints one line to stdout (http=... with -http):
//
//	ready name=a raft=127.0.0.1:7001 redis=127.0.0.1:6381 [http=127.0.0.1:9101]
//
// If the peer's supervisor gives up (restart intensity exceeded, for
// example by a full disk failing every write), run stops the front end and
// returns an error wrapping rafter.ErrStopped: main exits 1, and a service
// manager (systemd Restart=on-failure, a Kubernetes pod) starts the node
// again, rather than leaving a process up that answers TRYAGAIN for ever.
func run(ctx context.Context, cfg config, stdout io.Writer, logger *slog.Logger) error {
	gaveUp := make(chan error, 1)
	sopts := rafter.SystemOptions{
		ListenAddr:    cfg.Listen,
		AdvertiseAddr: cfg.Advertise,
		Insecure:      cfg.Insecure,
		Logger:        logger,
		OnPeerStopped: func(p rafter.Peer, reason error) {
			select {
			case gaveUp <- fmt.Errorf("node: peer %s stopped by its supervisor: %w: %w", p, rafter.ErrStopped, reason):
			default:
			}
		},
	}
	var reg *prometheus.Registry
	if cfg.HTTP != "" {
		reg = prometheus.NewRegistry()
		sopts.Metrics = reg
	}
	if cfg.TLSCert != "" {
		var err error
		if sopts.TLS, err = rafter.TLSFromFiles(cfg.TLSCert, cfg.TLSKey, cfg.TLSCA, cfg.TLSAllow...); err != nil {
			return fmt.Errorf("node: %w", err)
		}
	}
	sys, err := rafter.NewSystem(sopts)
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	defer sys.Shutdown()
	if testHookSystem != nil {
		testHookSystem(sys)
	}
	self := cfg.self()
	opts := rafter.DefaultOptions()
	opts.DataDir = cfg.DataDir
	opts.StateMachine = kvsm.Factory()
	opts.HeartbeatInterval = cfg.Heartbeat
	opts.ElectionTimeoutMin = cfg.ElectionTimeout
	opts.ElectionTimeoutMax = 0
	opts.SnapshotEntries, opts.TrailingEntries = cfg.SnapshotEntries, cfg.TrailingEntries
	opts.SnapshotMinInterval = cfg.SnapshotMinInterval
	if err := sys.StartNode(self, opts); err != nil {
		return fmt.Errorf("node: %w", err)
	}
	ln, err := listenRedis(cfg)
	if err != nil {
		_ = sys.StopNode(self)
		return err
	}
	var httpLine string
	if cfg.HTTP != "" {
		hs, addr, err := startHTTP(cfg, sys, reg, logger)
		if err != nil {
			ln.Close()
			_ = sys.StopNode(self)
			return err
		}
		defer hs.Close()
		httpLine = " http=" + addr.String()
	}
	srv := newServer(cfg, sys, ln, logger)
	bg, cancelBG := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if cfg.Bootstrap {
			bootstrap(bg, sys, cfg, logger)
		}
		ensureTable(bg, srv.kv, cfg, logger)
	}()
	go srv.serve()
	logger.Info("node: serving", "peer", self.String(), "data", cfg.DataDir, "redis", ln.Addr().String(), "bootstrap", cfg.Bootstrap,
		"redis_tls", cfg.RedisTLSCert != "", "redis_client_certs", cfg.RedisTLSCA != "", "requirepass", cfg.RequirePass != "")
	fmt.Fprintf(stdout, "ready name=%s raft=%s redis=%s%s\n", self.Name, sys.Address(), ln.Addr(), httpLine)

	var failed error
	select {
	case <-ctx.Done():
		logger.Info("node: shutting down", "reason", context.Cause(ctx))
	case failed = <-gaveUp:
		logger.Error("node: the peer is down for good; exiting so that the service manager restarts the node", "err", failed)
	}
	start := time.Now()
	cancelBG()
	<-done
	srv.close(cfg.ShutdownGrace)
	if failed != nil {
		_ = sys.Shutdown()
		return failed
	}
	if err := sys.StopNode(self); err != nil {
		return fmt.Errorf("node: stop: %w", err)
	}
	if err := sys.Shutdown(); err != nil {
		return fmt.Errorf("node: shutdown: %w", err)
	}
	logger.Info("node: stopped", "took", time.Since(start))
	return nil
}

// testHookSystem, set only by tests, is handed the System run starts.
var testHookSystem func(*rafter.System)

// attempt bounds one try of a background step, retried with backoff.
const (
	attemptTimeout = 5 * time.Second
	backoffMin     = 100 * time.Millisecond
	backoffMax     = time.Second
	// probeTimeout bounds bootstrap's question to one other member.
	probeTimeout = time.Second
)

// bootstrap creates the cluster of -peers with System.Bootstrap: every
// member makes the first configuration (with a random cluster ID) durable
// before any election. It is harmless on a restart and on a node whose
// disk was lost: it does nothing if this peer already holds a
// configuration ("configuration already in place") or if a member it can
// reach holds one that lists this peer (the cluster exists: a blank peer
// joins it through the leader and must not start another one). Once it has
// sent a Bootstrap it retries that call (same System, same list: the same
// cluster ID) until every member has confirmed, so members started later
// are included. Members of another cluster refuse it (logged); this peer
// then holds a configuration no cluster shares, and the others drop its
// messages.
func bootstrap(ctx context.Context, sys *rafter.System, cfg config, logger *slog.Logger) {
	started := false
	retry(ctx, logger, "bootstrap", func(ctx context.Context) (bool, error) {
		if !started {
			where, id, err := existingCluster(ctx, sys, cfg)
			if err != nil {
				return false, err
			}
			if !where.IsZero() {
				logger.Info("node: configuration already in place", "peer", where.String(),
					"cluster", fmt.Sprintf("%016x", id), "peers", fmt.Sprint(cfg.Peers))
				return true, nil
			}
			started = true
		}
		err := sys.Bootstrap(ctx, cfg.Peers)
		switch {
		case err == nil:
			logger.Info("node: cluster bootstrapped", "peers", fmt.Sprint(cfg.Peers))
			return true, nil
		case errors.Is(err, rafter.ErrAlreadyBootstrapped):
			// A member belongs to another cluster: a person must decide.
			logger.Error("node: -bootstrap refused: a member already belongs to another cluster", "err", err)
			return true, nil
		}
		return false, err
	})
}

// existingCluster returns a peer that holds a configuration this peer
// belongs to, and its cluster ID: this node's own peer first (it must
// answer), then any other member of -peers that answers and lists this
// peer; the zero Peer if none does.
func existingCluster(ctx context.Context, sys *rafter.System, cfg config) (rafter.Peer, uint64, error) {
	self := cfg.self()
	st, err := sys.Status(ctx, self)
	if err != nil {
		return rafter.Peer{}, 0, err
	}
	if st.Config.GetState() != rafterpb.ConfigState_CONFIG_STATE_BLANK {
		return self, st.ClusterID(), nil
	}
	for _, p := range cfg.Peers {
		if p == self {
			continue
		}
		// A member not up yet must not hold up the others' probes.
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		st, err := sys.Status(pctx, p)
		cancel()
		if err == nil && lists(st.Config, self) {
			return p, st.ClusterID(), nil
		}
	}
	return rafter.Peer{}, 0, nil
}

// lists reports whether configuration c names p (as an old or new server).
func lists(c *rafterpb.Config, p rafter.Peer) bool {
	for _, q := range append(rafter.PeersOf(c.GetOldServers()), rafter.PeersOf(c.GetNewServers())...) {
		if q == p {
			return true
		}
	}
	return false
}

// ensureTable creates the table the Redis commands use. Every node runs
// it (not only the bootstrapping one), so the table exists as soon as the
// cluster has a leader; ErrTableExists counts as done.
func ensureTable(ctx context.Context, kv *kvsm.Client, cfg config, logger *slog.Logger) {
	retry(ctx, logger, "create table", func(ctx context.Context) (bool, error) {
		err := kv.NewTable(ctx, cfg.Table)
		switch {
		case err == nil:
			logger.Info("node: table created", "table", cfg.Table)
			return true, nil
		case errors.Is(err, kvsm.ErrTableExists):
			logger.Debug("node: table exists", "table", cfg.Table)
			return true, nil
		}
		return false, err
	})
}

// retry runs f with a per-attempt deadline until it reports done or ctx
// ends, backing off between attempts.
func retry(ctx context.Context, logger *slog.Logger, what string, f func(context.Context) (bool, error)) {
	wait := backoffMin
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		ok, err := f(actx)
		cancel()
		if ok || ctx.Err() != nil {
			return
		}
		logger.Debug("node: "+what+" failed; retrying", "attempt", attempt, "err", err, "in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, backoffMax)
	}
}
