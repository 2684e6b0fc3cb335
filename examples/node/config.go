package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rafter-go/rafter"
)

// config is the node's command line, checked.
type config struct {
	Name      string
	Listen    string // protoactor remote listen host:port
	Advertise string // what the other nodes dial; this peer's Node
	DataDir   string
	Peers     []rafter.Peer // the whole cluster, this node included
	Redis     string        // RESP listen host:port
	Bootstrap bool
	Table     string
	Insecure  bool   // plaintext peer-to-peer (and -http) listener beyond loopback
	HTTP      string // observe listener (/metrics, /status) host:port; "" = none

	// Mutual TLS between nodes: this node's certificate and key, the CA,
	// and an optional allowlist of certificate names. All three files or
	// none.
	TLSCert, TLSKey, TLSCA string
	TLSAllow               []string

	Heartbeat       time.Duration
	ElectionTimeout time.Duration
	// SnapshotEntries and TrailingEntries are rafter.Options'.
	SnapshotEntries     uint64
	TrailingEntries     uint64
	SnapshotMinInterval time.Duration
	OpTimeout           time.Duration
	ShutdownGrace       time.Duration
	MaxRequestBytes     int
	MaxClients          int
	LogLevel            slog.Level

	// The Redis front end's defences (see doc.go, "Security and limits").
	RequirePass    string        // AUTH password; "" lets every client in
	RedisTLSCert   string        // PEM certificate of the RESP listener; TLS when set
	RedisTLSKey    string        // its PEM private key
	RedisTLSCA     string        // PEM CA bundle; when set, clients must show a certificate it signed
	IdleTimeout    time.Duration // how long a client has to send a whole request
	AuthTimeout    time.Duration // with RequirePass: how long a client has to authenticate
	WriteTimeout   time.Duration // how long a client may leave replies unread
	MaxArgs        int           // elements of one request array
	MaxOutputBytes int           // largest reply (pipelined replies included) held for one client
}

// self is this node's peer.
func (c config) self() rafter.Peer { return rafter.Peer{Name: c.Name, Node: c.Advertise} }

var errUsage = errors.New("node: bad command line")

