package kvsm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/kvsm/kvsmpb"
)

// Client is a typed client of a kvsm cluster: it encodes each call as a
// kvsmpb.Command (sent with System.Op, so it is committed before it
// answers) or a kvsmpb.Query (sent with System.ReadOp, so the read is
// linearizable), through one peer, which forwards to the leader. StaleGet
// is the exception: the peer answers it from its own state (System.
// StaleReadOp), fast and available but possibly stale. A Client is safe
// for concurrent use.
//
// Errors: the kvsm results ErrNoSuchTable, ErrTableExists and ErrMalformed
// come wrapped together with the *rafter.ApplyError (or *rafter.ReadError)
// that carried them; rafter's errors pass through wrapped, so
// errors.Is(err, rafter.ErrTimeout) and rafter.Definite(err) work.
//
// Commands go through a rafter.Session (created on the first command), so
// each is applied exactly once: an attempt with an unknown outcome (a
// timeout, a leader lost to a crash or a partition) is retried with the
// same sequence until ctx ends, and the replicas answer a retry of an
// applied command with its first result. An error returned is then of
// unknown outcome only if ctx ended first. A session that expired
// (rafter.ErrSessionExpired) is replaced by a new one: at once, with the
// command sent again through it, when the expiry answered the command's
// first attempt (nothing applied it); otherwise on the next command.
// WithoutSession makes a Client send each command once with System.Op
// (at most once; an unknown outcome is the caller's to resolve).
type Client struct {
	sys *rafter.System
	via rafter.Peer

	noSession bool
	attempt   time.Duration // the session's attempt timeout (0: rafter's default)
	mu        sync.Mutex
	session   *rafter.Session
}

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithoutSession makes the Client send commands with System.Op, without a
// session and without retries: at most once.
func WithoutSession() ClientOption { return func(c *Client) { c.noSession = true } }

// WithAttemptTimeout sets how long one attempt of a session command waits
// before it is retried (rafter.Session.SetAttemptTimeout).
func WithAttemptTimeout(d time.Duration) ClientOption { return func(c *Client) { c.attempt = d } }

