package kvsm

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/tidwall/btree"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/kvsm/kvsmpb"
)

// Machine is the key-value state machine: named tables of string keys and
// byte values. It implements rafter.StateMachine (Apply for Commands, Read
// for Queries, both protobuf-encoded) and rafter.Snapshotter.
//
// rafter: rafter_backend_ets keeps one ets table per table plus a table of
// table names; here a map of tables, each a copy-on-write B-tree
// (github.com/tidwall/btree) so that Snapshot is O(tables): it copies only
// the tree roots, and Apply copies a node the first time it changes one
// that a snapshot still shares. Listings are sorted (the tree's order, or
// sorted names) so replies and snapshots do not depend on Go's map order.
type Machine struct {
	// mu guards the state. rafter calls Apply and Read from one goroutine;
	// tests read directly. A Snapshot's WriteTo does not take it: it reads
	// its own copies of the trees.
	mu      sync.Mutex
	tables  map[string]*table
	applied uint64 // index of the last Apply
}

// table is one table: keys in order, values never modified in place (a
// Put, CompareAndSet or Append stores a fresh slice), so a snapshot's copy
// of the tree may share them.
type table = btree.Map[string, []byte]

// New returns an empty Machine.
func New() *Machine {
	return &Machine{tables: make(map[string]*table)}
}

// Factory returns a constructor for rafter.Options.StateMachine: a fresh
// empty Machine per start and restart of the peer.
func Factory() func() rafter.StateMachine {
	return func() rafter.StateMachine { return New() }
}

var (
	_ rafter.StateMachine = (*Machine)(nil)
	_ rafter.Snapshotter  = (*Machine)(nil)
)

// Apply decodes cmd as a kvsmpb.Command, applies it and returns the encoded
// kvsmpb.Result. A command that fails (a missing table, an existing table,
// malformed bytes, an unknown operation) leaves the state unchanged and
// returns the Result with its code and an error wrapping ErrNoSuchTable,
// ErrTableExists or ErrMalformed: rafter returns both to the Op caller as a
// *rafter.ApplyError. Apply never panics on input and is deterministic.
func (m *Machine) Apply(index uint64, cmd []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.applied = index
	var c kvsmpb.Command
	if err := proto.Unmarshal(cmd, &c); err != nil {
		return failed(fmt.Errorf("%w: not a command: %v", ErrMalformed, err))
	}
	res, err := m.apply(&c)
	if err != nil {
		return failed(err)
	}
	return encode(res), nil
}

func (m *Machine) apply(c *kvsmpb.Command) (*kvsmpb.Result, error) {
	switch op := c.GetOp().(type) {
	case *kvsmpb.Command_NewTable:
		return m.newTable(op.NewTable.GetTable())
	case *kvsmpb.Command_DeleteTable:
		return m.deleteTable(op.DeleteTable.GetTable())
	case *kvsmpb.Command_Put:
		return m.put(op.Put)
	case *kvsmpb.Command_Delete:
		return m.delete(op.Delete)
	case *kvsmpb.Command_Cas:
		return m.cas(op.Cas)
	case *kvsmpb.Command_Append:
		return m.append(op.Append)
	case *kvsmpb.Command_Incr:
		return m.incr(op.Incr)
	}
	// A oneof number this version does not know decodes as no op at all.
	return nil, fmt.Errorf("%w: unknown command", ErrMalformed)
}

// Read decodes query as a kvsmpb.Query and answers it with an encoded
// kvsmpb.Result, as Apply does, without changing the state.
func (m *Machine) Read(query []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var q kvsmpb.Query
	if err := proto.Unmarshal(query, &q); err != nil {
		return failed(fmt.Errorf("%w: not a query: %v", ErrMalformed, err))
	}
	res, err := m.read(&q)
	if err != nil {
		return failed(err)
	}
	return encode(res), nil
}

func (m *Machine) read(q *kvsmpb.Query) (*kvsmpb.Result, error) {
	switch op := q.GetQ().(type) {
	case *kvsmpb.Query_Get:
		t, err := m.table(op.Get.GetTable())
		if err != nil {
			return nil, err
		}
		v, ok := t.Get(op.Get.GetKey())
		return &kvsmpb.Result{Result: &kvsmpb.Result_Get{Get: &kvsmpb.GetResult{Found: ok, Value: v}}}, nil
	case *kvsmpb.Query_ListTables:
		return names(sortedKeys(m.tables)), nil
	case *kvsmpb.Query_ListKeys:
		t, err := m.table(op.ListKeys.GetTable())
		if err != nil {
			return nil, err
		}
		return names(tableKeys(t)), nil
	}
	return nil, fmt.Errorf("%w: unknown query", ErrMalformed)
}