// parseFlags parses args (without the program name). Usage text and
// errors go to out.
func parseFlags(args []string, out io.Writer) (config, error) {
	var c config
	var peers, level, passFile, allow string
	fs := flag.NewFlagSet("node", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "usage: node -name a -peers a@127.0.0.1:7001,b@127.0.0.1:7002,c@127.0.0.1:7003 -redis 127.0.0.1:6381 [-bootstrap]\n\n"+
			"One rafter peer per process; a Redis (RESP2) front end on -redis.\n"+
			"Give -bootstrap to exactly one member of a fresh cluster: it creates the\n"+
			"cluster of -peers (System.Bootstrap). On a restart it is harmless.\n\nflags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.Name, "name", "", "this peer's name; must appear in -peers (required)")
	fs.StringVar(&peers, "peers", "", "the whole cluster, this node included: comma-separated name@host:port (required)")
	fs.StringVar(&c.Listen, "listen", "", "host:port the peer-to-peer (protoactor remote) listener binds (default: -advertise)")
	fs.StringVar(&c.Advertise, "advertise", "", "host:port other peers dial to reach this one (default: this node's address in -peers)")
	fs.StringVar(&c.DataDir, "data", "", "data directory of this peer (default: data/<name>)")
	fs.StringVar(&c.Redis, "redis", "127.0.0.1:6379", "host:port of the Redis protocol (RESP2) listener; port 0 picks one")
	fs.BoolVar(&c.Bootstrap, "bootstrap", false, "create the cluster of -peers (System.Bootstrap: every member writes the first configuration); give it to ONE member of a fresh cluster")
	fs.BoolVar(&c.Insecure, "insecure", false, "allow a plaintext peer-to-peer listener on a non-loopback address (anyone who reaches it can send Raft messages)")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "PEM certificate of this node for mutual TLS between nodes; it must name this peer (DNS SAN or CN) and its -advertise host")
	fs.StringVar(&c.TLSKey, "tls-key", "", "PEM private key of -tls-cert")
	fs.StringVar(&c.TLSCA, "tls-ca", "", "PEM CA certificate(s) that sign every node's certificate")
	fs.StringVar(&allow, "tls-allow", "", "comma-separated certificate names (DNS SAN or CN) accepted from other nodes (default: any certificate of -tls-ca)")
	fs.StringVar(&c.HTTP, "http", "", "host:port serving /metrics (Prometheus) and /status (JSON); default off. Beyond loopback it needs the node's TLS files (HTTPS with client certificates) or -insecure")
	fs.StringVar(&c.Table, "table", "default", "kvsm table the Redis commands use (created once the cluster has a leader)")
	fs.DurationVar(&c.Heartbeat, "heartbeat", rafter.DefaultOptions().HeartbeatInterval, "leader heartbeat interval")
	fs.DurationVar(&c.ElectionTimeout, "election-timeout", rafter.DefaultOptions().ElectionTimeoutMin, "minimum election timeout (timeouts are drawn from [t, 2t))")
	fs.Uint64Var(&c.SnapshotEntries, "snapshot-entries", rafter.DefaultOptions().SnapshotEntries,
		"snapshot the state and compact the log every this many applied entries (0: never)")
	fs.DurationVar(&c.SnapshotMinInterval, "snapshot-min-interval", rafter.DefaultOptions().SnapshotMinInterval,
		"least time between two snapshots unless the log grows 4 x -snapshot-entries first (0: none)")
	fs.Uint64Var(&c.TrailingEntries, "trailing-entries", rafter.DefaultOptions().TrailingEntries,
		"log entries kept behind a snapshot for followers a little behind")
	fs.DurationVar(&c.OpTimeout, "op-timeout", 5*time.Second, "deadline of one Redis command's Raft round trip")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", 5*time.Second, "on SIGTERM, how long commands in flight may take to finish")
	fs.IntVar(&c.MaxRequestBytes, "max-request-bytes", 1<<20, "largest total argument size of one Redis request (so the largest bulk length)")
	fs.IntVar(&c.MaxClients, "max-clients", 10000, "most Redis connections served at once; more are refused with an error reply")
	fs.StringVar(&c.RequirePass, "requirepass", "", "password clients must give with AUTH before any other command (visible in ps: prefer -requirepass-file)")
	fs.StringVar(&passFile, "requirepass-file", "", "file whose first line is the AUTH password")
	fs.StringVar(&c.RedisTLSCert, "redis-tls-cert", "", "PEM certificate for TLS on the Redis listener (with -redis-tls-key)")
	fs.StringVar(&c.RedisTLSKey, "redis-tls-key", "", "PEM private key of -redis-tls-cert")
	fs.StringVar(&c.RedisTLSCA, "redis-tls-ca", "", "PEM CA certificates; when given, Redis clients must present a certificate signed by one")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", 5*time.Minute, "a Redis client that takes longer than this to send a whole request (idle or trickling) is disconnected")
	fs.DurationVar(&c.AuthTimeout, "auth-timeout", 10*time.Second, "with -requirepass, a Redis client that has not authenticated within this long is disconnected (strangers cannot hold connections for -idle-timeout)")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", 30*time.Second, "a Redis client that leaves its replies unread this long is disconnected")
	fs.IntVar(&c.MaxArgs, "max-args", 4096, "most elements of one Redis request array")
	fs.IntVar(&c.MaxOutputBytes, "max-output-bytes", 32<<20, "largest reply (with the pipelined replies before it) held for one Redis client; a larger one is replaced by an error")
	fs.StringVar(&level, "log-level", "info", "log level on stderr: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return config{}, fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		return config{}, fmt.Errorf("%w: -log-level: %w", errUsage, err)
	}
	if err := c.fill(peers); err != nil {
		return config{}, fmt.Errorf("%w: %w", errUsage, err)
	}
	if err := c.fillRedis(passFile); err != nil {
		return config{}, fmt.Errorf("%w: %w", errUsage, err)
	}
	if n := countSet(c.TLSCert, c.TLSKey, c.TLSCA); n != 0 && n != 3 {
		return config{}, fmt.Errorf("%w: -tls-cert, -tls-key and -tls-ca go together", errUsage)
	}
	if allow != "" {
		if c.TLSCert == "" {
			return config{}, fmt.Errorf("%w: -tls-allow needs -tls-cert, -tls-key and -tls-ca", errUsage)
		}
		c.TLSAllow = strings.Split(allow, ",")
	}
	if err := checkHTTP(c); err != nil {
		return config{}, fmt.Errorf("%w: %w", errUsage, err)
	}
	return c, nil
}

