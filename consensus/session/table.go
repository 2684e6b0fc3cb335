package session

import (
	"fmt"

	"github.com/rafter-go/rafter/rafterpb"
)

// Defaults for the zero values of Options fields.
const (
	DefaultMaxSessions    = 4096
	DefaultMaxResults     = 128
	DefaultMaxResultBytes = 1 << 20
)

// Options bounds a Table. Every replica of a cluster must use the same
// values: they decide what every replica applies.
type Options struct {
	// Timeout is how long a session may stay idle, in milliseconds of
	// logged time, before it expires. 0: sessions never expire (only
	// eviction by MaxSessions ends them).
	Timeout uint64
	// MaxSessions bounds the sessions held; 0 means DefaultMaxSessions.
	MaxSessions int
	// MaxResults bounds the remembered results per session; 0 means
	// DefaultMaxResults.
	MaxResults int
	// MaxResultBytes bounds the bytes (values and error texts) remembered
	// per session; the newest result is kept whatever its size. 0 means
	// DefaultMaxResultBytes.
	MaxResultBytes int
}

func (o Options) maxSessions() int {
	if o.MaxSessions > 0 {
		return o.MaxSessions
	}
	return DefaultMaxSessions
}

func (o Options) maxResultBytes() int {
	if o.MaxResultBytes > 0 {
		return o.MaxResultBytes
	}
	return DefaultMaxResultBytes
}

func (o Options) maxResults() int {
	if o.MaxResults > 0 {
		return o.MaxResults
	}
	return DefaultMaxResults
}

// Result is what applying a command gave: the state machine's result bytes
// and its Apply error's text ("" for none). A retried command is answered
// with exactly these.
type Result struct {
	Value []byte
	Err   string
}

// Kind is what Apply decided for an entry.
type Kind int

const (
	// Plain: not a session entry (a NOOP, a CONFIG, an OP without a
	// session); the table did nothing with it.
	Plain Kind = iota
	// Run: a new command of a live session: apply it, then Record its
	// result.
	Run
	// Duplicate: the command was applied before; answer Verdict.Result and
	// do not apply it again.
	Duplicate
	// Refused: unknown or expired session, or a forgotten sequence; answer
	// Verdict.Err (wrapping ErrExpired) and do not apply.
	Refused
	// Registered: a SESSION entry; its index is the new session's ID.
	Registered
)