// AppliedIndex returns the index of the last command applied (or restored).
func (m *Machine) AppliedIndex() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.applied
}

func (m *Machine) newTable(name string) (*kvsmpb.Result, error) {
	if err := checkTable(name); err != nil {
		return nil, err
	}
	if _, ok := m.tables[name]; ok {
		return nil, fmt.Errorf("%w: %q", ErrTableExists, name)
	}
	m.tables[name] = new(table)
	return done(), nil
}

func (m *Machine) deleteTable(name string) (*kvsmpb.Result, error) {
	if _, err := m.table(name); err != nil {
		return nil, err
	}
	delete(m.tables, name)
	return done(), nil
}

func (m *Machine) put(p *kvsmpb.Put) (*kvsmpb.Result, error) {
	t, err := m.table(p.GetTable())
	if err != nil {
		return nil, err
	}
	t.Set(p.GetKey(), clone(p.GetValue()))
	return done(), nil
}

func (m *Machine) delete(d *kvsmpb.Delete) (*kvsmpb.Result, error) {
	t, err := m.table(d.GetTable())
	if err != nil {
		return nil, err
	}
	_, ok := t.Delete(d.GetKey())
	return &kvsmpb.Result{Result: &kvsmpb.Result_Delete{Delete: &kvsmpb.DeleteResult{Existed: ok}}}, nil
}

func (m *Machine) cas(c *kvsmpb.CompareAndSet) (*kvsmpb.Result, error) {
	t, err := m.table(c.GetTable())
	if err != nil {
		return nil, err
	}
	cur, ok := t.Get(c.GetKey())
	match := !ok && c.GetExpectAbsent() || ok && !c.GetExpectAbsent() && bytes.Equal(cur, c.GetExpected())
	r := &kvsmpb.CasResult{Swapped: match, CurrentFound: ok, Current: cur}
	if match {
		v := clone(c.GetValue())
		t.Set(c.GetKey(), v)
		r.CurrentFound, r.Current = true, v
	}
	return &kvsmpb.Result{Result: &kvsmpb.Result_Cas{Cas: r}}, nil
}

func (m *Machine) append(a *kvsmpb.Append) (*kvsmpb.Result, error) {
	t, err := m.table(a.GetTable())
	if err != nil {
		return nil, err
	}
	// A fresh slice every time: a stored value is never aliased by a
	// result that was already encoded or by an earlier snapshot.
	old, _ := t.Get(a.GetKey())
	v := make([]byte, 0, len(old)+len(a.GetValue()))
	v = append(append(v, old...), a.GetValue()...)
	t.Set(a.GetKey(), v)
	return &kvsmpb.Result{Result: &kvsmpb.Result_Append{Append: &kvsmpb.AppendResult{Value: v}}}, nil
}

// table returns the named table or ErrNoSuchTable.
func (m *Machine) table(name string) (*table, error) {
	if err := checkTable(name); err != nil {
		return nil, err
	}
	t, ok := m.tables[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoSuchTable, name)
	}
	return t, nil
}

func checkTable(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty table name", ErrMalformed)
	}
	return nil
}

func done() *kvsmpb.Result { return &kvsmpb.Result{Result: &kvsmpb.Result_Done{Done: &kvsmpb.Done{}}} }

func names(ns []string) *kvsmpb.Result {
	return &kvsmpb.Result{Result: &kvsmpb.Result_Names{Names: &kvsmpb.NamesResult{Names: ns}}}
}

// failed encodes err as a Result and returns it with err.
func failed(err error) ([]byte, error) {
	// proto3 strings must be UTF-8; the detail may quote raw input.
	detail := strings.ToValidUTF8(err.Error(), "\uFFFD")
	return encode(&kvsmpb.Result{Code: codeOf(err), Detail: detail}), err
}

// encode marshals a Result. Results hold only strings, bytes and bools,
// so marshalling cannot fail; Deterministic keeps the bytes stable.
func encode(r *kvsmpb.Result) []byte {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("kvsm: encode result: %v", err)) // broken invariant
	}
	return b
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// tableKeys returns the keys of t, in order.
func tableKeys(t *table) []string {
	ks := make([]string, 0, t.Len())
	t.Scan(func(k string, _ []byte) bool {
		ks = append(ks, k)
		return true
	})
	return ks
}

func clone(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return bytes.Clone(b)
}
