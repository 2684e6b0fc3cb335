package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/raft"
)

// Bounds of a -procs run, generous because the machine may be loaded.
const (
	procsSlack = 90 * time.Second // beyond warm-up + window, for start, election and drain
	stopGrace  = 10 * time.Second // for a peer process to exit after its stdin closes
)

// errNoResult: the peer processes ended or timed out without a result.
var errNoResult = errors.New("baseline: no result from the peer processes")

// errNoResultLine: a child printed no RESULT line.
var errNoResultLine = errors.New("baseline: child printed no RESULT line")

// freeAddrs picks n free 127.0.0.1 ports. They are closed again before the
// peers bind them, so another program could take one in between; a run
// that fails for that reason reports the bind error.
func freeAddrs(n int) ([]string, error) {
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		addrs = append(addrs, l.Addr().String())
		defer l.Close()
	}
	return addrs, nil
}

// peerProc is one peer's OS process.
type peerProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// runProcs runs one point with each peer in its own OS process (this
// binary, -role node) over TCP on 127.0.0.1. The process whose peer wins
// the election runs the clients and prints the result; closing the
// processes' stdin stops them all.
func runProcs(p point, dir string, args func(point, string) []string) (Result, error) {
	addrs, err := freeAddrs(3)
	if err != nil {
		return Result{}, err
	}
	results := make(chan string, 3)
	ended := make(chan int, 3)
	var procs []peerProc
	defer stopProcs(&procs)
	for i := range 3 {
		a := append(args(p, filepath.Join(dir, fmt.Sprintf("n%d", i))),
			"-role", "node", "-id", strconv.Itoa(i), "-addrs", strings.Join(addrs, ","))
		cmd := exec.Command(os.Args[0], a...)
		cmd.Stderr = os.Stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			return Result{}, fmt.Errorf("baseline: %w", err)
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			return Result{}, fmt.Errorf("baseline: %w", err)
		}
		if err := cmd.Start(); err != nil {
			return Result{}, fmt.Errorf("baseline: start peer process: %w", err)
		}
		procs = append(procs, peerProc{cmd: cmd, stdin: in})
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "RESULT ") {
					results <- sc.Text()
					return
				}
			}
			ended <- i // exited (or closed stdout) without a result
		}()
	}
	select {
	case l := <-results:
		return parseResult(l)
	case i := <-ended:
		// Peers serve until their stdin closes, so an early end is a
		// failure (its stderr says why); do not wait out the timeout.
		return Result{}, fmt.Errorf("%w: peer process %d ended early", errNoResult, i)
	case <-time.After(p.warmup + p.duration + procsSlack):
		return Result{}, errNoResult
	}
}

// stopProcs closes every peer process's stdin (it then shuts its peer
// down and exits) and kills those still running after stopGrace.
func stopProcs(procs *[]peerProc) {
	for _, pp := range *procs {
		_ = pp.stdin.Close()
	}
	for _, pp := range *procs {
		done := make(chan struct{})
		go func() { _ = pp.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(stopGrace):
			_ = pp.cmd.Process.Kill()
			<-done
		}
	}
}

// runNode is the body of one peer process: start peer id at addrs[id],
// bootstrap the three-peer configuration (every process sends the same
// one, which hashicorp/raft allows), and if this peer wins the election
// run the clients and print the result. It returns when stdin closes.
func runNode(p point, id int, addrs []string, dir string) error {
	if id < 0 || id >= len(addrs) || len(addrs) != 3 {
		return fmt.Errorf("baseline: bad -id %d for -addrs %v", id, addrs)
	}
	t, err := raft.NewTCPTransportWithLogger(addrs[id], nil, tcpPool, tcpTimeout, quietLogger())
	if err != nil {
		return fmt.Errorf("baseline: tcp transport: %w", err)
	}
	self := raft.ServerID(fmt.Sprintf("n%d", id))
	x, err := newPeer(string(self), p.store, dir, t)
	if err != nil {
		_ = t.Close()
		return err
	}
	x.closers = append(x.closers, t)
	defer x.close()
	var sa []raft.ServerAddress
	for _, a := range addrs {
		sa = append(sa, raft.ServerAddress(a))
	}
	if err := x.r.BootstrapCluster(configuration(sa)).Error(); err != nil {
		return fmt.Errorf("baseline: bootstrap: %w", err)
	}
	lost, err := x.awaitLeadership(self)
	if err != nil {
		return err
	}
	if !lost {
		res := runLoad(x.apply, x.store.stats, p.clients, p.size, p.warmup, p.duration)
		p.label(&res)
		if err := printResult(res); err != nil {
			return err
		}
	}
	_, _ = io.Copy(io.Discard, os.Stdin) // serve until the coordinator closes stdin
	return nil
}
