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
)

// Bounds of a "procs" run, generous because the machine may be loaded.
const (
	procsSlack = 90 * time.Second // beyond warm-up + window: start, election, prefill, drain
	stopGrace  = 15 * time.Second // for a peer process to shut down after its stdin closes
)

// errNoResult: the peer processes ended or timed out without a result.
var errNoResult = errors.New("bench: no result from the peer processes")

// freeAddrs picks n free 127.0.0.1 ports. They are closed again before the
// peers bind them, so another program could take one in between; such a
// run fails with the bind error and the parent goes on to the next.
func freeAddrs(n int) ([]string, error) {
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
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

// runProcs runs point p with each peer in its own OS process, as users
// deploy rafter: this binary re-executed with -role peer, one System per
// process listening on 127.0.0.1. The process whose peer wins the election
// runs the clients and prints the result (as bench/baseline's -procs
// does); closing the processes' stdin stops them all.
func runProcs(p point, dir string, args []string) (Result, error) {
	addrs, err := freeAddrs(3)
	if err != nil {
		return Result{}, err
	}
	results := make(chan string, 3)
	ended := make(chan int, 3)
	var procs []peerProc
	defer func() { stopProcs(procs) }()
	for i := range 3 {
		a := append(append([]string(nil), args...), "-role", "peer", "-id", strconv.Itoa(i),
			"-addrs", strings.Join(addrs, ","), "-dir", filepath.Join(dir, fmt.Sprintf("p%d", i)))
		pp, out, err := startPeerProc(a)
		if err != nil {
			return Result{}, err
		}
		procs = append(procs, pp)
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

// startPeerProc starts this binary with args, its stdin a pipe it holds.
func startPeerProc(args []string) (peerProc, io.Reader, error) {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return peerProc{}, nil, fmt.Errorf("bench: %w", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return peerProc{}, nil, fmt.Errorf("bench: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return peerProc{}, nil, fmt.Errorf("bench: start peer process: %w", err)
	}
	return peerProc{cmd: cmd, stdin: in}, out, nil
}

// stopProcs closes every peer process's stdin (it then shuts its System
// down and exits) and kills any still running after stopGrace.
func stopProcs(procs []peerProc) {
	for _, pp := range procs {
		_ = pp.stdin.Close()
	}
	for _, pp := range procs {
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
