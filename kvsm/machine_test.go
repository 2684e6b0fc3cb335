package kvsm

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/kvsm/kvsmpb"
)

func enc(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	require.NoError(t, err)
	return b
}

func cmdNew(tb string) *kvsmpb.Command {
	return &kvsmpb.Command{Op: &kvsmpb.Command_NewTable{NewTable: &kvsmpb.NewTable{Table: tb}}}
}
func cmdDelTable(tb string) *kvsmpb.Command {
	return &kvsmpb.Command{Op: &kvsmpb.Command_DeleteTable{DeleteTable: &kvsmpb.DeleteTable{Table: tb}}}
}
func cmdPut(tb, k, v string) *kvsmpb.Command {
	return &kvsmpb.Command{Op: &kvsmpb.Command_Put{Put: &kvsmpb.Put{Table: tb, Key: k, Value: []byte(v)}}}
}
func cmdDel(tb, k string) *kvsmpb.Command {
	return &kvsmpb.Command{Op: &kvsmpb.Command_Delete{Delete: &kvsmpb.Delete{Table: tb, Key: k}}}
}
func cmdCAS(tb, k string, exp *string, v string) *kvsmpb.Command {
	c := &kvsmpb.CompareAndSet{Table: tb, Key: k, Value: []byte(v), ExpectAbsent: exp == nil}
	if exp != nil {
		c.Expected = []byte(*exp)
	}
	return &kvsmpb.Command{Op: &kvsmpb.Command_Cas{Cas: c}}
}
func cmdAppend(tb, k, v string) *kvsmpb.Command {
	return &kvsmpb.Command{Op: &kvsmpb.Command_Append{Append: &kvsmpb.Append{Table: tb, Key: k, Value: []byte(v)}}}
}
func qGet(tb, k string) *kvsmpb.Query {
	return &kvsmpb.Query{Q: &kvsmpb.Query_Get{Get: &kvsmpb.Get{Table: tb, Key: k}}}
}
func qTables() *kvsmpb.Query {
	return &kvsmpb.Query{Q: &kvsmpb.Query_ListTables{ListTables: &kvsmpb.ListTables{}}}
}
func qKeys(tb string) *kvsmpb.Query {
	return &kvsmpb.Query{Q: &kvsmpb.Query_ListKeys{ListKeys: &kvsmpb.ListKeys{Table: tb}}}
}

func sp(s string) *string { return &s }

// seeded returns a machine with table "t" holding a=1 and an empty table "u".
func seeded(t *testing.T) *Machine {
	m := New()
	for i, c := range []*kvsmpb.Command{cmdNew("t"), cmdNew("u"), cmdPut("t", "a", "1")} {
		_, err := m.Apply(uint64(i+1), enc(t, c))
		require.NoError(t, err)
	}
	return m
}

func decodeResult(t *testing.T, b []byte) *kvsmpb.Result {
	t.Helper()
	var r kvsmpb.Result
	require.NoError(t, proto.Unmarshal(b, &r))
	return &r
}

// unknownOp is a Command carrying oneof field 99, which this version does
// not know: it decodes (as an unknown field) with no op set.
func unknownOp() []byte {
	b := protowire.AppendTag(nil, 99, protowire.BytesType)
	return protowire.AppendBytes(b, []byte{0x0a, 0x01, 'x'})
}

