package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// patience bounds every poll: generous, the machine may be loaded.
const patience = 30 * time.Second

// fast is a quick timing for the API tests (the browser test uses the
// page's own).
var fast = timing{Heartbeat: 20 * time.Millisecond, ElectionMin: 200 * time.Millisecond, ElectionMax: 400 * time.Millisecond}

type client struct {
	t    *testing.T
	base string
}

func startServer(t *testing.T, n int) (*server, *client) {
	t.Helper()
	srv, err := serve(t.Context(), config{N: n, Addr: "127.0.0.1:0", Dir: t.TempDir(),
		Settings: settings{Slow: 1, PreVote: true}, Timing: fast})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, srv.close()) })
	return srv, &client{t: t, base: "http://" + srv.addr}
}

// post calls an action and returns the status code and reply.
func (c *client) post(action string, q url.Values, header ...string) (int, reply) {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodPost, c.base+"/api/"+action+"?"+q.Encode(), nil)
	require.NoError(c.t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	var r reply
	if resp.Header.Get("Content-Type") == "application/json" {
		require.NoError(c.t, json.NewDecoder(resp.Body).Decode(&r))
	}
	return resp.StatusCode, r
}

func (c *client) state() stateReply {
	c.t.Helper()
	resp, err := http.Get(c.base + "/api/state")
	require.NoError(c.t, err)
	defer resp.Body.Close()
	var s stateReply
	require.NoError(c.t, json.NewDecoder(resp.Body).Decode(&s))
	return s
}

// until polls the state until ok holds.
func (c *client) until(what string, ok func(stateReply) bool) stateReply {
	c.t.Helper()
	deadline := time.Now().Add(patience)
	for {
		s := c.state()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("the state never showed %s; last: %+v", what, s)
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
}

func leaderOf(s stateReply) string {
	for _, p := range s.Peers {
		if p.Role == "leader" {
			return p.Name
		}
	}
	return ""
}

func TestActionsRefuseBadRequests(t *testing.T) {
	_, c := startServer(t, 3)
	for _, tc := range []struct {
		action string
		q      url.Values
		code   int
	}{
		{"kill", url.Values{"peer": {"nobody"}, "actor": {"log"}}, http.StatusBadRequest},
		{"kill", url.Values{"peer": {"p1"}, "actor": {"both"}}, http.StatusBadRequest},
		{"cut", url.Values{"a": {"p1"}, "b": {"p9"}}, http.StatusBadRequest},
		{"write", url.Values{"key": {""}}, http.StatusBadRequest},
		{"write", url.Values{"key": {strings.Repeat("k", maxKeyBytes+1)}}, http.StatusBadRequest},
		{"settings", url.Values{"slow": {"0"}}, http.StatusBadRequest},
		{"settings", url.Values{"slow": {"51"}}, http.StatusBadRequest},
		{"members", url.Values{}, http.StatusBadRequest},
		{"start", url.Values{"peer": {"p1"}}, http.StatusBadRequest}, // running already
		{"explode", url.Values{}, http.StatusBadRequest},
	} {
		code, r := c.post(tc.action, tc.q)
		assert.Equal(t, tc.code, code, "%s %v: %+v", tc.action, tc.q, r)
		assert.False(t, r.OK)
		assert.NotEmpty(t, r.Error)
	}
	code, _ := c.post("healall", nil, "Origin", "http://evil.example")
	assert.Equal(t, http.StatusForbidden, code, "a cross-site POST must be refused")
	code, _ = c.post("healall", nil, "Origin", c.base)
	assert.Equal(t, http.StatusOK, code)

	_, err := serve(t.Context(), config{N: 3, Addr: "0.0.0.0:0", Dir: t.TempDir(), Settings: settings{Slow: 1}, Timing: fast})
	assert.Error(t, err, "the page must not listen beyond loopback")
	_, err = serve(t.Context(), config{N: 0, Addr: "127.0.0.1:0", Dir: t.TempDir(), Settings: settings{Slow: 1}, Timing: fast})
	assert.Error(t, err)
}

// Every action does what the page says, and the model shows it.
func TestActionsChangeTheCluster(t *testing.T) {
	_, c := startServer(t, 3)
	c.until("a leader", func(s stateReply) bool { return leaderOf(s) != "" })

	code, r := c.post("write", url.Values{"key": {"k"}, "value": {"v"}})
	require.Equal(t, http.StatusOK, code, "%+v", r)
	idx := r.Index
	c.until("the write committed everywhere", func(s stateReply) bool {
		for _, p := range s.Peers {
			if p.Commit < idx || p.Base+uint64(len(p.Terms)) < idx {
				return false
			}
		}
		return true
	})
	_, r = c.post("read", url.Values{"key": {"k"}})
	assert.True(t, r.OK && r.Found && r.Value == "v", "%+v", r)

	// Transfer the leadership to a follower.
	to := "p1"
	if leaderOf(c.state()) == to {
		to = "p2"
	}
	code, r = c.post("transfer", url.Values{"peer": {to}})
	require.Equal(t, http.StatusOK, code, "%+v", r)
	c.until(to+" leading", func(s stateReply) bool { return leaderOf(s) == to })

	// Kill a log server: the supervisor restarts the pair.
	_, r = c.post("kill", url.Values{"peer": {"p3"}, "actor": {"log"}})
	require.True(t, r.OK, "%+v", r)
	c.until("p3's restart", func(s stateReply) bool {
		return s.Peers[2].Restarts == 1 && strings.Contains(s.Peers[2].Note, "log went down") && s.Peers[2].Up
	})

	// Stop and start a peer.
	_, r = c.post("stop", url.Values{"peer": {"p3"}})
	require.True(t, r.OK, "%+v", r)
	c.until("p3 stopped", func(s stateReply) bool { return !s.Running["p3"] && s.Peers[2].Role == "stopped" })
	_, r = c.post("start", url.Values{"peer": {"p3"}})
	require.True(t, r.OK, "%+v", r)
	c.until("p3 back", func(s stateReply) bool { return s.Running["p3"] && s.Peers[2].Up })

	// Cut and heal.
	c.post("cut", url.Values{"a": {"p2"}, "b": {"p1"}})
	assert.Equal(t, []string{"p1|p2"}, c.state().Cuts)
	c.post("isolate", url.Values{"peer": {"p3"}})
	assert.Equal(t, []string{"p1|p2", "p1|p3", "p2|p3"}, c.state().Cuts)
	c.post("rejoin", url.Values{"peer": {"p3"}})
	assert.Equal(t, []string{"p1|p2"}, c.state().Cuts)
	c.post("heal", url.Values{"a": {"p1"}, "b": {"p2"}})
	assert.Empty(t, c.state().Cuts)

	// Membership: p3 leaves.
	code, r = c.post("members", url.Values{"peers": {"p1,p2"}})
	require.Equal(t, http.StatusOK, code, "%+v", r)
	c.until("two members", func(s stateReply) bool { return len(s.Members) == 2 && s.Config == "stable" })

	// Slow motion x10: the peers restart with ten times the timeouts.
	code, r = c.post("settings", url.Values{"slow": {"10"}, "prevote": {"false"}})
	require.Equal(t, http.StatusOK, code, "%+v", r)
	s := c.until("timers ten times as long", func(s stateReply) bool {
		for _, p := range s.Peers {
			if p.Role == "follower" && p.TimerTotalMS >= (10*fast.ElectionMin).Milliseconds() {
				return true
			}
		}
		return false
	})
	assert.Equal(t, settings{Slow: 10, PreVote: false}, s.Settings)
}
