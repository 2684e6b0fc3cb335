package observe

import (
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rafter-go/rafter"
)

// Bounds of the handler: every request's cost is fixed by these and by the
// number of peers the System hosts, never by the request.
const (
	// MaxInFlight bounds the concurrent requests per endpoint; more get 503.
	MaxInFlight = 4
	// StatusTimeout bounds the whole /status request (each peer is asked
	// in turn within it; a peer that does not answer in time is listed
	// with an error).
	StatusTimeout = 5 * time.Second
	// MetricsTimeout bounds one /metrics scrape.
	MetricsTimeout = 10 * time.Second
)

// Handler serves a System's observability endpoints, read-only:
//
//	/metrics  the Prometheus text format of reg (404 when reg is nil)
//	/status   JSON: the Status of every local peer (System.LocalPeers)
//	/events   Server-Sent Events: the System's events (System.Subscribe),
//	          one JSON events.Event per message; ?peer=a,b&kind=send,role
//	          narrow it
//	/         a plain-text index of the endpoints
//
// Only GET and HEAD are served (405 otherwise); request bodies are
// ignored, and so are query strings except /events' filter. At most
// MaxInFlight /events streams are open at once. Mount it on a listener that only operators reach:
// /status tells the cluster's shape.
func Handler(sys *rafter.System, reg prometheus.Gatherer) http.Handler {
	h := &handler{sys: sys, status: make(chan struct{}, MaxInFlight), streams: make(chan struct{}, MaxInFlight)}
	h.mux.HandleFunc("/", h.index)
	h.mux.HandleFunc("/status", h.serveStatus)
	h.mux.HandleFunc("/events", h.serveEvents)
	if reg != nil {
		h.mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
			MaxRequestsInFlight: MaxInFlight,
			Timeout:             MetricsTimeout,
			ErrorHandling:       promhttp.ContinueOnError,
		}))
		h.endpoints = append(h.endpoints, "/metrics")
	}
	h.endpoints = append(h.endpoints, "/status", "/events")
	return h
}

// handler is the mux and the state of its endpoints. New endpoints (an
// event stream, a web view) are further routes on mux.
type handler struct {
	sys       *rafter.System
	mux       http.ServeMux
	endpoints []string
	status    chan struct{} // a slot per /status request in flight
	streams   chan struct{} // a slot per /events stream open
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "observe: read-only: GET or HEAD only", http.StatusMethodNotAllowed)
		return
	}
	h.mux.ServeHTTP(w, r)
}

func (h *handler) index(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "rafter observability endpoints:")
	for _, e := range h.endpoints {
		fmt.Fprintln(w, e)
	}
}