func TestApply(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cmd     []byte
		wantErr error
		want    *kvsmpb.Result // compared when wantErr is nil
		get     []string       // then Get("t", get[0]) must give get[1] ("<absent>" for none)
	}{
		{name: "new table", cmd: enc(t, cmdNew("v")), want: done()},
		{name: "new table exists", cmd: enc(t, cmdNew("t")), wantErr: ErrTableExists},
		{name: "new table empty name", cmd: enc(t, cmdNew("")), wantErr: ErrMalformed},
		{name: "delete table", cmd: enc(t, cmdDelTable("t")), want: done()},
		{name: "delete missing table", cmd: enc(t, cmdDelTable("zz")), wantErr: ErrNoSuchTable},
		{name: "put new key", cmd: enc(t, cmdPut("t", "b", "2")), want: done(), get: []string{"b", "2"}},
		{name: "put overwrites", cmd: enc(t, cmdPut("t", "a", "9")), want: done(), get: []string{"a", "9"}},
		{name: "put empty value", cmd: enc(t, cmdPut("t", "a", "")), want: done(), get: []string{"a", ""}},
		{name: "put missing table", cmd: enc(t, cmdPut("zz", "a", "1")), wantErr: ErrNoSuchTable},
		{name: "delete existing", cmd: enc(t, cmdDel("t", "a")), get: []string{"a", "<absent>"},
			want: &kvsmpb.Result{Result: &kvsmpb.Result_Delete{Delete: &kvsmpb.DeleteResult{Existed: true}}}},
		{name: "delete absent", cmd: enc(t, cmdDel("t", "b")),
			want: &kvsmpb.Result{Result: &kvsmpb.Result_Delete{Delete: &kvsmpb.DeleteResult{}}}},
		{name: "delete missing table", cmd: enc(t, cmdDel("zz", "a")), wantErr: ErrNoSuchTable},
		{name: "cas match", cmd: enc(t, cmdCAS("t", "a", sp("1"), "2")), get: []string{"a", "2"},
			want: &kvsmpb.Result{Result: &kvsmpb.Result_Cas{Cas: &kvsmpb.CasResult{Swapped: true, CurrentFound: true, Current: []byte("2")}}}},
		{name: "cas mismatch", cmd: enc(t, cmdCAS("t", "a", sp("0"), "2")), get: []string{"a", "1"},
			want: &kvsmpb.Result{Result: &kvsmpb.Result_Cas{Cas: &kvsmpb.CasResult{CurrentFound: true, Current: []byte("1")}}}},
		{name: "cas absent expected, present", cmd: enc(t, cmdCAS("t", "a", nil, "2")), get: []string{"a", "1"},
			want: &kvsmpb.Result{Result: &kvsmpb.Result_Cas{Cas: &kvsmpb.CasResult{CurrentFound: true, Current: []byte("1")}}}},
		{name: "cas absent expected, absent", cmd: enc(t, cmdCAS("t", "b", nil, "2")), get: []string{"b", "2"},
			want: &kvsmpb.Result{Result: &kvsmpb.Result_Cas{Cas: &kvsmpb.CasResult{Swapped: true, CurrentFound: true, Current: []byte("2")}}}},
		{name: "cas value expected, absent", cmd: enc(t, cmdCAS("t", "b", sp(""), "2")), get: []string{"b", "<absent>"},
			want: &kvsmpb.Result{Result: &kvsmpb.Result_Cas{Cas: &kvsmpb.CasResult{}}}},
		{name: "cas missing table", cmd: enc(t, cmdCAS("zz", "a", nil, "2")), wantErr: ErrNoSuchTable},
		{name: "append existing", cmd: enc(t, cmdAppend("t", "a", "23")), get: []string{"a", "123"},
			want: &kvsmpb.Result{Result: &kvsmpb.Result_Append{Append: &kvsmpb.AppendResult{Value: []byte("123")}}}},
		{name: "append creates", cmd: enc(t, cmdAppend("t", "b", "x")), get: []string{"b", "x"},
			want: &kvsmpb.Result{Result: &kvsmpb.Result_Append{Append: &kvsmpb.AppendResult{Value: []byte("x")}}}},
		{name: "append missing table", cmd: enc(t, cmdAppend("zz", "a", "x")), wantErr: ErrNoSuchTable},
		{name: "empty bytes: no op", cmd: nil, wantErr: ErrMalformed},
		{name: "unknown oneof", cmd: unknownOp(), wantErr: ErrMalformed},
		{name: "garbage bytes", cmd: []byte{0xff, 0xff, 0xff}, wantErr: ErrMalformed},
		{name: "truncated command", cmd: enc(t, cmdPut("t", "a", "hello"))[:5], wantErr: ErrMalformed},
		{name: "wrong wire type", cmd: []byte{0x18, 0x01}, wantErr: ErrMalformed},
		{name: "query bytes as command", cmd: enc(t, qTables()), wantErr: ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := seeded(t)
			before := dump(m)
			res, err := m.Apply(10, tc.cmd)
			r := decodeResult(t, res)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Equal(t, codeOf(tc.wantErr), r.GetCode())
				assert.ErrorIs(t, errorOf(r), tc.wantErr)
				assert.Nil(t, r.GetResult())
				// A failed command changes nothing but the applied index.
				assert.Equal(t, before, dump(m))
				return
			}
			require.NoError(t, err)
			assert.True(t, proto.Equal(tc.want, r), "got %v want %v", r, tc.want)
			assert.Equal(t, uint64(10), m.AppliedIndex())
			if tc.get != nil {
				g := read(t, m, qGet("t", tc.get[0])).GetGet()
				if tc.get[1] == "<absent>" {
					assert.False(t, g.GetFound())
				} else {
					assert.True(t, g.GetFound())
					assert.Equal(t, tc.get[1], string(g.GetValue()))
				}
			}
		})
	}
}

