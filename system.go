package rafter

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/actor"
	"github.com/rafter-go/rafter/config"
	"github.com/rafter-go/rafter/consensus"
	"github.com/rafter-go/rafter/events"
	"github.com/rafter-go/rafter/metrics"
)

// SystemOptions configures a System.
type SystemOptions struct {
	// ListenAddr is the host:port the System listens on for peers and
	// clients in other Systems ("127.0.0.1:0" picks a free port). Empty:
	// local only, no network. Default: "".
	ListenAddr string
	// AdvertiseAddr is the host:port other Systems dial to reach this one
	// (it is the Node of this System's peers). Empty: the address
	// ListenAddr resolved to. Default: "".
	AdvertiseAddr string
	// Logger receives the System's and its peers' logs (protoactor's too).
	// nil discards them. Default: nil.
	Logger *slog.Logger
	// TLS makes every connection with other Systems mutual TLS: each side
	// presents a certificate of the CA and verifies the other's, TLS 1.3 at
	// least. TLSFromFiles builds one from PEM files, with an optional
	// allowlist of certificate names and reloading on rotation. With TLS
	// on, a peer's identity is its certificate: a Raft message is accepted
	// only if its sender's name is one of the connection certificate's
	// names (DNS SANs or common name), so each peer's certificate must name
	// it. nil: plaintext, allowed only on a loopback ListenAddr or with
	// Insecure. Default: nil.
	TLS *tls.Config
	// Insecure allows listening beyond loopback without TLS: anyone who can
	// reach the port can then send Raft messages and client requests. The
	// System logs a warning when it starts so. Default: false.
	Insecure bool
	// Interceptor, if set, sees every message a peer of this System sends
	// across the link to another peer, and decides its fate: Raft
	// messages, the client requests a follower forwards to its leader, and
	// the leader's answers to them. Tests use it for partitions, loss,
	// duplication and delay. It is called concurrently from the peers'
	// actors and must be safe for that. Default: nil (deliver everything).
	Interceptor Interceptor
	// OnPeerStopped, if set, is called once for each peer of this System
	// whose supervisor gives up on its own (restart intensity exceeded,
	// for example by a full disk failing every write, or a start that
	// keeps failing), with the reason (a *supervisor.IntensityError or
	// *supervisor.StartError). It is not called for StopNode or Shutdown.
	// The peer stays down, answering ErrStopped, until StartNode: a
	// process serving only this peer should exit non-zero so that its
	// service manager restarts it. Called on its own goroutine.
	// Default: nil.
	OnPeerStopped func(p Peer, reason error)
	// Metrics, if set, receives the Prometheus metrics of this System and
	// its peers (labelled by peer; package metrics lists them). nil: no
	// metrics, at the cost of a nil check on the hot path. Two Systems may
	// share one Registerer if their peers' names differ. Default: nil.
	Metrics prometheus.Registerer
}

// Interceptor decides what happens to one peer-to-peer message. msg is a
// *rafterpb.RaftMessage, or a forwarded client request (*rafterpb.OpRequest,
// *rafterpb.ReadOpRequest, *rafterpb.SetConfigRequest, with Forwarder set)
// going from the forwarding peer to the leader, or the leader's reply to
// one (*rafterpb.OpReply, ...) going back to the forwarding peer's side.
// Duplicate acts on Raft messages only; a client message is then delivered
// once.
type Interceptor func(from, to Peer, msg proto.Message) Decision

// Decision is an Interceptor's verdict: Deliver, Drop, Duplicate or
// Delay(d). The zero Decision is Deliver.
type Decision struct {
	action consensus.Action
	delay  time.Duration
}

var (
	// Deliver sends the message normally.
	Deliver = Decision{action: consensus.Deliver}
	// Drop loses the message.
	Drop = Decision{action: consensus.Drop}
	// Duplicate sends the message twice.
	Duplicate = Decision{action: consensus.Duplicate}
)

// Delay sends the message after d (so later messages may overtake it).
func Delay(d time.Duration) Decision { return Decision{action: consensus.Delay, delay: d} }

func (d Decision) String() string {
	switch d.action {
	case consensus.Deliver:
		return "deliver"
	case consensus.Drop:
		return "drop"
	case consensus.Duplicate:
		return "duplicate"
	case consensus.Delay:
		return "delay " + d.delay.String()
	}
	return "unknown"
}

// System hosts peers: one protoactor actor system, optionally reachable
// from other Systems over the network. Its methods are safe for concurrent
// use.
type System struct {
	actors  *actor.System
	opts    SystemOptions
	log     *slog.Logger
	metrics *metrics.Set         // nil without SystemOptions.Metrics
	refused prometheus.Collector // network_refused_total of this System, if registered
	events  *events.Bus          // Subscribe's; peers publish on it

	mu     sync.Mutex
	nodes  map[string]*node // by peer name
	closed bool
	boot   bootstrapMemo // the last Bootstrap's list and cluster ID (bootstrap.go)

	pids pidCache // the consensus actors clients call (pidcache.go)
}

