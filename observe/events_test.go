package observe_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/events"
	"github.com/rafter-go/rafter/internal/cluster"
	"github.com/rafter-go/rafter/observe"
)

// openEvents opens an /events stream; the caller closes the body.
func openEvents(t *testing.T, ctx context.Context, srv *httptest.Server, query string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/events"+query, nil)
	require.NoError(t, err)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	return resp
}

// TestEventsStream reads the role events of an election and the commit of
// a write from /events, filtered by kind, as a browser's EventSource would.
func TestEventsStream(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 3})
	srv := httptest.NewServer(observe.Handler(c.Client(), nil))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), cluster.Patience)
	defer cancel()
	resp := openEvents(t, ctx, srv, "?kind=role,commit")
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))

	c.Configure()
	leader := c.WaitLeader()
	_, err := c.Client().Op(ctx, leader, []byte("x"))
	require.NoError(t, err)

	sc := bufio.NewScanner(resp.Body)
	var sawLeader, sawCommit bool
	var lastID string
	for !(sawLeader && sawCommit) && sc.Scan() {
		line := sc.Text()
		if id, ok := strings.CutPrefix(line, "id: "); ok {
			lastID = id
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var e events.Event
		require.NoError(t, json.Unmarshal([]byte(data), &e), "%s", data)
		var raw map[string]any
		require.NoError(t, json.Unmarshal([]byte(data), &raw))
		assert.Contains(t, []any{"role", "commit"}, raw["kind"], "the filter let %s through", data)
		assert.NotEmpty(t, lastID, "an event without its SSE id")
		if raw["kind"] == "role" && e.Role == "leader" && e.Peer == leader.String() {
			sawLeader = true
		}
		if raw["kind"] == "commit" && e.Last >= 2 {
			sawCommit = true
		}
	}
	require.NoError(t, sc.Err())
	assert.True(t, sawLeader && sawCommit, "stream ended before the leader and the commit were seen")
}

func TestEventsStreamRefusesBadFiltersAndTooManyStreams(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 1})
	srv := httptest.NewServer(observe.Handler(c.Client(), nil))
	defer srv.Close()
	code, body := get(t, srv, "/events?kind=nonsense")
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, string(body), "unknown event kind")

	ctx, cancel := context.WithTimeout(t.Context(), cluster.Patience)
	defer cancel()
	for range observe.MaxInFlight {
		resp := openEvents(t, ctx, srv, "")
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	resp := openEvents(t, ctx, srv, "")
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
}

// A stream outlives the server's WriteTimeout: each write gets its own
// deadline (EventsWriteTimeout) instead.
func TestEventsStreamOutlivesServerWriteTimeout(t *testing.T) {
	c := cluster.Start(t, cluster.Config{N: 3})
	c.Configure()
	c.WaitLeader()
	srv := httptest.NewUnstartedServer(observe.Handler(c.Client(), nil))
	srv.Config.WriteTimeout = 300 * time.Millisecond
	srv.Start()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), cluster.Patience)
	defer cancel()
	resp := openEvents(t, ctx, srv, "?kind=send") // heartbeats: a steady flow
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	start := time.Now()
	for time.Since(start) < 5*srv.Config.WriteTimeout {
		require.True(t, sc.Scan(), "the stream ended after %v: %v", time.Since(start), sc.Err())
	}
}
