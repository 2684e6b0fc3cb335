package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// respGet reads key through p's Redis port (a linearizable read) and
// returns the reply's value line ("" for nil) or the error line.
func respGet(p *proc, key string) (string, error) {
	c, err := net.DialTimeout("tcp", p.redis, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(15 * time.Second))
	if _, err := fmt.Fprintf(c, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", len(key), key); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "$") || line == "$-1\r\n" {
		return strings.TrimSpace(line), err
	}
	val, err := r.ReadString('\n')
	return strings.TrimSpace(val), err
}

// Issue 11: real peer processes with tiny snapshot thresholds (a snapshot
// every 8 entries, 2 trailing) are SIGKILLed again and again while writes
// go on, so kills land during snapshot writes, compactions and installs of
// the leader's snapshot; every restart succeeds and no acknowledged write
// is lost.
func TestSnapshotsSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three processes; skipped with -short")
	}
	extra := []string{"-snapshot-entries", "8", "-trailing-entries", "2", "-snapshot-min-interval", "0s", "-op-timeout", "2s",
		"-heartbeat", "20ms", "-election-timeout", "200ms"}
	dir, bin, peers, procs := threeNodes(t, extra...)
	names := []string{"a", "b", "c"}
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	eventually(t, 30*time.Second, "the cluster takes writes", func() bool {
		reply, err := respSet(procs[0], "probe", "1")
		return err == nil && reply == "+OK"
	})

	// One writer goes on through every kill: each write is retried through
	// any node until one acknowledges it (the same key and value: a retry
	// of an unknown outcome is harmless).
	var mu sync.Mutex // guards procs and acked
	acked := map[string]string{}
	stop := make(chan struct{})
	writerDone := make(chan int)
	go func() {
		seq := 0
		defer func() { writerDone <- seq }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			key, val := fmt.Sprintf("k%d", seq), fmt.Sprintf("v%d", seq)
			seq++
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
				mu.Lock()
				p := procs[rand.Intn(3)]
				mu.Unlock()
				if reply, err := respSet(p, key, val); err == nil && reply == "+OK" {
					mu.Lock()
					acked[key] = val
					mu.Unlock()
					break
				}
				time.Sleep(20 * time.Millisecond) // retry pace, not synchronisation
			}
		}
	}()
	installs := 0
	countInstalls := func(p *proc) {
		b, _ := os.ReadFile(p.stderr)
		installs += bytes.Count(b, []byte("installing a snapshot from the leader"))
	}
	for round := range 8 {
		i := rng.Intn(3)
		delay := time.Duration(200+rng.Intn(300)) * time.Millisecond
		time.Sleep(delay) // a random point of the writes, not synchronisation
		mu.Lock()
		victim := procs[i]
		mu.Unlock()
		t.Logf("round %d: SIGKILL %s after %v", round, names[i], delay)
		require.NoError(t, victim.cmd.Process.Signal(syscall.SIGKILL))
		<-victim.done
		countInstalls(victim)
		time.Sleep(time.Duration(300+rng.Intn(300)) * time.Millisecond) // the others compact past it meanwhile
		restarted := startNode(t, bin, dir, names[i], peers, false, extra...)
		mu.Lock()
		procs[i] = restarted
		mu.Unlock()
	}
	close(stop)
	seq := <-writerDone
	for _, p := range procs {
		eventually(t, 30*time.Second, p.name+" has every acknowledged write", func() bool {
			for k, v := range acked {
				if got, err := respGet(p, k); err != nil || got != v {
					return false
				}
			}
			return true
		})
		countInstalls(p)
	}
	t.Logf("%d writes acknowledged of %d; %d snapshot installs logged", len(acked), seq, installs)
	require.Greater(t, len(acked), 20)
	require.Positive(t, installs, "no restarted peer caught up by snapshot")
}
