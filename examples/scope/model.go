package main

import (
	"context"
	"sync"
	"time"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/events"
)

// The page's picture of the cluster is built here, from the System's events
// alone: the Go side keeps one model and the page polls it (/api/state),
// while message animations come straight from /events. One implementation
// of "what does each peer hold", and a page reload loses nothing.

// maxStrip bounds the entry terms kept per peer (the newest ones): the
// model's memory does not grow with the log.
const maxStrip = 512

// peerModel is what the page shows of one peer.
type peerModel struct {
	Name    string `json:"name"`
	Up      bool   `json:"up"`
	Role    string `json:"role"`
	Term    uint64 `json:"term"`
	Leader  string `json:"leader,omitempty"`
	Voted   string `json:"voted,omitempty"`
	Commit  uint64 `json:"commit"`
	Applied uint64 `json:"applied"`
	Last    uint64 `json:"last"`
	// Base is the index before Terms[0]: Terms[i] is entry Base+1+i's term.
	Base  uint64   `json:"base"`
	Terms []uint64 `json:"terms"`

	Restarts    int    `json:"restarts"`
	Incarnation uint64 `json:"incarnation"`
	Note        string `json:"note,omitempty"` // the last kill, restart or stop

	timerAt      time.Time     // when the last timer event was seen
	timerLeft    time.Duration // its Remaining
	TimerLeftMS  int64         `json:"timer_left_ms"` // filled in by snapshot
	TimerTotalMS int64         `json:"timer_total_ms"`
}

// model is every peer's peerModel, fed by one subscription.
type model struct {
	mu      sync.Mutex
	peers   map[string]*peerModel
	members []string
	cfg     string // configuration state
	dropped uint64
	log     []string // recent notable events, newest last
}

func newModel() *model { return &model{peers: make(map[string]*peerModel)} }

// follow applies sys's events until ctx ends.
func (m *model) follow(ctx context.Context, sys *rafter.System) {
	ch := sys.Subscribe(ctx, rafter.EventFilter{Buffer: events.MaxBuffer, Kinds: []events.Kind{
		events.KindRole, events.KindVote, events.KindAppend, events.KindCommit, events.KindApply,
		events.KindTimer, events.KindConfig, events.KindStart, events.KindDown, events.KindRestart,
		events.KindKill, events.KindStop,
	}})
	go func() {
		for e := range ch {
			m.apply(e)
		}
	}()
}

func (m *model) peer(name string) *peerModel {
	p, ok := m.peers[name]
	if !ok {
		p = &peerModel{Name: name, Role: "follower"}
		m.peers[name] = p
	}
	return p
}

// note keeps a line for the page's event list, bounded.
func (m *model) note(e events.Event, text string) {
	m.log = append(m.log, e.Time.Format("15:04:05.000")+"  "+e.Peer+": "+text)
	if len(m.log) > 30 {
		m.log = m.log[len(m.log)-30:]
	}
}

// apply folds one event into the model.
func (m *model) apply(e events.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropped += e.Dropped
	p := m.peer(e.Peer)
	switch e.Kind {
	case events.KindRole:
		if e.Role != p.Role && (e.Role == "leader" || e.Role == "candidate" || p.Role == "leader") {
			m.note(e, e.Role+" in term "+itoa(e.Term))
		}
		p.Up, p.Role, p.Term, p.Leader = true, e.Role, e.Term, e.Leader
		if e.Role == "leader" {
			p.timerLeft = 0
		}
	case events.KindVote:
		p.Voted = e.To
	case events.KindAppend:
		p.truncate(e.First - 1)
		for i := e.First; i <= e.Last; i++ {
			p.Terms = append(p.Terms, e.EntryTerm)
		}
		p.trim()
		p.Last = e.Last
	case events.KindCommit:
		p.Commit = e.Last
	case events.KindApply:
		p.Applied = e.Last
	case events.KindTimer:
		p.timerAt, p.timerLeft, p.TimerTotalMS = e.Time, e.Remaining, e.Timeout.Milliseconds()
	case events.KindConfig:
		m.cfg = e.State
		m.members = e.Old
		if len(e.New) > 0 {
			m.members = e.New
		}
	case events.KindStart:
		p.Up, p.Role, p.Term, p.Incarnation = true, "follower", e.Term, e.Incarnation
		p.Commit, p.Applied, p.Leader = 0, 0, ""
		p.truncate(e.Last)
		p.Last = e.Last
	case events.KindDown:
		p.Up, p.Role, p.timerLeft = false, "down", 0
	case events.KindRestart:
		p.Restarts++
		p.Note = "restarted by its supervisor: " + e.Actor + " went down"
		m.note(e, p.Note)
	case events.KindKill:
		p.Note = "killed: " + e.Actor
		m.note(e, "kill "+e.Actor+" actor")
	case events.KindStop:
		p.Up, p.Role, p.Note = false, "stopped", "stopped"
		m.note(e, "stopped")
	}
}

// truncate drops the entries after index n.
func (p *peerModel) truncate(n uint64) {
	switch {
	case n < p.Base:
		p.Base, p.Terms = n, p.Terms[:0]
	case n-p.Base < uint64(len(p.Terms)):
		p.Terms = p.Terms[:n-p.Base]
	case n-p.Base > uint64(len(p.Terms)):
		// A gap (entries appended while no one watched): start afresh.
		p.Base, p.Terms = n, p.Terms[:0]
	}
}

// trim keeps the newest maxStrip terms.
func (p *peerModel) trim() {
	if over := len(p.Terms) - maxStrip; over > 0 {
		p.Terms = append(p.Terms[:0], p.Terms[over:]...)
		p.Base += uint64(over)
	}
}

// snapshot is what /api/state serves.
type snapshot struct {
	Now     time.Time   `json:"now"`
	Peers   []peerModel `json:"peers"`
	Members []string    `json:"members"`
	Config  string      `json:"config"`
	Dropped uint64      `json:"dropped"`
	Log     []string    `json:"log"`
}

// snapshot copies the model for the peers named, in that order.
func (m *model) snapshot(names []string, now time.Time) snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := snapshot{Now: now, Members: append([]string(nil), m.members...), Config: m.cfg,
		Dropped: m.dropped, Log: append([]string(nil), m.log...)}
	for _, n := range names {
		p := *m.peer(n)
		p.Terms = append([]uint64(nil), p.Terms...)
		if p.timerLeft > 0 && p.Up && p.Role != "leader" {
			p.TimerLeftMS = max(0, (p.timerLeft - now.Sub(p.timerAt)).Milliseconds())
		}
		s.Peers = append(s.Peers, p)
	}
	return s
}

func itoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