// NewClient returns a Client calling through peer via of sys.
func NewClient(sys *rafter.System, via rafter.Peer, opts ...ClientOption) *Client {
	c := &Client{sys: sys, via: via}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Via returns the peer the client calls through.
func (c *Client) Via() rafter.Peer { return c.via }

// NewTable creates an empty table; ErrTableExists if it exists.
func (c *Client) NewTable(ctx context.Context, table string) error {
	_, err := c.op(ctx, "new table "+table, &kvsmpb.Command{Op: &kvsmpb.Command_NewTable{
		NewTable: &kvsmpb.NewTable{Table: table}}})
	return err
}

// DeleteTable removes a table and its keys; ErrNoSuchTable if missing.
func (c *Client) DeleteTable(ctx context.Context, table string) error {
	_, err := c.op(ctx, "delete table "+table, &kvsmpb.Command{Op: &kvsmpb.Command_DeleteTable{
		DeleteTable: &kvsmpb.DeleteTable{Table: table}}})
	return err
}

// ListTables returns the table names, sorted (linearizable read).
func (c *Client) ListTables(ctx context.Context) ([]string, error) {
	r, err := c.read(ctx, "list tables", &kvsmpb.Query{Q: &kvsmpb.Query_ListTables{ListTables: &kvsmpb.ListTables{}}})
	if err != nil {
		return nil, err
	}
	n, ok := r.GetResult().(*kvsmpb.Result_Names)
	if !ok {
		return nil, unexpected("list tables", r)
	}
	return n.Names.GetNames(), nil
}

// ListKeys returns the keys of table, sorted (linearizable read).
func (c *Client) ListKeys(ctx context.Context, table string) ([]string, error) {
	what := "list keys " + table
	r, err := c.read(ctx, what, &kvsmpb.Query{Q: &kvsmpb.Query_ListKeys{ListKeys: &kvsmpb.ListKeys{Table: table}}})
	if err != nil {
		return nil, err
	}
	n, ok := r.GetResult().(*kvsmpb.Result_Names)
	if !ok {
		return nil, unexpected(what, r)
	}
	return n.Names.GetNames(), nil
}

// Put sets key in table to value.
func (c *Client) Put(ctx context.Context, table, key string, value []byte) error {
	_, err := c.op(ctx, "put "+table+"/"+key, &kvsmpb.Command{Op: &kvsmpb.Command_Put{
		Put: &kvsmpb.Put{Table: table, Key: key, Value: value}}})
	return err
}

// Get reads key in table (linearizable: through ReadOp). found is false if
// the key does not exist.
func (c *Client) Get(ctx context.Context, table, key string) (value []byte, found bool, err error) {
	return c.get(ctx, "get", c.sys.ReadOp, table, key)
}

// StaleGet reads key in table from the via peer's own state machine
// (System.StaleReadOp): no quorum round, no forwarding, so it answers even
// when via is cut off from the leader, but it is not linearizable. The
// value was committed at some point; it may have been overwritten since,
// by an arbitrary amount while via is partitioned. Reads through one peer
// do not go back in time while that peer does not restart. A peer that has
// not yet applied the table's creation answers ErrNoSuchTable. Use Get
// unless a stale answer is acceptable.
func (c *Client) StaleGet(ctx context.Context, table, key string) (value []byte, found bool, err error) {
	return c.get(ctx, "stale get", c.sys.StaleReadOp, table, key)
}

// get runs a Get query through send (ReadOp or StaleReadOp).
func (c *Client) get(ctx context.Context, verb string, send readFunc, table, key string) ([]byte, bool, error) {
	what := verb + " " + table + "/" + key
	r, err := c.query(ctx, what, send, &kvsmpb.Query{Q: &kvsmpb.Query_Get{Get: &kvsmpb.Get{Table: table, Key: key}}})
	if err != nil {
		return nil, false, err
	}
	g, ok := r.GetResult().(*kvsmpb.Result_Get)
	if !ok {
		return nil, false, unexpected(what, r)
	}
	return g.Get.GetValue(), g.Get.GetFound(), nil
}

// Delete removes key from table and reports whether it existed.
func (c *Client) Delete(ctx context.Context, table, key string) (existed bool, err error) {
	what := "delete " + table + "/" + key
	r, err := c.op(ctx, what, &kvsmpb.Command{Op: &kvsmpb.Command_Delete{
		Delete: &kvsmpb.Delete{Table: table, Key: key}}})
	if err != nil {
		return false, err
	}
	d, ok := r.GetResult().(*kvsmpb.Result_Delete)
	if !ok {
		return false, unexpected(what, r)
	}
	return d.Delete.GetExisted(), nil
}

// CAS sets key to value if its current value equals expected; a nil
// expected means the key must be absent (an empty non-nil expected matches
// an empty value). current is the key's value after the command: value if
// swapped, else the value that did not match (nil if the key is absent).
func (c *Client) CAS(ctx context.Context, table, key string, expected, value []byte) (swapped bool, current []byte, err error) {
	what := "cas " + table + "/" + key
	r, err := c.op(ctx, what, &kvsmpb.Command{Op: &kvsmpb.Command_Cas{Cas: &kvsmpb.CompareAndSet{
		Table: table, Key: key, ExpectAbsent: expected == nil, Expected: expected, Value: value}}})
	if err != nil {
		return false, nil, err
	}
	x, ok := r.GetResult().(*kvsmpb.Result_Cas)
	if !ok {
		return false, nil, unexpected(what, r)
	}
	if !x.Cas.GetCurrentFound() {
		return x.Cas.GetSwapped(), nil, nil
	}
	cur := x.Cas.GetCurrent()
	if cur == nil {
		cur = []byte{} // found but empty: distinct from absent
	}
	return x.Cas.GetSwapped(), cur, nil
}

// Append appends value to key's value, creating the key if absent, and
// returns the new value.
func (c *Client) Append(ctx context.Context, table, key string, value []byte) (newValue []byte, err error) {
	what := "append " + table + "/" + key
	r, err := c.op(ctx, what, &kvsmpb.Command{Op: &kvsmpb.Command_Append{
		Append: &kvsmpb.Append{Table: table, Key: key, Value: value}}})
	if err != nil {
		return nil, err
	}
	a, ok := r.GetResult().(*kvsmpb.Result_Append)
	if !ok {
		return nil, unexpected(what, r)
	}
	return a.Append.GetValue(), nil
}

// Incr adds delta to key's integer value (an absent key counts as 0) and
// returns the new value; ErrNotInteger if the value is not a signed 64-bit
// decimal integer or the sum would overflow. With the Client's session it
// is applied exactly once however often it is retried.
func (c *Client) Incr(ctx context.Context, table, key string, delta int64) (int64, error) {
	what := "incr " + table + "/" + key
	r, err := c.op(ctx, what, &kvsmpb.Command{Op: &kvsmpb.Command_Incr{
		Incr: &kvsmpb.Incr{Table: table, Key: key, Delta: delta}}})
	if err != nil {
		return 0, err
	}
	x, ok := r.GetResult().(*kvsmpb.Result_Incr)
	if !ok {
		return 0, unexpected(what, r)
	}
	return x.Incr.GetValue(), nil
}

// op sends a Command (through the session, or with System.Op) and decodes
// its Result.
func (c *Client) op(ctx context.Context, what string, cmd *kvsmpb.Command) (*kvsmpb.Result, error) {
	b, err := proto.Marshal(cmd)
	if err != nil { // for example a key that is not UTF-8
		return nil, fmt.Errorf("kvsm: %s: %w: %w", what, ErrMalformed, err)
	}
	res, err := c.send(ctx, b)
	return decode(what, res, err, func(e error) bool {
		var ae *rafter.ApplyError
		return errors.As(e, &ae)
	})
}

// send runs one command: through the Client's session (made now if it has
// none), or once with System.Op without one. A session that expired
// before the command's first attempt (ErrSessionExpired, definite:
// nothing applied it) is replaced and the command sent once more through
// the new one; an expiry of unknown outcome is returned as it is.
func (c *Client) send(ctx context.Context, cmd []byte) ([]byte, error) {
	if c.noSession {
		return c.sys.Op(ctx, c.via, cmd)
	}
	for try := 0; ; try++ {
		se, err := c.currentSession(ctx)
		if err != nil {
			return nil, err
		}
		res, err := se.Op(ctx, cmd)
		if !errors.Is(err, rafter.ErrSessionExpired) {
			return res, err
		}
		c.mu.Lock()
		if c.session == se {
			c.session = nil // the next command registers a new one
		}
		c.mu.Unlock()
		if try > 0 || !rafter.Definite(err) {
			return res, err
		}
	}
}

// currentSession returns the Client's session, registering one first if
// it has none.
func (c *Client) currentSession(ctx context.Context) (*rafter.Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session == nil {
		se, err := c.sys.NewSession(ctx, c.via)
		if err != nil {
			return nil, err
		}
		se.SetAttemptTimeout(c.attempt)
		c.session = se
	}
	return c.session, nil
}

// readFunc is System.ReadOp or System.StaleReadOp.
type readFunc func(ctx context.Context, via rafter.Peer, query []byte) ([]byte, error)

// read sends a Query with System.ReadOp and decodes its Result.
func (c *Client) read(ctx context.Context, what string, q *kvsmpb.Query) (*kvsmpb.Result, error) {
	return c.query(ctx, what, c.sys.ReadOp, q)
}

// query sends a Query with send and decodes its Result.
func (c *Client) query(ctx context.Context, what string, send readFunc, q *kvsmpb.Query) (*kvsmpb.Result, error) {
	b, err := proto.Marshal(q)
	if err != nil {
		return nil, fmt.Errorf("kvsm: %s: %w: %w", what, ErrMalformed, err)
	}
	res, err := send(ctx, c.via, b)
	return decode(what, res, err, func(e error) bool {
		var re *rafter.ReadError
		return errors.As(e, &re)
	})
}

// decode turns rafter's answer into a Result or an error. isResult says
// whether err is the state machine's own error (then res holds the
// Result that explains it); any other error is rafter's and passes through.
func decode(what string, res []byte, err error, isResult func(error) bool) (*kvsmpb.Result, error) {
	if err != nil && !isResult(err) {
		return nil, fmt.Errorf("kvsm: %s: %w", what, err)
	}
	var r kvsmpb.Result
	if uerr := proto.Unmarshal(res, &r); uerr != nil {
		return nil, fmt.Errorf("kvsm: %s: %w: result: %v", what, ErrMalformed, uerr)
	}
	if kerr := errorOf(&r); kerr != nil {
		if err != nil {
			return nil, fmt.Errorf("kvsm: %s: %w (%w)", what, kerr, err)
		}
		return nil, fmt.Errorf("kvsm: %s: %w", what, kerr)
	}
	if err != nil { // an error without an error code: not a kvsm Result
		return nil, fmt.Errorf("kvsm: %s: %w: %w", what, ErrMalformed, err)
	}
	return &r, nil
}

func unexpected(what string, r *kvsmpb.Result) error {
	return fmt.Errorf("kvsm: %s: %w: unexpected result %T", what, ErrMalformed, r.GetResult())
}
