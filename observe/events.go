package observe

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/events"
)

// Bounds of /events.
const (
	// EventsBuffer is the subscription buffer of one /events stream: a
	// client that reads slower than the peers publish loses events, each
	// loss counted in the next event's "dropped".
	EventsBuffer = 4096
	// EventsKeepAlive is how often an idle stream sends a comment line, so
	// proxies and the browser keep the connection.
	EventsKeepAlive = 15 * time.Second
	// EventsWriteTimeout bounds each write of a stream: a client that stops
	// reading is dropped after it, whatever the server's own WriteTimeout
	// (which would otherwise end every stream, however healthy, when it
	// runs out).
	EventsWriteTimeout = 10 * time.Second
	// maxFilterNames bounds the names a query may list.
	maxFilterNames = 64
)

// serveEvents streams the System's events as Server-Sent Events: each event
// is one "data:" line of JSON (events.Event) with its sequence number as
// the SSE id. The query may narrow it: peer=a,b and kind=send,receive
// (events.Kind names); an unknown kind is a 400.
func (h *handler) serveEvents(w http.ResponseWriter, r *http.Request) {
	f, err := eventFilter(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc := http.NewResponseController(w)
	select {
	case h.streams <- struct{}{}:
		defer func() { <-h.streams }()
	default:
		http.Error(w, "observe: too many /events streams", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	// send writes under a fresh deadline, then flushes.
	send := func(write func() error) error {
		if err := rc.SetWriteDeadline(time.Now().Add(EventsWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		if err := write(); err != nil {
			return err
		}
		return rc.Flush()
	}
	if send(func() error { return nil }) != nil || r.Method == http.MethodHead {
		return
	}
	ch := h.sys.Subscribe(r.Context(), f)
	keep := time.NewTicker(EventsKeepAlive)
	defer keep.Stop()
	for {
		select {
		case e, open := <-ch:
			if !open {
				return // the client left or the System shut down
			}
			if send(func() error { return writeEvent(w, e, ch) }) != nil {
				return
			}
		case <-keep.C:
			if send(func() error { _, err := fmt.Fprint(w, ": keep-alive\n\n"); return err }) != nil {
				return
			}
		}
	}
}

// writeEvent writes e and whatever else is already queued, flushed once.
func writeEvent(w http.ResponseWriter, e rafter.Event, ch <-chan rafter.Event) error {
	for range EventsBuffer {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "id: %d\ndata: %s\n\n", e.Seq, b); err != nil {
			return err
		}
		select {
		case next, open := <-ch:
			if !open {
				return nil
			}
			e = next
		default:
			return nil
		}
	}
	return nil
}

// eventFilter reads the peer= and kind= query parameters.
func eventFilter(r *http.Request) (rafter.EventFilter, error) {
	f := rafter.EventFilter{Buffer: EventsBuffer}
	q := r.URL.Query()
	f.Peers = splitList(q.Get("peer"))
	for _, name := range splitList(q.Get("kind")) {
		k, err := events.ParseKind(name)
		if err != nil {
			return f, fmt.Errorf("observe: /events: %w", err)
		}
		f.Kinds = append(f.Kinds, k)
	}
	if len(f.Peers) > maxFilterNames || len(f.Kinds) > maxFilterNames {
		return f, fmt.Errorf("observe: /events: more than %d names in a filter", maxFilterNames)
	}
	return f, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
