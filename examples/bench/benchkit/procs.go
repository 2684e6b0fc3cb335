package benchkit

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

// Peers is the number of peers of every benchmark cluster.
const Peers = 3

// Bounds of a run in peer processes, generous because the machine may be
// loaded.
const (
	// ProcsSlack is the time allowed beyond warm-up + window: start,
	// election, prefill, drain.
	ProcsSlack = 90 * time.Second
	// stopGrace is the time a peer process has to shut down after its
	// stdin closes before it is killed.
	stopGrace = 15 * time.Second
)

// ErrNoResult: the peer processes ended or timed out without a result.
var ErrNoResult = errors.New("benchkit: no result from the peer processes")

// FreeAddrs picks n free 127.0.0.1 ports. They are closed again before the
// peers bind them, so another program could take one in between; such a
// run fails with the bind error and the parent goes on to the next.
func FreeAddrs(n int) ([]string, error) {
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("benchkit: %w", err)
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

// RunProcs runs one point with each of the Peers peers in its own OS
// process: this binary re-executed with args and "-role role -id i -addrs
// a0,a1,a2 -dir dir/p<i>", the addresses free ports on 127.0.0.1. The
// process whose peer wins the election runs the clients and prints the
// RESULT line (PrintResult); every process serves until its stdin
// closes, which RunProcs does before it returns. runTime is the point's
// warm-up + window; the run fails with ErrNoResult after runTime +
// ProcsSlack, or at once if a process ends without a result.
func RunProcs(args []string, role, dir string, runTime time.Duration) (Result, error) {
	addrs, err := FreeAddrs(Peers)
	if err != nil {
		return Result{}, err
	}
	results := make(chan string, Peers)
	ended := make(chan int, Peers)
	var procs []peerProc
	defer func() { stopProcs(procs) }()
	for i := range Peers {
		a := append(append([]string(nil), args...), "-role", role, "-id", strconv.Itoa(i),
			"-addrs", strings.Join(addrs, ","), "-dir", PeerDir(dir, i))
		pp, out, err := startPeerProc(a)
		if err != nil {
			return Result{}, err
		}
		procs = append(procs, pp)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), resultPrefix) {
					results <- sc.Text()
					return
				}
			}
			ended <- i // exited (or closed stdout) without a result
		}()
	}
	select {
	case l := <-results:
		return ParseResult(l)
	case i := <-ended:
		// Peers serve until their stdin closes, so an early end is a
		// failure (its stderr says why); do not wait out the timeout.
		return Result{}, fmt.Errorf("%w: peer process %d ended early", ErrNoResult, i)
	case <-time.After(runTime + ProcsSlack):
		return Result{}, ErrNoResult
	}
}

// startPeerProc starts this binary with args, its stdin a pipe it holds.
func startPeerProc(args []string) (peerProc, io.Reader, error) {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return peerProc{}, nil, fmt.Errorf("benchkit: %w", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return peerProc{}, nil, fmt.Errorf("benchkit: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return peerProc{}, nil, fmt.Errorf("benchkit: start peer process: %w", err)
	}
	return peerProc{cmd: cmd, stdin: in}, out, nil
}

// stopProcs closes every peer process's stdin (it then shuts its peer
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

// PeerDir is the data directory RunProcs gives peer process i under dir.
func PeerDir(dir string, i int) string { return filepath.Join(dir, fmt.Sprintf("p%d", i)) }
