package config

import (
	"fmt"
	"strconv"
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

// CheckNode checks a peer's node: "" (a peer of the local System) or the
// host:port address of a System, with a non-empty host and a port from 1 to
// 65535. A peer whose node is not an address can never be reached: a
// configuration holding one as a voter could wedge the cluster. '@' is
// refused too, as it would make PeerKey ambiguous. The error wraps
// ErrBadNode.
func CheckNode(node string) error {
	if node == "" {
		return nil
	}
	host, port, ok := splitHostPort(node)
	if !ok {
		return fmt.Errorf("%w: %q: not host:port", ErrBadNode, node)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	switch {
	case host == "", strings.ContainsAny(node, "@/ "):
		return fmt.Errorf("%w: %q", ErrBadNode, node)
	case err != nil || n == 0:
		return fmt.Errorf("%w: %q: port %q", ErrBadNode, node, port)
	}
	return nil
}

// splitHostPort splits "host:port" or "[ipv6]:port" as net.SplitHostPort
// does, without importing net: this package does no I/O (CI checks its
// imports). A host may hold no ':' unless bracketed, nor brackets inside.
func splitHostPort(s string) (host, port string, ok bool) {
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]:")
		if end < 0 {
			return "", "", false
		}
		host, port = s[1:end], s[end+2:]
		return host, port, !strings.ContainsAny(host, "[]")
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", "", false
	}
	host, port = s[:i], s[i+1:]
	return host, port, !strings.ContainsAny(host, ":[]")
}

// Validate checks a server list requested by a client: not empty, no nil or
// unnamed peer, no node that is not "" or host:port (CheckNode), no
// duplicates. Errors wrap ErrEmpty,
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
		if err := CheckNode(p.GetNode()); err != nil {
			return err
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
