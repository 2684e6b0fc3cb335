package observe_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter/internal/cluster"
	"github.com/rafter-go/rafter/observe"
)

// get fetches path from srv and returns status code and body.
func get(t *testing.T, srv *httptest.Server, path string) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
	require.NoError(t, err)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, body
}

// scrape fetches /metrics and parses it with the Prometheus text parser.
func scrape(t *testing.T, srv *httptest.Server) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := get(t, srv, "/metrics")
	require.Equal(t, http.StatusOK, code, "%s", body)
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(bytesReader(body))
	require.NoError(t, err, "the scrape does not parse:\n%s", body)
	return fams
}

// status fetches /status and decodes it.
func status(t *testing.T, srv *httptest.Server) observe.StatusReply {
	t.Helper()
	code, body := get(t, srv, "/status")
	require.Equal(t, http.StatusOK, code, "%s", body)
	var r observe.StatusReply
	require.NoError(t, json.Unmarshal(body, &r), "/status is not JSON:\n%s", body)
	return r
}

// sample finds the metric of family name whose labels include want; nil if
// none.
func sample(fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		return m
	}
	return nil
}

// value is a counter's, gauge's or histogram's count; -1 if absent.
func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	m := sample(fams, name, labels)
	switch {
	case m == nil:
		return -1
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	case m.GetHistogram() != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return -1
}

// poll retries cond until it holds or cluster.Patience passes.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(cluster.Patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, cluster.Patience)
		}
		time.Sleep(20 * time.Millisecond) // poll interval, not synchronisation
	}
}
