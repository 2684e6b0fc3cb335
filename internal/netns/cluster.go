//go:build linux

package netns

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Ports every node uses on its own address.
const (
	RaftPort  = "7000"
	RedisPort = "6379"
)

// ErrNoLeader: no node reports itself leader.
var ErrNoLeader = errors.New("netns: no leader")

// Cluster runs examples/node, one process per host of a Net.
type Cluster struct {
	Net   *Net
	Bin   string // the examples/node binary
	Dir   string // data dirs and logs: Dir/<host>/ and Dir/<host>.log
	Hosts []string
	// ElectionTimeout is the node's -election-timeout (the minimum;
	// timeouts are drawn from [t, 2t)).
	ElectionTimeout time.Duration
	Heartbeat       time.Duration
	OpTimeout       time.Duration
	// Certs, if set, is a directory made by `node certs` (ca.crt,
	// <host>.crt, <host>.key): the nodes then talk mutual TLS. Empty: they
	// run with -insecure (plaintext beyond loopback).
	Certs string

	mu    sync.Mutex
	procs map[string]*Process
}

// RaftAddr is host's peer-to-peer address.
func (c *Cluster) RaftAddr(host string) string { return c.Net.Addr(host) + ":" + RaftPort }

// RedisAddr is host's RESP address.
func (c *Cluster) RedisAddr(host string) string { return c.Net.Addr(host) + ":" + RedisPort }

// Peers is the -peers list of the cluster.
func (c *Cluster) Peers() string {
	ps := make([]string, len(c.Hosts))
	for i, h := range c.Hosts {
		ps[i] = h + "@" + c.RaftAddr(h)
	}
	return strings.Join(ps, ",")
}

// Args is the command line of host's node; the first host bootstraps (on
// every start: -bootstrap is idempotent).
func (c *Cluster) Args(host string) []string {
	args := []string{
		"-name", host, "-listen", c.RaftAddr(host), "-advertise", c.RaftAddr(host),
		"-peers", c.Peers(), "-redis", c.RedisAddr(host),
		"-data", filepath.Join(c.Dir, host),
		"-election-timeout", c.ElectionTimeout.String(), "-heartbeat", c.Heartbeat.String(),
		"-op-timeout", c.OpTimeout.String(),
		// Small thresholds, so that compaction and InstallSnapshot happen
		// under the faults (issue 11).
		"-snapshot-entries", "64", "-trailing-entries", "16", "-snapshot-min-interval", "0s",
	}
	args = append(args, c.TLSArgs(host)...)
	if host == c.Hosts[0] {
		args = append(args, "-bootstrap")
	}
	return args
}

// TLSArgs are the node flags for host's certificate, or -insecure without
// Certs.
func (c *Cluster) TLSArgs(host string) []string {
	if c.Certs == "" {
		return []string{"-insecure"}
	}
	return []string{
		"-tls-cert", filepath.Join(c.Certs, host+".crt"), "-tls-key", filepath.Join(c.Certs, host+".key"),
		"-tls-ca", filepath.Join(c.Certs, "ca.crt"),
	}
}

// MakeCerts runs `node certs` for names, with every host's address and the
// hub's in each certificate, into dir, and sets Certs.
func (c *Cluster) MakeCerts(dir string, names ...string) error {
	addrs := []string{HubAddr}
	for _, h := range c.Hosts {
		addrs = append(addrs, c.Net.Addr(h))
	}
	out, err := exec.Command(c.Bin, "certs", "-dir", dir, "-nodes", strings.Join(names, ","),
		"-hosts", strings.Join(addrs, ",")).CombinedOutput()
	if err != nil {
		return fmt.Errorf("netns: node certs: %w: %s", err, out)
	}
	c.Certs = dir
	return nil
}

// Start starts (or restarts, on the same data dir) host's node.
func (c *Cluster) Start(host string) error {
	p, err := c.Net.Start(host, c.Dir, "ready ", 30*time.Second, c.Bin, c.Args(host)...)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.procs == nil {
		c.procs = map[string]*Process{}
	}
	c.procs[host] = p
	return nil
}

// Proc is host's current process.
func (c *Cluster) Proc(host string) *Process {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.procs[host]
}

// KillAll SIGKILLs every process still running (cleanup after a failure).
func (c *Cluster) KillAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		_ = p.Signal(syscall.SIGCONT)
		_ = p.Signal(syscall.SIGKILL)
	}
}

// Dial opens a RESP connection to host from the hub.
func (c *Cluster) Dial(host string, timeout time.Duration) (*Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	nc, err := c.Net.DialHub(ctx, c.RedisAddr(host))
	if err != nil {
		return nil, err
	}
	return NewConn(nc), nil
}

// Info runs INFO on host over a fresh connection.
func (c *Cluster) Info(host string, timeout time.Duration) (map[string]string, error) {
	return c.InfoAt(c.RedisAddr(host), timeout)
}

// InfoAt runs INFO on the RESP server at addr (host:port) over a fresh
// connection from the hub.
func (c *Cluster) InfoAt(addr string, timeout time.Duration) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	nc, err := c.Net.DialHub(ctx, addr)
	if err != nil {
		return nil, err
	}
	conn := NewConn(nc)
	defer conn.Close()
	r, err := conn.Do(timeout, "INFO")
	if err != nil {
		return nil, err
	}
	if e := r.Err(); e != "" {
		return nil, fmt.Errorf("netns: INFO on %s: %s", addr, e)
	}
	return Info(r), nil
}

// Leader asks every host in hosts (all if none) and returns the one that
// reports role leader in the highest term.
func (c *Cluster) Leader(hosts ...string) (string, uint64, error) {
	if len(hosts) == 0 {
		hosts = c.Hosts
	}
	best, bestTerm := "", uint64(0)
	for _, h := range hosts {
		inf, err := c.Info(h, 500*time.Millisecond)
		if err != nil {
			continue
		}
		term, _ := strconv.ParseUint(inf["term"], 10, 64)
		if inf["role"] == "leader" && term >= bestTerm {
			best, bestTerm = h, term
		}
	}
	if best == "" {
		return "", 0, ErrNoLeader
	}
	return best, bestTerm, nil
}

// Poll runs f until it returns nil or timeout passes; it returns the last
// error.
func Poll(timeout, every time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(every)
		<-t.C
	}
}

// LogTail is the last n lines of host's log, for failure messages.
func (c *Cluster) LogTail(host string, n int) string {
	b, err := os.ReadFile(filepath.Join(c.Dir, host+".log"))
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
