package config

import "github.com/rafter-go/rafter/rafterpb"

func p(name string) *rafterpb.Peer { return &rafterpb.Peer{Name: name} }

func ps(names ...string) []*rafterpb.Peer {
	out := make([]*rafterpb.Peer, len(names))
	for i, n := range names {
		out[i] = p(n)
	}
	return out
}

func names(peers []*rafterpb.Peer) []string {
	out := make([]string, len(peers))
	for i, q := range peers {
		out[i] = q.GetName()
	}
	return out
}

func blank() *rafterpb.Config { return &rafterpb.Config{} }

func stable(old ...string) *rafterpb.Config {
	return &rafterpb.Config{State: rafterpb.ConfigState_CONFIG_STATE_STABLE, OldServers: ps(old...)}
}

func staging(old, nw []string) *rafterpb.Config {
	return &rafterpb.Config{State: rafterpb.ConfigState_CONFIG_STATE_STAGING, OldServers: ps(old...), NewServers: ps(nw...)}
}

func transitional(old, nw []string) *rafterpb.Config {
	return &rafterpb.Config{State: rafterpb.ConfigState_CONFIG_STATE_TRANSITIONAL, OldServers: ps(old...), NewServers: ps(nw...)}
}

// yes builds a vote map in which the named peers voted yes.
func yes(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[PeerKey(p(n))] = true
	}
	return m
}

// idx builds a match map from name, index pairs.
func idx(kv ...any) map[string]uint64 {
	m := map[string]uint64{}
	for i := 0; i < len(kv); i += 2 {
		m[PeerKey(p(kv[i].(string)))] = uint64(kv[i+1].(int))
	}
	return m
}