func read(t *testing.T, m *Machine, q *kvsmpb.Query) *kvsmpb.Result {
	t.Helper()
	b, err := m.Read(enc(t, q))
	require.NoError(t, err)
	return decodeResult(t, b)
}

func TestRead(t *testing.T) {
	m := seeded(t)
	_, err := m.Apply(4, enc(t, cmdPut("t", "0", "z")))
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		q       []byte
		wantErr error
		want    *kvsmpb.Result
	}{
		{name: "get present", q: enc(t, qGet("t", "a")),
			want: &kvsmpb.Result{Result: &kvsmpb.Result_Get{Get: &kvsmpb.GetResult{Found: true, Value: []byte("1")}}}},
		{name: "get absent", q: enc(t, qGet("t", "nope")),
			want: &kvsmpb.Result{Result: &kvsmpb.Result_Get{Get: &kvsmpb.GetResult{}}}},
		{name: "get missing table", q: enc(t, qGet("zz", "a")), wantErr: ErrNoSuchTable},
		{name: "list tables sorted", q: enc(t, qTables()), want: names([]string{"t", "u"})},
		{name: "list keys sorted", q: enc(t, qKeys("t")), want: names([]string{"0", "a"})},
		{name: "list keys empty table", q: enc(t, qKeys("u")), want: names(nil)},
		{name: "list keys missing table", q: enc(t, qKeys("zz")), wantErr: ErrNoSuchTable},
		{name: "get empty table name", q: enc(t, qGet("", "a")), wantErr: ErrMalformed},
		{name: "empty query", q: nil, wantErr: ErrMalformed},
		{name: "unknown oneof", q: unknownOp(), wantErr: ErrMalformed},
		{name: "garbage", q: []byte{0x0a, 0xff}, wantErr: ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := snap(t, m)
			res, err := m.Read(tc.q)
			r := decodeResult(t, res)
			assert.Equal(t, before, snap(t, m), "Read changed the state")
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Equal(t, codeOf(tc.wantErr), r.GetCode())
				return
			}
			require.NoError(t, err)
			assert.True(t, proto.Equal(tc.want, r), "got %v want %v", r, tc.want)
		})
	}
}

// A table's keys go when the table goes, and a new table of the same name
// starts empty.
func TestDeleteTableDropsKeys(t *testing.T) {
	m := seeded(t)
	for i, c := range []*kvsmpb.Command{cmdDelTable("t"), cmdNew("t")} {
		_, err := m.Apply(uint64(10+i), enc(t, c))
		require.NoError(t, err)
	}
	assert.Empty(t, read(t, m, qKeys("t")).GetNames().GetNames())
}

// A value handed to Put may be reused by the caller: the machine copies it.
func TestApplyDoesNotAliasInput(t *testing.T) {
	m := seeded(t)
	cmd := enc(t, cmdAppend("t", "a", "x"))
	res, err := m.Apply(4, cmd)
	require.NoError(t, err)
	for i := range cmd {
		cmd[i] = 0
	}
	for i := range res {
		res[i] = 0
	}
	assert.Equal(t, "1x", string(read(t, m, qGet("t", "a")).GetGet().GetValue()))
}

// dump copies the machine's tables.
func dump(m *Machine) map[string]map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]map[string]string)
	for n, t := range m.tables {
		out[n] = make(map[string]string)
		t.Scan(func(k string, v []byte) bool {
			out[n][k] = string(v)
			return true
		})
	}
	return out
}
