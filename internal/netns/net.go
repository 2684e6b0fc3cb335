//go:build linux

package netns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Prefix starts the name of every namespace this package creates; the PID
// of the creating process follows, so a later run can tell a leftover of a
// dead run (SweepStale) from a namespace of a run still going.
const Prefix = "rftn"

// Subnet is the private /24 the hosts live in. The addresses exist only
// inside the namespaces a Net creates: the root namespace gets no address,
// route or interface, so no packet can leave the test's own bridge.
const Subnet = "10.77.0"

// HubAddr is the hub's address on the bridge: where the test's own sockets
// (DialHub) come from, and where a stranger process may listen.
const HubAddr = Subnet + ".254"

// ErrNet wraps every failure to build or change the test network.
var ErrNet = errors.New("netns: network")

// Net is a private network of hosts: one namespace per host, each with a
// veth pair whose other end is enslaved to a bridge in a fourth, "hub",
// namespace. Host i has address Subnet.(i+1); the hub has HubAddr.
type Net struct {
	pid   int
	hosts []string // host names, e.g. "a"
	hubFD *os.File // the hub namespace, for DialHub
}

// NSName is the namespace name of host (or "hub").
func (n *Net) NSName(host string) string { return fmt.Sprintf("%s%d-%s", Prefix, n.pid, host) }

// Hub is the hub namespace's name.
func (n *Net) Hub() string { return n.NSName("hub") }

// Addr is host's IPv4 address.
func (n *Net) Addr(host string) string {
	for i, h := range n.hosts {
		if h == host {
			return fmt.Sprintf("%s.%d", Subnet, i+1)
		}
	}
	panic("netns: unknown host " + host)
}

// hubPort is the name, inside the hub, of the bridge port leading to host.
func hubPort(host string) string { return "p-" + host }

// New builds the network for hosts. On error, whatever was made is removed.
func New(hosts ...string) (n *Net, err error) {
	n = &Net{pid: os.Getpid(), hosts: hosts}
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	hub := n.Hub()
	steps := [][]string{
		{"netns", "add", hub},
		{"-n", hub, "link", "set", "lo", "up"},
		{"-n", hub, "link", "add", "br0", "type", "bridge"},
		{"-n", hub, "addr", "add", HubAddr + "/24", "dev", "br0"},
		{"-n", hub, "link", "set", "br0", "up"},
	}
	for _, h := range hosts {
		ns := n.NSName(h)
		steps = append(steps,
			[]string{"netns", "add", ns},
			[]string{"-n", ns, "link", "set", "lo", "up"},
			// Both ends are born inside our namespaces: the root
			// namespace never sees them.
			[]string{"-n", hub, "link", "add", hubPort(h), "type", "veth", "peer", "name", "eth0", "netns", ns},
			[]string{"-n", hub, "link", "set", hubPort(h), "master", "br0"},
			[]string{"-n", hub, "link", "set", hubPort(h), "up"},
			[]string{"-n", ns, "addr", "add", n.Addr(h) + "/24", "dev", "eth0"},
			[]string{"-n", ns, "link", "set", "eth0", "up"},
		)
	}
	for _, s := range steps {
		if err := ip(s...); err != nil {
			return nil, err
		}
	}
	n.hubFD, err = os.Open("/run/netns/" + hub)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNet, err)
	}
	return n, nil
}

// Close kills every process left in the namespaces and deletes them (the
// veth pairs and the bridge go with them). It is safe to call twice.
func (n *Net) Close() {
	if n.hubFD != nil {
		n.hubFD.Close()
		n.hubFD = nil
	}
	for _, h := range append(append([]string(nil), n.hosts...), "hub") {
		deleteNS(n.NSName(h))
	}
}

// deleteNS SIGKILLs the processes in ns and deletes it; errors are ignored
// (the namespace may not exist).
func deleteNS(ns string) {
	if out, err := exec.Command("ip", "netns", "pids", ns).Output(); err == nil {
		for _, f := range strings.Fields(string(out)) {
			if pid, err := strconv.Atoi(f); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	_ = exec.Command("ip", "netns", "del", ns).Run()
}

// SweepStale deletes namespaces left by earlier runs whose process is gone
// (a run killed by a timeout cannot clean up). It returns their names.
func SweepStale() []string {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return nil
	}
	var swept []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], Prefix) {
			continue
		}
		pidText, _, ok := strings.Cut(strings.TrimPrefix(f[0], Prefix), "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat("/proc/" + pidText); err == nil {
			continue // that run is still going
		}
		deleteNS(f[0])
		swept = append(swept, f[0])
	}
	return swept
}

// SetLink brings host's link up or down at the bridge: down is a cable
// pulled at the switch (the host's own eth0 loses carrier, its address
// stays).
func (n *Net) SetLink(host string, up bool) error {
	state := "down"
	if up {
		state = "up"
	}
	return ip("-n", n.Hub(), "link", "set", hubPort(host), state)
}

// Command returns a command that runs name in host's namespace (ip netns
// exec execs it, so the process's PID is the program's own). The process
// is SIGKILLed if the test process dies first (a go test timeout runs no
// cleanup); SweepStale then removes the namespaces.
func (n *Net) Command(host, name string, args ...string) *exec.Cmd {
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.NSName(host), name}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

// DialHub opens a TCP connection from the hub namespace: the socket is
// created on an OS thread switched into the hub, and stays there once the
// thread switches back, so the test process reaches the hosts without any
// address of its own namespace.
func (n *Net) DialHub(ctx context.Context, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		// A thread that cannot be switched back stays locked: the
		// runtime ends it with this goroutine.
		runtime.LockOSThread()
		orig, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{err: fmt.Errorf("%w: %w", ErrNet, err)}
			return
		}
		defer orig.Close()
		if err := unix.Setns(int(n.hubFD.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			done <- result{err: fmt.Errorf("%w: setns hub: %w", ErrNet, err)}
			return
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		done <- result{c, err}
	}()
	r := <-done
	return r.c, r.err
}

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: ip %s: %w: %s", ErrNet, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
