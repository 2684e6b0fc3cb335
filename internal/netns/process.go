//go:build linux

package netns

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrProcess wraps failures to start, signal or wait for a node process.
var ErrProcess = errors.New("netns: process")

// Process is one run of a program inside a host's namespace. Its stdout
// and stderr are appended to files in the log directory (one pair per
// host, shared by restarts, so a restart's log follows the crash's).
type Process struct {
	Host string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // Wait's result, once done is closed
}

// Start runs name with args in host's namespace and waits until it prints
// a line starting with ready to stdout (up to timeout).
func (n *Net) Start(host, logDir, ready string, timeout time.Duration, name string, args ...string) (*Process, error) {
	stderr, err := os.OpenFile(filepath.Join(logDir, host+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProcess, err)
	}
	fmt.Fprintf(stderr, "==== %s start: %s %s\n", time.Now().Format(time.StampMilli), name, strings.Join(args, " "))
	cmd := n.Command(host, name, args...)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		stderr.Close()
		return nil, fmt.Errorf("%w: %w", ErrProcess, err)
	}
	if err := cmd.Start(); err != nil {
		stderr.Close()
		return nil, fmt.Errorf("%w: %s: %w", ErrProcess, host, err)
	}
	p := &Process{Host: host, cmd: cmd, done: make(chan struct{})}
	readyc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintf(stderr, "[stdout] %s\n", line)
			if strings.HasPrefix(line, ready) {
				select {
				case readyc <- line:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, out)
		p.err = cmd.Wait()
		fmt.Fprintf(stderr, "==== %s exit: %v\n", time.Now().Format(time.StampMilli), p.err)
		stderr.Close()
		close(p.done)
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-readyc:
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("%w: %s exited before it was ready: %v", ErrProcess, host, p.err)
	case <-t.C:
		_ = p.Signal(syscall.SIGKILL)
		<-p.done
		return nil, fmt.Errorf("%w: %s not ready after %v", ErrProcess, host, timeout)
	}
}

// PID is the program's process id (ip netns exec execs it in place).
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Signal sends sig to the process; a process that has exited is not an
// error.
func (p *Process) Signal(sig syscall.Signal) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("%w: %s: %v: %w", ErrProcess, p.Host, sig, err)
	}
	return nil
}

// Wait waits up to timeout for the process to exit; it reports whether it
// did, and its exit error (nil for exit status 0).
func (p *Process) Wait(timeout time.Duration) (bool, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.done:
		return true, p.err
	case <-t.C:
		return false, nil
	}
}

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Usage is a sample of a process's resources from /proc.
type Usage struct {
	Threads int
	RSSKiB  int
}

// ReadUsage reads Threads and VmRSS from /proc/<pid>/status.
func ReadUsage(pid int) (Usage, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Usage{}, fmt.Errorf("%w: %w", ErrProcess, err)
	}
	var u Usage
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		switch k {
		case "Threads":
			u.Threads, _ = strconv.Atoi(f[0])
		case "VmRSS":
			u.RSSKiB, _ = strconv.Atoi(f[0])
		}
	}
	return u, nil
}
