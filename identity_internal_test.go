package rafter

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/internal/echo"
	"github.com/rafter-go/rafter/rafterpb"
)

// crossWire is the mistake under test: every Raft message a System's peer
// sends also goes, over the network, to the peer of the same name in the
// other System, as if each cluster's addresses pointed at the other's
// machines too. The copy leaves through the sending System's remote layer
// and enters the other's through its network surface, as a message from a
// misconfigured peer would.
type crossWire struct {
	on    atomic.Bool
	left  *System
	right *System
	sent  atomic.Int64
}

func (w *crossWire) interceptor(self **System) Interceptor {
	return func(_, to Peer, msg proto.Message) Decision {
		m, ok := msg.(*rafterpb.RaftMessage)
		if !ok || !w.on.Load() {
			return Deliver
		}
		from, other := *self, w.left
		if from == w.left {
			other = w.right
		}
		pid := from.actors.PIDOf(to.Name+"/consensus", other.Address())
		from.actors.Root().Send(pid, proto.Clone(m))
		w.sent.Add(1)
		return Deliver
	}
}

// sameNames starts a System listening on loopback that hosts p1, p2 and p3
// (Node "": this System), so two such Systems host clusters whose peers
// are named exactly alike.
func sameNames(t *testing.T, w *crossWire, slot **System) []Peer {
	s, err := NewSystem(SystemOptions{ListenAddr: "127.0.0.1:0", Interceptor: w.interceptor(slot)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Shutdown() })
	*slot = s
	base := t.TempDir()
	var peers []Peer
	for i := range 3 {
		p := Peer{Name: fmt.Sprintf("p%d", i+1)}
		o := DefaultOptions()
		o.DataDir = filepath.Join(base, p.Name)
		o.StateMachine = func() StateMachine { return echo.New() }
		// Generous timeouts: a term change here must be the other
		// cluster's doing, not a slow machine's.
		o.HeartbeatInterval, o.ElectionTimeoutMin, o.ElectionTimeoutMax = 50*time.Millisecond, time.Second, 2*time.Second
		require.NoError(t, s.StartNode(p, o))
		peers = append(peers, p)
	}
	return peers
}

// peerView is what must not change: a peer's term, leader and cluster.
type peerView struct {
	Term    uint64
	Leader  Peer
	Cluster uint64
}

func viewOf(t *testing.T, s *System, peers []Peer) map[string]peerView {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v := map[string]peerView{}
	for _, p := range peers {
		st, err := s.Status(ctx, p)
		require.NoError(t, err)
		v[p.Name] = peerView{Term: st.Term, Leader: st.Leader, Cluster: st.ClusterID()}
	}
	return v
}

// waitServing waits until every peer of s names one leader and an Op
// through p1 commits; it returns the leader.
func waitServing(t *testing.T, s *System, peers []Peer, what string) Peer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, retry(ctx, func() error { _, err := s.Op(ctx, peers[0], []byte(what)); return err }))
	var leader Peer
	require.Eventually(t, func() bool {
		leader = Peer{}
		for _, p := range peers {
			st, err := s.Status(ctx, p)
			if err != nil || st.Leader.IsZero() || (!leader.IsZero() && st.Leader != leader) {
				return false
			}
			leader = st.Leader
		}
		return true
	}, 20*time.Second, 10*time.Millisecond)
	return leader
}

// Issue 13 item 3, acceptance: two 3-peer clusters whose peers have the
// same names, each created with Bootstrap, are wired to each other by
// mistake (every Raft message also reaches the same-named peer of the
// other cluster, over the network). Neither changes term or leader because
// of the other, both keep committing, neither log takes the other's
// commands, and the drops are counted in Status.RefusedMessages. Without
// the cluster ID check the clusters disturb each other: the right cluster
// is moved to a newer term first, so its messages would depose the left
// leader and its replies would be taken as the left followers'.
func TestTwoClustersWithTheSameNamesStayApart(t *testing.T) {
	w := &crossWire{}
	left := sameNames(t, w, &w.left)
	right := sameNames(t, w, &w.right)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NoError(t, w.left.Bootstrap(ctx, left))
	require.NoError(t, w.right.Bootstrap(ctx, right))
	waitServing(t, w.left, left, "left-0")
	rightLeader := waitServing(t, w.right, right, "right-0")

	// Different terms, so that every crossing message is of another term
	// than its receiver's: a newer term deposes, an older one is answered.
	for viewOf(t, w.left, left)["p1"].Term == viewOf(t, w.right, right)["p1"].Term {
		to := right[0]
		if to == rightLeader {
			to = right[1]
		}
		require.NoError(t, retry(ctx, func() error { return w.right.TransferLeadership(ctx, rightLeader, to) }))
		rightLeader = waitServing(t, w.right, right, "right-transfer")
	}
	beforeLeft, beforeRight := viewOf(t, w.left, left), viewOf(t, w.right, right)
	require.NotZero(t, beforeLeft["p1"].Cluster)
	require.NotEqual(t, beforeLeft["p1"].Cluster, beforeRight["p1"].Cluster, "two bootstraps, two cluster IDs")

	w.on.Store(true)
	// Both keep committing while wired to each other: longer than an
	// election timeout, so that a deposed leader would show.
	deadline := time.Now().Add(3 * time.Second)
	for i := 0; time.Now().Before(deadline) || i < 20; i++ {
		for _, c := range []struct {
			s     *System
			peers []Peer
			name  string
		}{{w.left, left, "left"}, {w.right, right, "right"}} {
			opCtx, opCancel := context.WithTimeout(ctx, 10*time.Second)
			_, err := c.s.Op(opCtx, c.peers[i%3], []byte(fmt.Sprintf("%s-%d", c.name, i+1)))
			opCancel()
			require.NoError(t, err, "%s keeps committing", c.name)
		}
	}
	require.Eventually(t, func() bool {
		for _, c := range []struct {
			s     *System
			peers []Peer
		}{{w.left, left}, {w.right, right}} {
			for _, p := range c.peers {
				st, err := c.s.Status(ctx, p)
				if err != nil || st.RefusedMessages == 0 {
					return false
				}
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond, "every peer counts the other cluster's messages it dropped")
	w.on.Store(false)
	require.Positive(t, w.sent.Load())

	assert.Equal(t, beforeLeft, viewOf(t, w.left, left), "left: same terms, leader and cluster")
	assert.Equal(t, beforeRight, viewOf(t, w.right, right), "right: same terms, leader and cluster")
	for _, c := range []struct {
		s          *System
		peers      []Peer
		own, other string
	}{{w.left, left, "left-", "right-"}, {w.right, right, "right-", "left-"}} {
		for _, p := range c.peers {
			last, err := c.s.GetLastEntry(ctx, p)
			require.NoError(t, err)
			for i := uint64(1); i <= last.GetIndex(); i++ {
				e, err := c.s.GetEntry(ctx, p, i)
				require.NoError(t, err)
				assert.NotContains(t, string(e.GetCmd()), c.other, "%s entry %d is the other cluster's", p, i)
			}
		}
	}
}
