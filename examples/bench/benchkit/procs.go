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
			"-addrs", strings.Join(addrs, ","), "-dir", filepath.Join(dir, fmt.Sprintf("p%d", i)))
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

// ServePeer is the end of a peer process started by RunProcs: if this
// process's peer leads, measure is not nil and runs the point, and its
// Result is printed as the RESULT line; then the process serves (its peer
// answering the others) until the parent closes its stdin.
func ServePeer(measure func() (Result, error)) error {
	if measure != nil {
		res, err := measure()
		if err != nil {
			return err
		}
		if err := PrintResult(os.Stdout, res); err != nil {
			return err
		}
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

// Exit ends a program's main: with err it is printed to stderr and the
// exit status is 1.
func Exit(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// RunChild runs this binary with args in one child process and reads its
// RESULT line.
func RunChild(args []string) (Result, error) {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return Result{}, fmt.Errorf("benchkit: child: %w", err)
	}
	return ParseResult(string(out))
}

// ChildEnv set to "1" makes a test binary run as its program (ChildMain).
const ChildEnv = "RAFTER_BENCHKIT_TEST_CHILD"

// ChildMain is a test binary's main for packages whose code re-executes
// os.Args[0] (RunChild, RunProcs): under `go test` that is the test
// binary, so with ChildEnv set to "1" it runs the program's main instead
// of the tests. Use it as
//
//	func TestMain(m *testing.M) { os.Exit(benchkit.ChildMain(m, main)) }
//
// and set ChildEnv in the test that starts children (ActAsChild).
func ChildMain(m interface{ Run() int }, main func()) int {
	if os.Getenv(ChildEnv) == "1" {
		main()
		return 0
	}
	return m.Run()
}

// ActAsChild makes the children that t starts run as the program (with
// ChildMain), for t's duration; t is a *testing.T.
func ActAsChild(t interface{ Setenv(key, value string) }) { t.Setenv(ChildEnv, "1") }
