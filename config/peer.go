package config

import (
	"fmt"
	"strings"

	"github.com/rafter-go/rafter/rafterpb"
)

// PeerKey returns "name@node", the key under which maps passed to Quorum and
// QuorumMax hold a peer. Node may be empty ("name@"). The key is unique for
// every peer that Validate accepts, because a node never contains '@'.
func PeerKey(p *rafterpb.Peer) string {
	return p.GetName() + "@" + p.GetNode()
}

// SamePeer reports whether a and b name the same peer.
func SamePeer(a, b *rafterpb.Peer) bool {
	return a.GetName() == b.GetName() && a.GetNode() == b.GetNode()
}

// Contains reports whether p is in servers; rafter: lists:member/2.
func Contains(servers []*rafterpb.Peer, p *rafterpb.Peer) bool {
	for _, s := range servers {
		if SamePeer(s, p) {
			return true
		}
	}
	return false
}

// SameServers reports whether a and b hold the same set of peers, in any
// order. rafter-divergence: rafter compares server lists with =:=, so a
// reordered list of the same servers started a (useless) joint consensus
// round; here it is ErrNotModified.
func SameServers(a, b []*rafterpb.Peer) bool {
	as, bs := keySet(a), keySet(b)
	if len(as) != len(bs) {
		return false
	}
	for k := range as {
		if !bs[k] {
			return false
		}
	}
	return true
}

// Validate checks a server list requested by a client: not empty, no nil or
// unnamed peer, no node containing '@', no duplicates. Errors wrap ErrEmpty,
// ErrEmptyName, ErrBadNode or ErrDuplicatePeer.
func Validate(peers []*rafterpb.Peer) error {
	if len(peers) == 0 {
		return ErrEmpty
	}
	seen := make(map[string]bool, len(peers))
	for i, p := range peers {
		if p.GetName() == "" {
			return fmt.Errorf("%w: position %d", ErrEmptyName, i)
		}
		if strings.Contains(p.GetNode(), "@") {
			return fmt.Errorf("%w: %q", ErrBadNode, p.GetNode())
		}
		k := PeerKey(p)
		if seen[k] {
			return fmt.Errorf("%w: %s", ErrDuplicatePeer, k)
		}
		seen[k] = true
	}
	return nil
}

func keySet(peers []*rafterpb.Peer) map[string]bool {
	s := make(map[string]bool, len(peers))
	for _, p := range peers {
		s[PeerKey(p)] = true
	}
	return s
}

// union returns a then the peers of b not in a, without duplicates, keeping
// first occurrences in order (rafter uses sets:from_list, whose order is
// unspecified; a stable order keeps the core deterministic). Server lists
// are short, so a linear scan beats a map.
func union(a, b []*rafterpb.Peer) []*rafterpb.Peer {
	out := make([]*rafterpb.Peer, 0, len(a)+len(b))
	for _, list := range [][]*rafterpb.Peer{a, b} {
		for _, p := range list {
			if !Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

func without(peers []*rafterpb.Peer, me *rafterpb.Peer) []*rafterpb.Peer {
	out := make([]*rafterpb.Peer, 0, len(peers))
	for _, p := range peers {
		if !SamePeer(p, me) {
			out = append(out, p)
		}
	}
	return out
}
