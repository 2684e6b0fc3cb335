package rafterpb_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/rafter-go/rafter/rafterpb"
)

// Every message of the .proto files, with every field set to a value that
// is not its default (each alternative of each oneof in turn, nested
// messages to a small depth, two elements per repeated field), survives
// Marshal then Unmarshal unchanged. A schema change that breaks a message
// (a field number reused with another type, a message that no longer
// marshals) fails here.
func TestEveryMessageRoundTrips(t *testing.T) {
	files := []protoreflect.FileDescriptor{rafterpb.File_rafter_proto, rafterpb.File_log_proto, rafterpb.File_control_proto}
	count := 0
	for _, fd := range files {
		msgs := fd.Messages()
		for i := range msgs.Len() {
			md := msgs.Get(i)
			for choice := range maxOneofSize(md) {
				m := newMessage(t, md)
				fill(m, 0, choice)
				name := fmt.Sprintf("%s/%d", md.FullName(), choice)
				b, err := proto.Marshal(m.Interface())
				require.NoError(t, err, name)
				got := newMessage(t, md)
				require.NoError(t, proto.Unmarshal(b, got.Interface()), name)
				require.True(t, proto.Equal(m.Interface(), got.Interface()), "%s: %v != %v", name, m, got)
				if md.Fields().Len() > 0 {
					require.NotEmpty(t, b, "%s: filled message encodes to nothing", name)
				}
				count++
			}
		}
	}
	require.Greater(t, count, 30, "the files' messages were found")
}

// newMessage makes a message of the generated Go type (not a dynamic one), so
// the generated code is what is checked.
func newMessage(t *testing.T, md protoreflect.MessageDescriptor) protoreflect.Message {
	mt, err := protoregistryType(md)
	if err != nil {
		t.Fatalf("%s: %v", md.FullName(), err)
	}
	return mt.New()
}

func protoregistryType(md protoreflect.MessageDescriptor) (protoreflect.MessageType, error) {
	m, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
	if err != nil {
		return dynamicpb.NewMessageType(md), err
	}
	return m, nil
}

func maxOneofSize(md protoreflect.MessageDescriptor) int {
	n := 1
	for i := range md.Oneofs().Len() {
		n = max(n, md.Oneofs().Get(i).Fields().Len())
	}
	return n
}

// fill sets every field of m; in a oneof, the alternative choice (modulo
// its size). Message fields are filled to depth 3.
func fill(m protoreflect.Message, depth, choice int) {
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if o := f.ContainingOneof(); o != nil && !o.IsSynthetic() {
			if o.Fields().Get(choice%o.Fields().Len()) != f {
				continue
			}
		}
		switch {
		case f.IsList():
			l := m.Mutable(f).List()
			for k := range 2 {
				l.Append(value(m, f, depth, choice, k))
			}
		case f.IsMap():
			mp := m.Mutable(f).Map()
			mp.Set(protoreflect.ValueOfString("k").MapKey(), value(m, f.MapValue(), depth, choice, 1))
		case f.Kind() == protoreflect.MessageKind || f.Kind() == protoreflect.GroupKind:
			if depth < 3 {
				sub := m.NewField(f).Message()
				fill(sub, depth+1, choice)
				m.Set(f, protoreflect.ValueOfMessage(sub))
			}
		default:
			m.Set(f, value(m, f, depth, choice, 1))
		}
	}
}

// value is a non-default value for one (element of a) field.
func value(m protoreflect.Message, f protoreflect.FieldDescriptor, depth, choice, k int) protoreflect.Value {
	switch f.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.EnumKind:
		vals := f.Enum().Values()
		return protoreflect.ValueOfEnum(vals.Get(vals.Len() - 1).Number())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(int32(-7 - k))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(int64(-1<<40 - k))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(uint32(7 + k))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(uint64(1<<40 + k))
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(1.5)
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(2.5)
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(fmt.Sprintf("%s-%d", f.Name(), k))
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte{byte(k), 0xff, 0})
	case protoreflect.MessageKind, protoreflect.GroupKind:
		var sub protoreflect.Message
		if f.IsList() {
			sub = m.Mutable(f).List().NewElement().Message()
		} else {
			sub = m.NewField(f).Message()
		}
		if depth < 3 {
			fill(sub, depth+1, choice)
		}
		return protoreflect.ValueOfMessage(sub)
	}
	panic(fmt.Sprintf("unhandled kind %v", f.Kind()))
}
