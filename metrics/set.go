package metrics

import (
	"errors"
	"fmt"
	"math"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rafter-go/rafter/consensus/session"
)

// Set is the collectors of one System: one vector per metric, labelled by
// peer. New registers them once; Peer hands out a peer's children when the
// peer starts and Remove drops them when it stops, so restarting a peer
// (StopNode then StartNode, or a supervisor restart, which keeps the same
// children) never registers anything twice.
type Set struct {
	term, commit, applied, last *prometheus.GaugeVec
	role                        *prometheus.GaugeVec
	leaderChanges               *prometheus.CounterVec
	electionsStarted            *prometheus.CounterVec
	electionsWon                *prometheus.CounterVec
	proposals, reads            *prometheus.CounterVec
	staleReads                  *prometheus.CounterVec
	proposalSeconds             *prometheus.HistogramVec
	readSeconds                 *prometheus.HistogramVec
	forwarded                   *prometheus.CounterVec
	requestErrors               *prometheus.CounterVec
	aeSent, aeReceived          *prometheus.HistogramVec
	inflight                    *prometheus.GaugeVec
	dropped                     *prometheus.CounterVec

	logWriteSeconds *prometheus.HistogramVec
	logSyncSeconds  *prometheus.HistogramVec
	logSyncEntries  *prometheus.HistogramVec
	logSlowHeld     *prometheus.CounterVec

	snapshotIndex, firstIndex   *prometheus.GaugeVec
	snapshotBytes               *prometheus.GaugeVec
	snapshotSeconds             *prometheus.HistogramVec
	snapshotsSaved, installs    *prometheus.CounterVec
	chunksSent, chunksReceived  *prometheus.CounterVec
	snapshotsSent, repeatedSnap *prometheus.CounterVec
	sessionEntries              *prometheus.CounterVec
}

// ErrRegister: a collector could not be registered (a metric of the same
// name with another help text or other labels is in the registry).
var ErrRegister = errors.New("metrics: register")

// latencyBuckets span 100 µs to about 3.3 s: an fsync on an SSD to an
// election's worth of waiting.
var latencyBuckets = prometheus.ExponentialBuckets(0.0001, 2, 16)

// countBuckets are for entries per message or per fsync: 0 (a heartbeat),
// then powers of two up to 4096.
var countBuckets = append([]float64{0}, prometheus.ExponentialBuckets(1, 2, 13)...)

