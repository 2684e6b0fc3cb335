package observe

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/rafterpb"
)

// StatusReply is the JSON document /status serves.
type StatusReply struct {
	// System is the System's advertised address, "" when local only.
	System string       `json:"system"`
	Peers  []PeerStatus `json:"peers"`
}

// PeerStatus is one local peer's rafter.Status as JSON. Error is set (and
// the rest left zero) when the peer did not answer.
type PeerStatus struct {
	Peer         string  `json:"peer"`
	Role         string  `json:"role,omitempty"`
	Term         uint64  `json:"term"`
	Leader       string  `json:"leader,omitempty"`
	VotedFor     string  `json:"voted_for,omitempty"`
	CommitIndex  uint64  `json:"commit_index"`
	AppliedIndex uint64  `json:"applied_index"`
	LastIndex    uint64  `json:"last_index"`
	LastTerm     uint64  `json:"last_term"`
	Config       *Config `json:"config,omitempty"`
	Error        string  `json:"error,omitempty"`
}

// Config is a peer's latest configuration: its state (blank, stable,
// staging, transitional) and server lists.
type Config struct {
	State string   `json:"state"`
	Old   []string `json:"old,omitempty"`
	New   []string `json:"new,omitempty"`
	// Learners: members that vote in nothing (Status.Learners).
	Learners []string `json:"learners,omitempty"`
}

// serveStatus answers /status: each local peer's Status, asked in name
// order within StatusTimeout.
func (h *handler) serveStatus(w http.ResponseWriter, r *http.Request) {
	select {
	case h.status <- struct{}{}:
		defer func() { <-h.status }()
	default:
		http.Error(w, "observe: too many /status requests in flight", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), StatusTimeout)
	defer cancel()
	reply := Status(ctx, h.sys)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(reply) // a failed write means the client went away
}

// Status gathers the StatusReply of sys: what /status serves.
func Status(ctx context.Context, sys *rafter.System) StatusReply {
	peers := sys.LocalPeers()
	reply := StatusReply{System: sys.Address(), Peers: make([]PeerStatus, 0, len(peers))}
	for _, p := range peers {
		st, err := sys.Status(ctx, p)
		if err != nil {
			reply.Peers = append(reply.Peers, PeerStatus{Peer: p.String(), Error: err.Error()})
			continue
		}
		reply.Peers = append(reply.Peers, peerStatus(p, st))
	}
	return reply
}

func peerStatus(p rafter.Peer, st rafter.Status) PeerStatus {
	ps := PeerStatus{
		Peer:         p.String(),
		Role:         st.Role.String(),
		Term:         st.Term,
		CommitIndex:  st.CommitIndex,
		AppliedIndex: st.AppliedIndex,
		LastIndex:    st.LastIndex,
		LastTerm:     st.LastTerm,
	}
	if st.Leader != (rafter.Peer{}) {
		ps.Leader = st.Leader.String()
	}
	if st.VotedFor != (rafter.Peer{}) {
		ps.VotedFor = st.VotedFor.String()
	}
	if st.Config != nil {
		ps.Config = &Config{
			State: strings.ToLower(strings.TrimPrefix(st.Config.GetState().String(), "CONFIG_STATE_")),
			Old:   names(st.Config.GetOldServers()),
			New:   names(st.Config.GetNewServers()),
		}
		for _, p := range st.Learners() {
			ps.Config.Learners = append(ps.Config.Learners, p.String())
		}
	}
	return ps
}

func names(ps []*rafterpb.Peer) []string {
	out := make([]string, 0, len(ps))
	for _, p := range rafter.PeersOf(ps) {
		out = append(out, p.String())
	}
	return out
}