// fill parses -peers and derives the defaults that depend on it.
func (c *config) fill(peers string) error {
	if c.Name == "" {
		return errors.New("-name is required")
	}
	ps, err := parsePeers(peers)
	if err != nil {
		return err
	}
	c.Peers = ps
	var mine string
	for _, p := range ps {
		if p.Name == c.Name {
			mine = p.Node
		}
	}
	if mine == "" {
		return fmt.Errorf("-name %q is not in -peers %q", c.Name, peers)
	}
	if c.Advertise == "" {
		c.Advertise = mine
	}
	if c.Advertise != mine {
		// The other peers know this one by its address in -peers; a
		// different advertised address would make it a stranger.
		return fmt.Errorf("-advertise %q differs from this node's address in -peers %q", c.Advertise, mine)
	}
	if c.Listen == "" {
		c.Listen = c.Advertise
	}
	if c.DataDir == "" {
		c.DataDir = filepath.Join("data", c.Name)
	}
	switch {
	case c.OpTimeout <= 0:
		return errors.New("-op-timeout must be positive")
	case c.ShutdownGrace < 0:
		return errors.New("-shutdown-grace may not be negative")
	case c.MaxRequestBytes < 1:
		return errors.New("-max-request-bytes must be positive")
	case c.MaxClients < 1:
		return errors.New("-max-clients must be positive")
	case c.Table == "":
		return errors.New("-table may not be empty")
	}
	return nil
}

// parsePeers parses "a@host:port,b@host:port".
func parsePeers(s string) ([]rafter.Peer, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("-peers is required")
	}
	seen := map[string]bool{}
	var out []rafter.Peer
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		name, addr, ok := strings.Cut(item, "@")
		if !ok || name == "" || addr == "" {
			return nil, fmt.Errorf("-peers: %q is not name@host:port", item)
		}
		if strings.Contains(name, "/") {
			return nil, fmt.Errorf("-peers: name %q may not contain '/'", name)
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("-peers: %q: %w", item, err)
		}
		if seen[name] {
			return nil, fmt.Errorf("-peers: name %q appears twice", name)
		}
		seen[name] = true
		out = append(out, rafter.Peer{Name: name, Node: addr})
	}
	return out, nil
}

// minOutputBytes is the least -max-output-bytes: room for the replies
// held before a flush (flushBytes) and an error reply.
const minOutputBytes = 64 << 10

// fillRedis checks the Redis front end's flags and reads -requirepass-file.
func (c *config) fillRedis(passFile string) error {
	switch {
	case c.IdleTimeout <= 0:
		return errors.New("-idle-timeout must be positive")
	case c.AuthTimeout <= 0:
		return errors.New("-auth-timeout must be positive")
	case c.WriteTimeout <= 0:
		return errors.New("-write-timeout must be positive")
	case c.MaxArgs < 1:
		return errors.New("-max-args must be positive")
	case c.MaxOutputBytes < minOutputBytes:
		return fmt.Errorf("-max-output-bytes must be at least %d", minOutputBytes)
	case (c.RedisTLSCert == "") != (c.RedisTLSKey == ""):
		return errors.New("-redis-tls-cert and -redis-tls-key go together")
	case c.RedisTLSCA != "" && c.RedisTLSCert == "":
		return errors.New("-redis-tls-ca needs -redis-tls-cert and -redis-tls-key")
	case passFile != "" && c.RequirePass != "":
		return errors.New("give -requirepass or -requirepass-file, not both")
	}
	if passFile == "" {
		return nil
	}
	b, err := os.ReadFile(passFile)
	if err != nil {
		return fmt.Errorf("-requirepass-file: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	c.RequirePass = strings.TrimSuffix(line, "\r")
	if c.RequirePass == "" {
		return fmt.Errorf("-requirepass-file %s: the first line is empty", passFile)
	}
	return nil
}

func countSet(vs ...string) int {
	n := 0
	for _, v := range vs {
		if v != "" {
			n++
		}
	}
	return n
}
