package main

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Argument errors of INCR, INCRBY and DECR are answered before the
// cluster is asked (this server has none).
func TestIncrArguments(t *testing.T) {
	s := testServer(t)
	for _, tt := range []struct{ name, in, want string }{
		{"incrby not a number", "INCRBY k abc\r\n", "-" + notInteger + "\r\n"},
		{"incrby plus sign", "INCRBY k +1\r\n", "-" + notInteger + "\r\n"},
		{"incrby too large", "INCRBY k 9223372036854775808\r\n", "-" + notInteger + "\r\n"},
		{"incrby too long", "INCRBY k 000000000000000000001\r\n", "-" + notInteger + "\r\n"},
		{"incr arity", "INCR\r\n", "-ERR wrong number of arguments for 'incr' command\r\n"},
		{"incr arity, two keys", "INCR a b\r\n", "-ERR wrong number of arguments for 'incr' command\r\n"},
		{"incrby arity", "INCRBY k\r\n", "-ERR wrong number of arguments for 'incrby' command\r\n"},
		{"decr arity", "DECR\r\n", "-ERR wrong number of arguments for 'decr' command\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, roundTrip(t, s, tt.in, true))
		})
	}
}

// INCR through a follower while the leader's process is killed (SIGKILL):
// the node's session retries the increment whose leader died and the
// cluster applies it once, so one client's INCRs answer 1, 2, 3, ...
// without a gap or a repeat, and the counter ends at their number.
func TestIncrExactlyOnceAcrossLeaderKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three processes; skipped with -short")
	}
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skipf("redis-cli not found: %s", howToGetRedisTools)
	}
	_, _, peers, procs := threeNodes(t, "-op-timeout", "20s")
	for _, p := range procs {
		eventually(t, 30*time.Second, p.name+" joins the cluster", func() bool {
			f := info(t, p)
			return f["members"] == peers && f["leader"] != "" && cli(t, p, "SET", "probe:"+p.name, "1") == "OK"
		})
	}
	var leader, via *proc
	for _, p := range procs {
		if info(t, p)["role"] == "leader" {
			leader = p
		} else if via == nil {
			via = p
		}
	}
	require.NotNil(t, leader, "a leader")
	assert.Equal(t, "5", cli(t, via, "INCRBY", "n", "5"))
	assert.Equal(t, "4", cli(t, via, "DECR", "n"))
	assert.Equal(t, "OK", cli(t, via, "SET", "n", "0"))
	assert.Equal(t, "1", cli(t, via, "INCR", "fresh"), "an absent key counts as 0")
	assert.Equal(t, "OK", cli(t, via, "SET", "text", "abc"))
	assert.Equal(t, "ERR value is not an integer or out of range", cli(t, via, "INCR", "text"))

	conn, err := net.Dial("tcp", via.redis)
	require.NoError(t, err)
	defer conn.Close()
	r := bufio.NewReader(conn)
	const total, killAt = 200, 60
	for i := 1; i <= total; i++ {
		if i == killAt {
			require.NoError(t, leader.cmd.Process.Kill(), "SIGKILL the leader %s", leader.name)
			t.Logf("killed the leader %s before increment %d", leader.name, i)
		}
		require.NoError(t, conn.SetDeadline(time.Now().Add(30*time.Second)))
		_, err := fmt.Fprintf(conn, "INCR n\r\n")
		require.NoError(t, err)
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf(":%d", i), strings.TrimRight(line, "\r\n"), "increment %d", i)
	}
	assert.Equal(t, fmt.Sprint(total), cli(t, via, "GET", "n"))
}
