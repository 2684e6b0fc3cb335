package sim

import (
	"testing"

	"github.com/rafter-go/rafter/rafterpb"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// fill sets every field of m (recursively, one element per list) to a
// non-zero value; oneof picks which member of each oneof to set.
func fill(m protoreflect.Message, oneof int) {
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		if o := f.ContainingOneof(); o != nil && o.Fields().Get(oneof%o.Fields().Len()) != f {
			continue
		}
		switch {
		case f.IsList() && f.Kind() == protoreflect.MessageKind:
			el := m.Mutable(f).List().AppendMutable()
			fill(el.Message(), oneof)
		case f.IsList():
			m.Mutable(f).List().Append(scalar(f))
		case f.Kind() == protoreflect.MessageKind:
			fill(m.Mutable(f).Message(), oneof)
		default:
			m.Set(f, scalar(f))
		}
	}
}

// bump changes every set field of m in place, down to nested messages and
// list elements.
func bump(m protoreflect.Message) {
	m.Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case f.IsList() && f.Kind() == protoreflect.MessageKind:
			for i := 0; i < v.List().Len(); i++ {
				bump(v.List().Get(i).Message())
			}
		case f.IsList():
			v.List().Set(0, other(f, v.List().Get(0)))
		case f.Kind() == protoreflect.MessageKind:
			bump(v.Message())
		case f.Kind() == protoreflect.BytesKind:
			v.Bytes()[0]++ // in place: a shared byte slice shows
		default:
			m.Set(f, other(f, v))
		}
		return true
	})
}

func other(f protoreflect.FieldDescriptor, v protoreflect.Value) protoreflect.Value {
	switch f.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(!v.Bool())
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(v.String() + "x")
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(v.Enum() + 1)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(v.Uint() + 1)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(uint32(v.Uint()) + 1)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(v.Int() + 1)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(int32(v.Int()) + 1)
	}
	panic("sim: other: field kind " + f.Kind().String())
}

func scalar(f protoreflect.FieldDescriptor) protoreflect.Value {
	switch f.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.StringKind:
		return protoreflect.ValueOfString("s")
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte("b"))
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(1)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(7)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(7)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(7)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(7)
	}
	panic("sim: fill: field kind " + f.Kind().String())
}

// The hand-written clones copy every field that rafter.proto defines, and
// share nothing with the original.
func TestCloneCoversEveryField(t *testing.T) {
	bodies := (&rafterpb.RaftMessage{}).ProtoReflect().Descriptor().Oneofs().ByName("body").Fields().Len()
	for o := range bodies {
		m := &rafterpb.RaftMessage{}
		fill(m.ProtoReflect(), o)
		want := proto.Clone(m)
		c := cloneMsg(m)
		if !proto.Equal(want, c) {
			t.Fatalf("cloneMsg misses a field of body %d:\n%v\n%v", o, m, c)
		}
		bump(m.ProtoReflect()) // changes every field in place
		if proto.Equal(m, want) || !proto.Equal(c, want) {
			t.Fatalf("cloneMsg shares memory with the original (body %d)", o)
		}
	}
	e := &rafterpb.Entry{}
	fill(e.ProtoReflect(), 0)
	if !proto.Equal(e, cloneEntry(e)) {
		t.Fatal("cloneEntry misses a field")
	}
	meta := &rafterpb.Meta{}
	fill(meta.ProtoReflect(), 0)
	if !proto.Equal(meta, cloneMeta(meta)) {
		t.Fatal("cloneMeta misses a field")
	}
}
