package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/observe"
)

func TestParseFlagsHTTP(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{nil, true}, // off by default
		{[]string{"-http", "127.0.0.1:9101"}, true},
		{[]string{"-http", "localhost:0"}, true},
		{[]string{"-http", "[::1]:9101"}, true},
		{[]string{"-http", "0.0.0.0:9101"}, false},
		{[]string{"-http", ":9101"}, false},
		{[]string{"-http", "0.0.0.0:9101", "-insecure"}, true},
		{[]string{"-http", "no-port"}, false},
	} {
		args := append([]string{"-name", "a", "-peers", testPeers}, tc.args...)
		c, err := parseFlags(args, io.Discard)
		if tc.ok {
			assert.NoError(t, err, "%v", tc.args)
			continue
		}
		require.Error(t, err, "%v", tc.args)
		assert.ErrorIs(t, err, errHTTP, "%v", tc.args)
		assert.Empty(t, c.HTTP)
	}
	// With the node's TLS files, any address: the endpoint is HTTPS.
	dir := testCerts(t)
	_, err := parseFlags([]string{"-name", "a", "-peers", testPeers, "-http", "0.0.0.0:9101",
		"-tls-cert", dir + "/a.crt", "-tls-key", dir + "/a.key", "-tls-ca", dir + "/ca.crt"}, io.Discard)
	assert.NoError(t, err)
}

// httpGet fetches url and returns the body; it fails the test on a status
// other than 200.
func httpGet(t *testing.T, url string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", url, body)
	return body
}

// respSet writes key=value through p's Redis port, speaking RESP directly
// (no redis-tools needed), and returns the reply line.
func respSet(p *proc, key, value string) (string, error) {
	c, err := net.DialTimeout("tcp", p.redis, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(15 * time.Second))
	_, err = fmt.Fprintf(c, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(key), key, len(value), value)
	if err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

// TestThreeProcessesHTTP scrapes -http of each node of a three-process
// cluster: /status shows one leader that all agree on, /metrics parses and
// its commit index is the one /status reports. With RAFTER_SCRAPE_OUT set
// it writes the leader's scrape there (the README's excerpt).
func TestThreeProcessesHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three processes; skipped with -short")
	}
	_, _, _, procs := threeNodes(t, "-http", "127.0.0.1:0")
	for _, p := range procs {
		require.NotEmpty(t, p.http, "%s printed no http= address", p.name)
	}

	// Writes through every node: the table exists and the cluster works.
	for _, p := range procs {
		eventually(t, 30*time.Second, p.name+" takes a write", func() bool {
			reply, err := respSet(p, "k:"+p.name, "v")
			return err == nil && reply == "+OK"
		})
	}
	statusOf := func(p *proc) observe.PeerStatus {
		var r observe.StatusReply
		require.NoError(t, json.Unmarshal(httpGet(t, "http://"+p.http+"/status"), &r))
		require.Len(t, r.Peers, 1, "a node hosts one peer")
		return r.Peers[0]
	}
	var leader *proc
	eventually(t, 30*time.Second, "every node's /status names the same leader", func() bool {
		leader = nil
		var name string
		for _, p := range procs {
			st := statusOf(p)
			if st.Leader == "" || (name != "" && st.Leader != name) {
				return false
			}
			name = st.Leader
			if st.Role == "leader" {
				leader = p
			}
		}
		return leader != nil
	})
	// Nothing else is written now: the leader's commit index metric
	// catches up with its /status.
	var scrape []byte
	eventually(t, 30*time.Second, "the leader's commit index metric equals /status", func() bool {
		st := statusOf(leader)
		scrape = httpGet(t, "http://"+leader.http+"/metrics")
		var parser expfmt.TextParser
		fams, err := parser.TextToMetricFamilies(strings.NewReader(string(scrape)))
		require.NoError(t, err, "scrape does not parse:\n%s", scrape)
		f := fams["rafter_commit_index"]
		require.NotNil(t, f, "no rafter_commit_index in:\n%s", scrape)
		require.NotEmpty(t, f.GetHelp())
		require.Len(t, f.GetMetric(), 1)
		return f.GetMetric()[0].GetGauge().GetValue() == float64(st.CommitIndex) && st.CommitIndex > 0
	})
	for _, want := range []string{
		"rafter_role{peer=\"" + leader.name + "@", "rafter_proposals_total", "rafter_elections_won_total",
		"rafter_append_entries_sent_entries_bucket", "rafter_log_sync_duration_seconds_bucket",
		"rafter_network_refused_total", "go_goroutines", "process_resident_memory_bytes",
	} {
		assert.Contains(t, string(scrape), want)
	}
	if out := os.Getenv("RAFTER_SCRAPE_OUT"); out != "" {
		require.NoError(t, os.WriteFile(out, scrape, 0o644))
		t.Logf("scrape of %s written to %s", leader.name, out)
	}
	// Read-only.
	resp, err := http.Post("http://"+leader.http+"/status", "text/plain", strings.NewReader("x"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

	// SIGTERM: each node still stops cleanly with the listener on.
	for _, p := range procs {
		require.NoError(t, p.cmd.Process.Signal(os.Interrupt))
	}
	for _, p := range procs {
		select {
		case <-p.done:
			var ee interface{ ExitCode() int }
			if errors.As(p.err, &ee) {
				t.Errorf("%s exited with %d", p.name, ee.ExitCode())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s did not stop", p.name)
		}
	}
}
