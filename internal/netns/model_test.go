package netns

import (
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
)

func op(client int, call, ret int64, in Input, out Output, res Outcome) Op {
	return Op{Client: client, Input: in, Output: out, Call: call, Return: ret, Result: res}
}

// TestModelHistories feeds hand-made histories to the checker: the
// violations the namespace test looks for must be rejected.
func TestModelHistories(t *testing.T) {
	set := func(v string) Input { return Input{Kind: Set, Key: "k", Value: v} }
	get := Input{Kind: Get, Key: "k"}
	app := func(v string) Input { return Input{Kind: Append, Key: "k", Value: v} }
	cas := func(exp, v string) Input { return Input{Kind: CAS, Key: "k", Expected: exp, Value: v} }
	tests := []struct {
		name string
		ops  []Op
		want porcupine.CheckResult
	}{
		{"read after write", []Op{
			op(0, 0, 10, set("a"), Output{}, OK),
			op(1, 20, 30, get, Output{Found: true, Value: "a"}, OK),
		}, porcupine.Ok},
		{"stale read", []Op{
			op(0, 0, 10, set("a"), Output{}, OK),
			op(0, 11, 20, set("b"), Output{}, OK),
			op(1, 30, 40, get, Output{Found: true, Value: "a"}, OK),
		}, porcupine.Illegal},
		{"lost acknowledged write", []Op{
			op(0, 0, 10, set("a"), Output{}, OK),
			op(1, 20, 30, get, Output{}, OK),
		}, porcupine.Illegal},
		{"append length", []Op{
			op(0, 0, 10, app("xy"), Output{Len: 2, LenOnly: true}, OK),
			op(1, 20, 30, app("z"), Output{Len: 3, LenOnly: true}, OK),
		}, porcupine.Ok},
		{"lost append", []Op{
			op(0, 0, 10, app("xy"), Output{Len: 2, LenOnly: true}, OK),
			op(1, 20, 30, app("z"), Output{Len: 1, LenOnly: true}, OK),
		}, porcupine.Illegal},
		{"double cas", []Op{
			op(0, 0, 10, set("a"), Output{}, OK),
			op(1, 20, 30, cas("a", "b"), Output{Swapped: true, CurrentFound: true, Current: "b"}, OK),
			op(2, 20, 30, cas("a", "c"), Output{Swapped: true, CurrentFound: true, Current: "c"}, OK),
		}, porcupine.Illegal},
		{"unknown write may have happened", []Op{
			op(0, 0, 10, set("a"), Output{}, Unknown),
			op(1, 20, 30, get, Output{Found: true, Value: "a"}, OK),
		}, porcupine.Ok},
		{"unknown write may not have happened", []Op{
			op(0, 0, 10, set("a"), Output{}, Unknown),
			op(1, 20, 30, get, Output{}, OK),
		}, porcupine.Ok},
		{"failed write is seen", []Op{
			op(0, 0, 10, set("a"), Output{}, Failed),
			op(1, 20, 30, get, Output{Found: true, Value: "a"}, OK),
		}, porcupine.Illegal},
		{"client after unknown overlaps it", []Op{
			op(0, 0, 10, set("a"), Output{}, Unknown),
			op(0, 11, 20, set("b"), Output{}, OK),
			op(1, 30, 40, get, Output{Found: true, Value: "a"}, OK),
		}, porcupine.Ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := porcupine.CheckOperationsTimeout(Model(), Operations(tt.ops), 10*time.Second)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestClassify(t *testing.T) {
	bulk := func(s string) Reply { return Reply{Kind: '$', Str: s} }
	tests := []struct {
		name string
		kind Kind
		rep  Reply
		err  error
		out  Output
		res  Outcome
	}{
		{"get found", Get, bulk("v"), nil, Output{Found: true, Value: "v"}, OK},
		{"get absent", Get, Reply{Kind: '$', Nil: true}, nil, Output{}, OK},
		{"set ok", Set, Reply{Kind: '+', Str: "OK"}, nil, Output{}, OK},
		{"append", Append, Reply{Kind: ':', Int: 7}, nil, Output{Len: 7, LenOnly: true}, OK},
		{"cas swapped", CAS, Reply{Kind: '*', Elems: []Reply{{Kind: ':', Int: 1}, bulk("n")}}, nil,
			Output{Swapped: true, CurrentFound: true, Current: "n"}, OK},
		{"cas absent", CAS, Reply{Kind: '*', Elems: []Reply{{Kind: ':'}, {Kind: '$', Nil: true}}}, nil, Output{}, OK},
		{"tryagain is definite", Set, Reply{Kind: '-', Str: "TRYAGAIN no leader"}, nil, Output{}, Failed},
		{"unknown", Set, Reply{Kind: '-', Str: "UNKNOWN timeout"}, nil, Output{}, Unknown},
		{"other error", Set, Reply{Kind: '-', Str: "ERR stopping"}, nil, Output{}, Unknown},
		{"io error", Set, Reply{}, ErrProtocol, Output{}, Unknown},
		{"wrong shape", Set, Reply{Kind: ':', Int: 1}, nil, Output{}, Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, res := classify(tt.kind, tt.rep, tt.err)
			assert.Equal(t, tt.out, out)
			assert.Equal(t, tt.res, res)
		})
	}
}
