package kvsm

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"pgregory.net/rapid"

	"github.com/rafter-go/rafter/kvsm/kvsmpb"
)

// genCommand draws a command over a small alphabet of tables and keys (so
// commands collide), now and then malformed bytes.
func genCommand() *rapid.Generator[[]byte] {
	table := rapid.SampledFrom([]string{"a", "b", "c", ""})
	key := rapid.SampledFrom([]string{"k", "l", "m", "n", ""})
	val := rapid.SampledFrom([]string{"", "x", "yy", "zzz"})
	return rapid.Custom(func(t *rapid.T) []byte {
		var c *kvsmpb.Command
		switch rapid.IntRange(0, 8).Draw(t, "kind") {
		case 0:
			c = cmdNew(table.Draw(t, "table"))
		case 1:
			c = cmdDelTable(table.Draw(t, "table"))
		case 2, 3:
			c = cmdPut(table.Draw(t, "table"), key.Draw(t, "key"), val.Draw(t, "val"))
		case 4:
			c = cmdDel(table.Draw(t, "table"), key.Draw(t, "key"))
		case 5:
			var exp *string
			if rapid.Bool().Draw(t, "expect present") {
				exp = sp(val.Draw(t, "expected"))
			}
			c = cmdCAS(table.Draw(t, "table"), key.Draw(t, "key"), exp, val.Draw(t, "val"))
		case 6:
			c = cmdAppend(table.Draw(t, "table"), key.Draw(t, "key"), val.Draw(t, "val"))
		case 7:
			return rapid.SliceOfN(rapid.Byte(), 0, 8).Draw(t, "garbage")
		case 8:
			return unknownOp()
		}
		b, err := proto.Marshal(c)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		return b
	})
}

type step struct {
	res []byte
	err string
}

func applyAll(t *rapid.T, m *Machine, from uint64, cmds [][]byte) []step {
	out := make([]step, 0, len(cmds))
	for i, c := range cmds {
		res, err := m.Apply(from+uint64(i), c)
		s := step{res: res}
		if err != nil {
			s.err = err.Error()
		}
		out = append(out, s)
	}
	return out
}

func snapOf(t *rapid.T, m *Machine) []byte {
	var b bytes.Buffer
	if err := m.WriteSnapshot(&b); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return b.Bytes()
}

// Apply is deterministic: two machines fed the same commands give the same
// results and byte-identical snapshots; a machine restored from a snapshot
// is indistinguishable from the original, now and after more commands.
// Replay a failure with -rapid.seed=N (rapid prints it).
func TestPropertyDeterministicAndRestorable(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cmds := rapid.SliceOfN(genCommand(), 0, 60).Draw(t, "cmds")
		more := rapid.SliceOfN(genCommand(), 0, 20).Draw(t, "more")
		m1, m2 := New(), New()
		r1, r2 := applyAll(t, m1, 1, cmds), applyAll(t, m2, 1, cmds)
		if !equalSteps(r1, r2) {
			t.Fatalf("same commands, different results")
		}
		s1 := snapOf(t, m1)
		if !bytes.Equal(s1, snapOf(t, m2)) {
			t.Fatalf("same commands, different snapshots")
		}
		m3 := New()
		if err := m3.Restore(bytes.NewReader(s1)); err != nil {
			t.Fatalf("restore: %v", err)
		}
		if !bytes.Equal(s1, snapOf(t, m3)) {
			t.Fatalf("restored machine snapshots differently")
		}
		for _, q := range []*kvsmpb.Query{qTables(), qKeys("a"), qKeys("b"), qGet("a", "k"), qGet("c", "n")} {
			b, _ := proto.Marshal(q)
			a1, e1 := m1.Read(b)
			a3, e3 := m3.Read(b)
			if !bytes.Equal(a1, a3) || (e1 == nil) != (e3 == nil) {
				t.Fatalf("query %v: original %x/%v, restored %x/%v", q, a1, e1, a3, e3)
			}
		}
		n := uint64(len(cmds) + 1)
		if !equalSteps(applyAll(t, m1, n, more), applyAll(t, m3, n, more)) {
			t.Fatalf("restored machine answers later commands differently")
		}
		if !bytes.Equal(snapOf(t, m1), snapOf(t, m3)) {
			t.Fatalf("restored machine diverged after later commands")
		}
	})
}