// New creates the collectors and registers them with reg. A collector of
// the same description already in reg (another System of the same process
// registered it) is reused: the Systems then share the vectors, each adding
// and removing its own peers' series.
func New(reg prometheus.Registerer) (*Set, error) {
	if reg == nil {
		return nil, fmt.Errorf("%w: nil Registerer", ErrRegister)
	}
	s := &Set{}
	r := registrar{reg: reg}
	peer := []string{"peer"}
	s.term = gauge(&r, "term", "Current Raft term of the peer (the core's Status.Term).", peer)
	s.role = gauge(&r, "role", "1 for the peer's current Raft role, 0 for the others (follower, pre-candidate, candidate, leader).",
		[]string{"peer", "role"})
	s.commit = gauge(&r, "commit_index", "Highest log index the peer knows committed (the core's Status.CommitIndex).", peer)
	s.applied = gauge(&r, "applied_index", "Highest log index applied to the peer's state machine (the core's Status.Applied).", peer)
	s.last = gauge(&r, "last_index", "Index of the last entry in the peer's log (the core's Status.LastIndex).", peer)
	s.leaderChanges = counter(&r, "leader_changes_total", "Times the leader this peer knows changed to another known peer.", peer)
	s.electionsStarted = counter(&r, "elections_started_total", "Elections this peer started as a candidate (a new term; pre-votes are not counted).", peer)
	s.electionsWon = counter(&r, "elections_won_total", "Elections this peer won (it became leader).", peer)
	s.proposals = counter(&r, "proposals_total", "Op requests that arrived at this peer's Raft core (a follower counts those it then forwards to the leader, and the leader counts them again).", peer)
	s.reads = counter(&r, "reads_total", "Linearizable ReadOp requests that arrived at this peer's Raft core (counted as proposals are).", peer)
	s.staleReads = counter(&r, "stale_reads_total", "StaleReadOp requests this peer answered from its own state machine.", peer)
	s.proposalSeconds = histogram(&r, "proposal_duration_seconds",
		"Seconds from an Op's arrival at this peer's consensus actor to its answer by this peer (errors included; requests forwarded to the leader are timed there).",
		peer, latencyBuckets)
	s.readSeconds = histogram(&r, "read_duration_seconds",
		"Seconds from a linearizable ReadOp's arrival at this peer's consensus actor to its answer by this peer (errors included; forwarded ones are timed at the leader).",
		peer, latencyBuckets)
	s.forwarded = counter(&r, "forwarded_total", "Client requests this peer forwarded to the leader it knows, by request (op, read, set_config).",
		[]string{"peer", "request"})
	s.requestErrors = counter(&r, "request_errors_total",
		"Client requests this peer answered with an error, by kind (definite: not applied; unknown: may still apply) and wire code.",
		[]string{"peer", "kind", "code"})
	s.aeSent = histogram(&r, "append_entries_sent_entries",
		"Entries per AppendEntries this peer sent; _count is the number of AppendEntries sent (heartbeats included).", peer, countBuckets)
	s.aeReceived = histogram(&r, "append_entries_received_entries",
		"Entries per AppendEntries this peer received; _count is the number of AppendEntries received.", peer, countBuckets)
	s.inflight = gauge(&r, "append_entries_inflight",
		"AppendEntries the leader has in flight (sent, unanswered) to each follower, sampled every tick; absent when not leader.",
		[]string{"peer", "follower"})
	s.dropped = counter(&r, "messages_dropped_total",
		"Raft messages this peer's consensus actor dropped, by reason (unknown_peer: sender not in the configuration; invalid, unsupported, refused: the core refused it; malformed, misaddressed: the actor did).",
		[]string{"peer", "reason"})
	s.logWriteSeconds = histogram(&r, "log_write_duration_seconds",
		"Seconds from a LogWrite's arrival at this peer's log server to its acknowledgement (waiting for the shared fsync included).", peer, latencyBuckets)
	s.logSyncSeconds = histogram(&r, "log_sync_duration_seconds",
		"Seconds one group-commit Sync of this peer's log server took (write of the buffered records and fdatasync).", peer, latencyBuckets)
	s.logSyncEntries = histogram(&r, "log_entries_per_sync",
		"Entries made durable by one fsync of this peer's log server (group commit).", peer, countBuckets)
	s.logSlowHeld = counter(&r, "log_slow_held_fsyncs_total",
		"fdatasyncs of this peer's log server that kept their goroutine's P (Linux, one log in the process) and took longer than 20 ms; each turns keeping the P off for the process for 30 s, and a rising count means a stalling disk.", peer)
	s.snapshotIndex = gauge(&r, "snapshot_index", "Last index of the peer's newest durable snapshot (0: none).", peer)
	s.firstIndex = gauge(&r, "log_first_index", "First index the peer's log holds in memory (entries below it are compacted).", peer)
	s.snapshotBytes = gauge(&r, "snapshot_bytes", "Bytes of the snapshot file the peer saved last.", peer)
	s.snapshotSeconds = histogram(&r, "snapshot_duration_seconds",
		"Seconds from the state machine's Snapshot call to the file being durable (the body is written while applies go on).", peer, latencyBuckets)
	s.snapshotsSaved = counter(&r, "snapshots_saved_total", "Snapshots of its state machine the peer saved, by result (ok, failed).", []string{"peer", "result"})
	s.installs = counter(&r, "snapshot_installs_total", "Snapshots the peer installed from a leader (InstallSnapshot) and restored.", peer)
	s.chunksSent = counter(&r, "snapshot_chunks_sent_total", "InstallSnapshot chunks the peer, as leader, sent (resent ones included).", peer)
	s.chunksReceived = counter(&r, "snapshot_chunks_received_total", "InstallSnapshot chunks the peer received and handed to its log server.", peer)
	s.snapshotsSent = counter(&r, "snapshots_sent_total", "Snapshot transfers the peer, as leader, finished (the follower installed it).", peer)
	s.repeatedSnap = counter(&r, "snapshots_repeated_total",
		"Snapshot transfers a follower needed right after finishing the previous one (its Restore was slower than the log grew by TrailingEntries).", peer)
	s.sessionEntries = counter(&r, "session_entries_total",
		"Session entries the peer applied, by what its session table did: registered (a new session), applied (a new command, given to the state machine), duplicate (a retry answered from the table, not applied again), refused (an unknown or expired session, or a forgotten result).", []string{"peer", "result"})
	if r.err != nil {
		return nil, r.err
	}
	return s, nil
}

// registrar registers collectors, reusing one already registered, and
// keeps the first error.
type registrar struct {
	reg prometheus.Registerer
	err error
}

func register[C prometheus.Collector](r *registrar, c C) C {
	if r.err != nil {
		return c
	}
	err := r.reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	r.err = fmt.Errorf("%w: %w", ErrRegister, err)
	return c
}

func gauge(r *registrar, name, help string, labels []string) *prometheus.GaugeVec {
	return register(r, prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "rafter", Name: name, Help: help}, labels))
}

func counter(r *registrar, name, help string, labels []string) *prometheus.CounterVec {
	return register(r, prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "rafter", Name: name, Help: help}, labels))
}

func histogram(r *registrar, name, help string, labels []string, buckets []float64) *prometheus.HistogramVec {
	return register(r, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "rafter", Name: name, Help: help, Buckets: buckets,
	}, labels))
}

