package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/observe"
)

//go:embed web
var webFiles embed.FS

// The page's HTTP surface:
//
//	/                 the page (web/index.html, scope.js, scope.css; embedded)
//	/api/state        GET: the model (state of every peer, cuts, settings)
//	/api/<action>     POST: kill, stop, start, cut, heal, isolate, write,
//	                  read, members, transfer, settings; arguments in the
//	                  query string, reply {"ok":..., "error":...}
//	/events, /status, /metrics   package observe's handler
//
// Actions change the cluster: the server listens on loopback only, and a
// POST whose Origin is another site is refused (a page elsewhere cannot
// drive it through the visitor's browser).

// reply is an action's answer.
type reply struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	Index uint64 `json:"index,omitempty"`
	Value string `json:"value,omitempty"`
	Found bool   `json:"found,omitempty"`
}

// stateReply is /api/state.
type stateReply struct {
	snapshot
	Cuts     []string        `json:"cuts"`
	Settings settings        `json:"settings"`
	Running  map[string]bool `json:"running"`
	Timing   timing          `json:"timing"`
}

// handler returns the whole HTTP surface of s.
func (s *scope) handler(reg prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(webFiles, "web")
	mux.Handle("GET /", http.FileServerFS(static))
	obs := observe.Handler(s.sys, reg)
	for _, p := range []string{"GET /events", "GET /status", "GET /metrics"} {
		mux.Handle(p, obs)
	}
	mux.HandleFunc("GET /api/state", s.serveState)
	mux.HandleFunc("POST /api/{action}", s.serveAction)
	return mux
}

func (s *scope) serveState(w http.ResponseWriter, _ *http.Request) {
	set, running := s.current()
	st := stateReply{snapshot: s.model.snapshot(s.names(), time.Now()), Cuts: s.cutList(),
		Settings: set, Running: running, Timing: s.timing}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(st)
}

func (s *scope) serveAction(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r.Host) {
		http.Error(w, "scope: cross-site request refused", http.StatusForbidden)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), opTimeout)
	defer cancel()
	rep, err := s.act(ctx, r.PathValue("action"), r.URL.Query())
	code := http.StatusOK
	switch {
	case errors.Is(err, errBadRequest), errors.Is(err, errUnknownPeer):
		code = http.StatusBadRequest
	case err != nil:
		code = http.StatusConflict // the cluster refused (no leader, timeout, ...)
	}
	if err != nil {
		rep = reply{Error: err.Error()}
	} else {
		rep.OK = true
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(rep)
}

func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host == host
}

// act carries out one action.
func (s *scope) act(ctx context.Context, action string, q url.Values) (reply, error) {
	peer := func() (rafter.Peer, error) { return s.peer(q.Get("peer")) }
	switch action {
	case "kill":
		p, err := peer()
		if err != nil {
			return reply{}, err
		}
		which := rafter.ActorConsensus
		switch q.Get("actor") {
		case "consensus":
		case "log":
			which = rafter.ActorLog
		default:
			return reply{}, fmt.Errorf("%w: actor must be consensus or log", errBadRequest)
		}
		return reply{}, s.sys.Kill(p, which)
	case "stop", "start":
		p, err := peer()
		if err != nil {
			return reply{}, err
		}
		if action == "stop" {
			return reply{}, s.stop(p)
		}
		return reply{}, s.startAgain(p)
	case "cut", "heal":
		a, errA := s.peer(q.Get("a"))
		b, errB := s.peer(q.Get("b"))
		if err := errors.Join(errA, errB); err != nil {
			return reply{}, err
		}
		s.setCut(a.Name, b.Name, action == "cut")
		return reply{}, nil
	case "isolate", "rejoin":
		p, err := peer()
		if err != nil {
			return reply{}, err
		}
		s.isolate(p.Name, action == "isolate")
		return reply{}, nil
	case "healall":
		s.healAll()
		return reply{}, nil
	case "write":
		key, val := q.Get("key"), q.Get("value")
		if key == "" || len(key) > maxKeyBytes || len(val) > maxValBytes {
			return reply{}, fmt.Errorf("%w: key of 1..%d bytes, value of at most %d", errBadRequest, maxKeyBytes, maxValBytes)
		}
		idx, err := s.write(ctx, key, val)
		return reply{Index: idx}, err
	case "read":
		key := q.Get("key")
		if key == "" || len(key) > maxKeyBytes {
			return reply{}, fmt.Errorf("%w: key of 1..%d bytes", errBadRequest, maxKeyBytes)
		}
		v, found, err := s.read(ctx, key)
		return reply{Value: v, Found: found}, err
	case "members":
		var names []string
		if m := q.Get("peers"); m != "" {
			names = strings.Split(m, ",")
		}
		return reply{}, s.members(ctx, names)
	case "transfer":
		p, err := peer()
		if err != nil {
			return reply{}, err
		}
		return reply{}, s.transfer(ctx, p)
	case "settings":
		slow, err := strconv.Atoi(q.Get("slow"))
		if err != nil {
			return reply{}, fmt.Errorf("%w: slow: %w", errBadRequest, err)
		}
		return reply{}, s.apply(settings{Slow: slow, PreVote: q.Get("prevote") == "true"})
	}
	return reply{}, fmt.Errorf("%w: unknown action %q", errBadRequest, action)
}