func equalSteps(a, b []step) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i].res, b[i].res) || a[i].err != b[i].err {
			return false
		}
	}
	return true
}

// Apply and Read never panic, whatever the bytes.
func TestPropertyNoPanicOnArbitraryBytes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := New()
		_, _ = m.Apply(1, []byte{0x0a, 0x01, 'a'}) // new table "a"
		b := rapid.SliceOfN(rapid.Byte(), 0, 64).Draw(t, "bytes")
		res, err := m.Apply(2, b)
		var r kvsmpb.Result
		require.NoError(t, proto.Unmarshal(res, &r), "Apply's result always decodes")
		require.Equal(t, err != nil, r.GetCode() != kvsmpb.Code_CODE_OK)
		res, err = m.Read(b)
		require.NoError(t, proto.Unmarshal(res, &r), "Read's result always decodes")
		require.Equal(t, err != nil, r.GetCode() != kvsmpb.Code_CODE_OK)
	})
}

// For any commands and any cut k: a snapshot taken after the first k,
// written only after the machine applied the rest, restores a machine
// that, given the rest, answers and ends exactly as one that applied
// everything; the snapshot equals a fresh machine's at k. Over a key
// space wide enough to split the trees, so the copy-on-write paths run.
// Replay a failure with -rapid.seed=N (rapid prints it).
func TestPropertySnapshotAtCut(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cmds := rapid.SliceOfN(rapid.OneOf(genCommand(), genWidePut()), 0, 600).Draw(t, "cmds")
		k := rapid.IntRange(0, len(cmds)).Draw(t, "k")
		all := New()
		want := applyAll(t, all, 1, cmds)

		m := New()
		got := applyAll(t, m, 1, cmds[:k])
		s, err := m.Snapshot()
		if err != nil {
			t.Fatalf("snapshot: %v", err)
		}
		got = append(got, applyAll(t, m, uint64(k+1), cmds[k:])...)
		var b bytes.Buffer
		if _, err := s.WriteTo(&b); err != nil {
			t.Fatalf("write: %v", err)
		}
		s.Release()
		if !equalSteps(want, got) {
			t.Fatalf("taking a snapshot changed the machine's answers")
		}
		atK := New()
		applyAll(t, atK, 1, cmds[:k])
		if !bytes.Equal(snapOf(t, atK), b.Bytes()) {
			t.Fatalf("snapshot at %d differs from a fresh machine's at %d", k, k)
		}

		r := seededRapid(t)
		if err := r.Restore(bytes.NewReader(b.Bytes())); err != nil {
			t.Fatalf("restore: %v", err)
		}
		if r.AppliedIndex() != uint64(k) {
			t.Fatalf("restored applied index %d, want %d", r.AppliedIndex(), k)
		}
		if !equalSteps(want[k:], applyAll(t, r, uint64(k+1), cmds[k:])) {
			t.Fatalf("restored machine answers the rest differently")
		}
		if !bytes.Equal(snapOf(t, all), snapOf(t, r)) || !bytes.Equal(snapOf(t, all), snapOf(t, m)) {
			t.Fatalf("restored machine (or the snapshotted one) ends differently")
		}
	})
}

// genWidePut draws a Put to table "a" or "b" over 1,000 keys.
func genWidePut() *rapid.Generator[[]byte] {
	return rapid.Custom(func(t *rapid.T) []byte {
		c := cmdPut(rapid.SampledFrom([]string{"a", "b"}).Draw(t, "table"),
			fmt.Sprintf("w%04d", rapid.IntRange(0, 999).Draw(t, "key")), "v")
		b, err := proto.Marshal(c)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		return b
	})
}

// seededRapid is a machine with state of its own, which Restore replaces.
func seededRapid(t *rapid.T) *Machine {
	m := New()
	applyAll(t, m, 1, [][]byte{mustMarshal(t, cmdNew("old")), mustMarshal(t, cmdPut("old", "k", "v"))})
	return m
}

func mustMarshal(t *rapid.T, c *kvsmpb.Command) []byte {
	b, err := proto.Marshal(c)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}