// RegisterRefused registers rafter_network_refused_total for one System,
// read from refused at every scrape (the actor package owns the count),
// labelled with the System's address. A second System with the same address
// in the same registry (two local-only Systems: address "") is refused with
// ErrRegister. It returns the collector, for reg.Unregister when the System
// shuts down (so a new System may take the address).
func RegisterRefused(reg prometheus.Registerer, system string, refused func() uint64) (prometheus.Collector, error) {
	c := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: "rafter", Name: "network_refused_total",
		Help:        "Messages, RPCs and connections from other Systems that this System's closed network surface refused.",
		ConstLabels: prometheus.Labels{"system": system},
	}, func() float64 { return float64(refused()) })
	if err := reg.Register(c); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRegister, err)
	}
	return c, nil
}

// Peer returns the children of the peer named peer (its label value),
// creating them. Call it when the peer starts; a peer restarted by its
// supervisor keeps the same *Peer.
func (s *Set) Peer(peer string) *Peer {
	p := &Peer{
		set: s, name: peer,
		term: s.term.WithLabelValues(peer), commit: s.commit.WithLabelValues(peer),
		applied: s.applied.WithLabelValues(peer), last: s.last.WithLabelValues(peer),
		leaderChanges:    s.leaderChanges.WithLabelValues(peer),
		electionsStarted: s.electionsStarted.WithLabelValues(peer),
		electionsWon:     s.electionsWon.WithLabelValues(peer),
		proposals:        s.proposals.WithLabelValues(peer),
		reads:            s.reads.WithLabelValues(peer),
		staleReads:       s.staleReads.WithLabelValues(peer),
		proposalSeconds:  s.proposalSeconds.WithLabelValues(peer),
		readSeconds:      s.readSeconds.WithLabelValues(peer),
		aeSent:           s.aeSent.WithLabelValues(peer),
		aeReceived:       s.aeReceived.WithLabelValues(peer),
		snapshotIndex:    s.snapshotIndex.WithLabelValues(peer),
		firstIndex:       s.firstIndex.WithLabelValues(peer),
		snapshotBytes:    s.snapshotBytes.WithLabelValues(peer),
		snapshotSecs:     s.snapshotSeconds.WithLabelValues(peer),
		snapshotsOK:      s.snapshotsSaved.WithLabelValues(peer, "ok"),
		snapshotsFail:    s.snapshotsSaved.WithLabelValues(peer, "failed"),
		installs:         s.installs.WithLabelValues(peer),
		chunksSent:       s.chunksSent.WithLabelValues(peer),
		chunksReceived:   s.chunksReceived.WithLabelValues(peer),
		snapshotsSent:    s.snapshotsSent.WithLabelValues(peer),
		repeatedSnap:     s.repeatedSnap.WithLabelValues(peer),
		sessionEntries: [...]prometheus.Counter{
			session.Registered: s.sessionEntries.WithLabelValues(peer, "registered"),
			session.Run:        s.sessionEntries.WithLabelValues(peer, "applied"),
			session.Duplicate:  s.sessionEntries.WithLabelValues(peer, "duplicate"),
			session.Refused:    s.sessionEntries.WithLabelValues(peer, "refused"),
		},
		log: &Log{
			writeSeconds: s.logWriteSeconds.WithLabelValues(peer),
			syncSeconds:  s.logSyncSeconds.WithLabelValues(peer),
			syncEntries:  s.logSyncEntries.WithLabelValues(peer),
			slowHeld:     s.logSlowHeld.WithLabelValues(peer),
		},
	}
	for r := range roleNames {
		p.roles[r] = s.role.WithLabelValues(peer, roleNames[r])
	}
	p.roleSeen = math.MaxInt // no role set yet
	return p
}

// Remove deletes every series of the peer named peer: call it when the
// peer stops, so a stopped peer does not report stale values.
func (s *Set) Remove(peer string) {
	l := prometheus.Labels{"peer": peer}
	for _, v := range []interface{ DeletePartialMatch(prometheus.Labels) int }{
		s.term, s.role, s.commit, s.applied, s.last, s.leaderChanges, s.electionsStarted,
		s.electionsWon, s.proposals, s.reads, s.staleReads, s.proposalSeconds, s.readSeconds,
		s.forwarded, s.requestErrors, s.aeSent, s.aeReceived, s.inflight, s.dropped,
		s.logWriteSeconds, s.logSyncSeconds, s.logSyncEntries, s.logSlowHeld,
		s.snapshotIndex, s.firstIndex, s.snapshotBytes, s.snapshotSeconds, s.snapshotsSaved, s.installs,
		s.chunksSent, s.chunksReceived, s.snapshotsSent, s.repeatedSnap, s.sessionEntries,
	} {
		v.DeletePartialMatch(l)
	}
}