// node is the System's record of one started peer.
type node struct {
	peer     Peer
	sup      *protoactor.PID
	done     chan struct{} // closed when the peer's supervisor has stopped
	once     sync.Once
	stopping bool  // StopNode or Shutdown asked for the stop
	reason   error // why the supervisor stopped, if it did so on its own
	// stopTransfer is Options.StopTransferTimeout: how long StopNode of a
	// leader tries to hand its leadership over first.
	stopTransfer time.Duration
	// maxCommand is the peer's Options.MaxCommandBytes, checked by Op
	// before sending.
	maxCommand int
}

// NewSystem starts a System. With opts.ListenAddr set it listens for other
// Systems before any peer starts, and accepts from them only Raft messages
// and client requests (see Refused). Errors: *SystemOptionError (wraps
// ErrInvalidOptions) for options Validate refuses.
func NewSystem(opts SystemOptions) (*System, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.ListenAddr != "" && opts.TLS == nil && !isLoopback(opts.ListenAddr) {
		logger.Warn("rafter: INSECURE: listening beyond loopback without TLS; anyone who reaches "+
			opts.ListenAddr+" can send Raft messages and client requests to every peer of this System",
			"listen", opts.ListenAddr)
	}
	s := &System{opts: opts, log: logger, nodes: make(map[string]*node), events: events.NewBus()}
	as, err := actor.NewSystem(actor.Options{
		Logger:        logger,
		ListenAddr:    opts.ListenAddr,
		AdvertiseAddr: opts.AdvertiseAddr,
		TLS:           opts.TLS,
		Accept:        s.accept,
	})
	if err != nil {
		return nil, fmt.Errorf("rafter: new system: %w", err)
	}
	s.actors = as
	if err := s.startMetrics(); err != nil {
		_ = as.Shutdown()
		return nil, err
	}
	if opts.ListenAddr != "" {
		if err := s.startControl(); err != nil {
			_ = as.Shutdown()
			s.stopMetrics()
			return nil, err
		}
	}
	return s, nil
}

// Refused returns how many messages, RPCs and connections from other
// Systems this System has refused: anything but Raft messages and client
// requests; with TLS, Raft messages whose sender the connection's
// certificate does not name, and failed handshakes (no certificate,
// another CA, expired, not on the allowlist). Each refusal is also logged
// (at most one line per second).
func (s *System) Refused() uint64 { return s.actors.Refused() }

// Address is the advertised host:port of the System, "" when local only.
// Peers of this System that other Systems reach use it as their Node.
func (s *System) Address() string { return s.actors.Address() }

// Shutdown stops every peer of the System (as StopNode), then the actor
// system and its network listener. Calling it again does nothing.
func (s *System) Shutdown() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	names := make([]string, 0, len(s.nodes))
	for name := range s.nodes {
		names = append(names, name)
	}
	s.mu.Unlock()
	var errs []error
	for _, name := range names {
		if err := s.stopNode(name); err != nil && !errors.Is(err, ErrStopped) {
			errs = append(errs, err)
		}
	}
	if err := s.actors.Shutdown(); err != nil {
		errs = append(errs, fmt.Errorf("rafter: shutdown: %w", err))
	}
	s.stopMetrics()
	s.events.Close()
	return errors.Join(errs...)
}

// isLocal reports whether p lives in this System.
func (s *System) isLocal(p Peer) bool {
	return p.Node == "" || p.Node == s.Address()
}

// checkPeer validates a peer named by a caller.
func checkPeer(p Peer) error {
	switch {
	case p.Name == "":
		return fmt.Errorf("%w: peer without a name", ErrInvalidArgument)
	case strings.Contains(p.Name, "/"):
		return fmt.Errorf("%w: peer name %q contains '/'", ErrInvalidArgument, p.Name)
	}
	if err := config.CheckNode(p.Node); err != nil {
		return fmt.Errorf("%w: peer %q: %w", ErrInvalidArgument, p.Name, err)
	}
	return nil
}

// running returns the record of a local peer that is running, or ErrStopped
// with the reason if the supervisor gave up.
func (s *System) running(name string) (*node, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("%w: system shut down", ErrStopped)
	}
	n, ok := s.nodes[name]
	if !ok {
		return nil, fmt.Errorf("%w: peer %q is not started in this system", ErrStopped, name)
	}
	select {
	case <-n.done:
		if n.reason != nil {
			return nil, fmt.Errorf("%w: peer %q: %w", ErrStopped, name, n.reason)
		}
		return nil, fmt.Errorf("%w: peer %q", ErrStopped, name)
	default:
	}
	return n, nil
}

// markStopped records that n's supervisor has stopped; it is the
// supervisor's OnStop callback.
func (s *System) markStopped(n *node, reason error) {
	s.mu.Lock()
	stopping := n.stopping
	if !stopping {
		n.reason = reason
	}
	s.mu.Unlock()
	if !stopping {
		// rafter: the consensus supervisor exceeded its restart intensity;
		// the peer stays down until StartNode.
		s.log.Error("rafter: peer stopped by its supervisor", "peer", n.peer.String(), "reason", reason)
		if f := s.opts.OnPeerStopped; f != nil {
			go f(n.peer, reason)
		}
	}
	n.once.Do(func() {
		s.publish(n.peer, Event{Kind: events.KindStop, Reason: errText(reason)})
		close(n.done)
	})
}