var kindNames = [...]string{"plain", "run", "duplicate", "refused", "registered"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Verdict is Apply's decision.
type Verdict struct {
	Kind   Kind
	Result Result // Duplicate
	Err    error  // Refused
}

// state is one session.
type state struct {
	// lastUsed is the logged time of the session's last entry.
	lastUsed uint64
	// floor: sequences below it were acknowledged by the client or
	// forgotten; a command below it is refused, never applied.
	floor   uint64
	results map[uint64]Result
	bytes   int // of results' values and error texts
}

// Table is the session table of one replica. It is not safe for
// concurrent use: the replica's apply loop owns it.
type Table struct {
	opts Options
	// now is the logged time: the largest stamp applied so far (ms).
	now uint64
	// nextSweep is the logged time at which expired sessions are next
	// dropped from memory (lookups check expiry anyway).
	nextSweep uint64
	sessions  map[uint64]*state
}

// New returns an empty table.
func New(opts Options) *Table {
	return &Table{opts: opts, sessions: make(map[uint64]*state)}
}

// Len is the number of sessions held (expired ones may be counted until
// the next sweep).
func (t *Table) Len() int { return len(t.sessions) }

// Now is the table's logged time in milliseconds.
func (t *Table) Now() uint64 { return t.now }

// IsSession reports whether e goes through the table: a SESSION entry or
// an OP entry that names a session.
func IsSession(e *rafterpb.Entry) bool {
	switch e.GetType() {
	case rafterpb.EntryType_ENTRY_TYPE_SESSION:
		return true
	case rafterpb.EntryType_ENTRY_TYPE_OP:
		return e.GetClientId() != 0
	}
	return false
}

// Apply decides what committed entry e does; entries must be given in log
// order, each once (the caller skips the ones a restored table already
// covers).
func (t *Table) Apply(e *rafterpb.Entry) Verdict {
	if !IsSession(e) {
		return Verdict{Kind: Plain}
	}
	t.advance(e.GetStamp())
	if e.GetType() == rafterpb.EntryType_ENTRY_TYPE_SESSION {
		t.register(e.GetIndex())
		return Verdict{Kind: Registered}
	}
	id, seq := e.GetClientId(), e.GetSequence()
	s := t.sessions[id]
	if s == nil || t.expired(s) {
		delete(t.sessions, id)
		return Verdict{Kind: Refused, Err: fmt.Errorf("%w: session %d", ErrExpired, id)}
	}
	s.lastUsed = t.now
	if low := e.GetSessionFloor(); low > s.floor {
		// The client holds the answers of every sequence below low.
		for q, r := range s.results {
			if q < low {
				s.bytes -= r.size()
				delete(s.results, q)
			}
		}
		s.floor = low
	}
	if r, ok := s.results[seq]; ok {
		return Verdict{Kind: Duplicate, Result: r}
	}
	if seq < s.floor || seq == 0 {
		return Verdict{Kind: Refused, Err: fmt.Errorf("%w: session %d sequence %d: result forgotten (below %d)", ErrExpired, id, seq, s.floor)}
	}
	return Verdict{Kind: Run}
}

func (r Result) size() int { return len(r.Value) + len(r.Err) }

// Record remembers the result of e, a command Apply answered Run for. Past
// MaxResults or MaxResultBytes the oldest results are forgotten (and
// their sequences refused from then on); the newest is always kept.
func (t *Table) Record(e *rafterpb.Entry, r Result) {
	s := t.sessions[e.GetClientId()]
	if s == nil {
		return
	}
	if old, ok := s.results[e.GetSequence()]; ok {
		s.bytes -= old.size() // Apply answers Run once per sequence; be safe anyway
	}
	s.results[e.GetSequence()] = r
	s.bytes += r.size()
	for len(s.results) > 1 && (len(s.results) > t.opts.maxResults() || s.bytes > t.opts.maxResultBytes()) {
		oldest := uint64(0)
		for q := range s.results {
			if oldest == 0 || q < oldest {
				oldest = q
			}
		}
		s.bytes -= s.results[oldest].size()
		delete(s.results, oldest)
		s.floor = max(s.floor, oldest+1)
	}
}

// advance moves the logged time to stamp if that is later, and drops
// expired sessions from memory from time to time.
func (t *Table) advance(stamp uint64) {
	t.now = max(t.now, stamp)
	if t.opts.Timeout == 0 || t.now < t.nextSweep {
		return
	}
	for id, s := range t.sessions {
		if t.expired(s) {
			delete(t.sessions, id)
		}
	}
	t.nextSweep = t.now + max(t.opts.Timeout/4, 1)
}

func (t *Table) expired(s *state) bool {
	return t.opts.Timeout > 0 && t.now-s.lastUsed > t.opts.Timeout
}

// register adds session id, evicting the least recently used session (by
// logged time, then by ID) if the table is full.
func (t *Table) register(id uint64) {
	if _, ok := t.sessions[id]; ok {
		return // an entry is applied once; be safe anyway
	}
	for len(t.sessions) >= t.opts.maxSessions() {
		var victim uint64
		var vs *state
		for sid, s := range t.sessions {
			if vs == nil || s.lastUsed < vs.lastUsed || (s.lastUsed == vs.lastUsed && sid < victim) {
				victim, vs = sid, s
			}
		}
		delete(t.sessions, victim)
	}
	t.sessions[id] = &state{lastUsed: t.now, floor: 1, results: make(map[uint64]Result)}
}
