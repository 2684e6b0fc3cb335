package kvsm

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/kvsm/kvsmpb"
)

func cmdIncr(tb, k string, d int64) *kvsmpb.Command {
	return &kvsmpb.Command{Op: &kvsmpb.Command_Incr{Incr: &kvsmpb.Incr{Table: tb, Key: k, Delta: d}}}
}

func TestIncr(t *testing.T) {
	m := New()
	_, err := m.Apply(1, enc(t, cmdNew("t")))
	require.NoError(t, err)
	for _, tc := range []struct {
		name  string
		put   *string // value set before (nil: keep)
		delta int64
		want  int64
		err   error
	}{
		{name: "absent counts as 0", delta: 1, want: 1},
		{name: "adds", delta: 41, want: 42},
		{name: "negative", delta: -50, want: -8},
		{name: "parses its own text", put: ptr("-9"), delta: 1, want: -8},
		{name: "max", put: ptr("9223372036854775806"), delta: 1, want: math.MaxInt64},
		{name: "overflow", delta: 1, err: ErrNotInteger},
		{name: "underflow", put: ptr("-9223372036854775808"), delta: -1, err: ErrNotInteger},
		{name: "not a number", put: ptr("abc"), delta: 1, err: ErrNotInteger},
		{name: "plus sign", put: ptr("+1"), delta: 1, err: ErrNotInteger},
		{name: "leading zero", put: ptr("01"), delta: 1, err: ErrNotInteger},
		{name: "space", put: ptr(" 1"), delta: 1, err: ErrNotInteger},
		{name: "empty", put: ptr(""), delta: 1, err: ErrNotInteger},
		{name: "too long", put: ptr("123456789012345678901"), delta: 1, err: ErrNotInteger},
	} {
		if tc.put != nil {
			_, err := m.Apply(2, enc(t, cmdPut("t", "k", *tc.put)))
			require.NoError(t, err, tc.name)
		}
		before, _ := m.tables["t"].Get("k")
		res, err := m.Apply(3, enc(t, cmdIncr("t", "k", tc.delta)))
		var r kvsmpb.Result
		require.NoError(t, proto.Unmarshal(res, &r), tc.name)
		if tc.err != nil {
			assert.ErrorIs(t, err, tc.err, tc.name)
			assert.Equal(t, kvsmpb.Code_CODE_NOT_INTEGER, r.GetCode(), tc.name)
			after, _ := m.tables["t"].Get("k")
			assert.Equal(t, before, after, "%s: a failed incr leaves the value", tc.name)
			continue
		}
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, r.GetIncr().GetValue(), tc.name)
		v, _ := m.tables["t"].Get("k")
		assert.Equal(t, tc.want, mustParse(t, v), tc.name)
	}
	_, err = m.Apply(4, enc(t, cmdIncr("nope", "k", 1)))
	assert.ErrorIs(t, err, ErrNoSuchTable)
}

func ptr(s string) *string { return &s }

func mustParse(t *testing.T, b []byte) int64 {
	n, err := parseInteger(b)
	require.NoError(t, err)
	return n
}
