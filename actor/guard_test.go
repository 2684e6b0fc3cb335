package actor

import (
	"context"
	"log/slog"
	"testing"
	"time"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// unregisteredType builds, at run time, a message type that is in no
// protobuf registry, so no System can deserialize it.
func unregisteredType(t *testing.T) protoreflect.MessageDescriptor {
	t.Helper()
	fdp := &descriptorpb.FileDescriptorProto{
		Name:    proto.String("actortest/unregistered.proto"),
		Package: proto.String("actortest"),
		Syntax:  proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: proto.String("Unregistered"),
			Field: []*descriptorpb.FieldDescriptorProto{{
				Name:     proto.String("x"),
				JsonName: proto.String("x"),
				Number:   proto.Int32(1),
				Type:     descriptorpb.FieldDescriptorProto_TYPE_INT64.Enum(),
				Label:    descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
			}},
		}},
	}
	fd, err := protodesc.NewFile(fdp, nil)
	require.NoError(t, err)
	return fd.Messages().Get(0)
}

// recoveredPanics counts the records our recovery interceptors logged.
func recoveredPanics(st *logStore) int {
	n := 0
	for _, r := range st.all() {
		if r.Message == "actor: recovered panic in gRPC handler" {
			n++
		}
	}
	return n
}

// TestUnregisteredTypeDoesNotCrash: protoactor's deserializer dereferences
// nil on a type the receiver does not know (docs/protoactor-traps.md §5). Without the
// stream recovery interceptor this kills the test binary.
func TestUnregisteredTypeDoesNotCrash(t *testing.T) {
	st := &logStore{}
	a := newNode(t, Options{})
	b := newNode(t, Options{Logger: slog.New(&captureHandler{store: st})})
	echo := a.PIDOf("echo", b.Address())
	echoUntilOK(t, a, echo, 5*time.Second)

	msg := dynamicpb.NewMessage(unregisteredType(t))
	msg.Set(msg.Descriptor().Fields().Get(0), protoreflect.ValueOfInt64(42))
	a.Cast(echo, msg)

	require.Eventually(t, func() bool { return recoveredPanics(st) > 0 },
		5*time.Second, 10*time.Millisecond, "the bad batch never reached b")
	// b is alive and a reconnects to it.
	echoUntilOK(t, a, echo, 10*time.Second)
}

// dialRemoting opens a raw gRPC client to a System's Remoting service.
func dialRemoting(t *testing.T, addr string) remote.RemotingClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return remote.NewRemotingClient(conn)
}

// TestBogusTypeNameOnRawStreamDoesNotCrash: a client that speaks
// protoactor's wire protocol by hand names a type nobody registered.
func TestBogusTypeNameOnRawStreamDoesNotCrash(t *testing.T) {
	b := newNode(t, Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	stream, err := dialRemoting(t, b.Address()).Receive(ctx)
	require.NoError(t, err)
	require.NoError(t, stream.Send(&remote.RemoteMessage{MessageType: &remote.RemoteMessage_ConnectRequest{
		ConnectRequest: &remote.ConnectRequest{ConnectionType: &remote.ConnectRequest_ServerConnection{
			ServerConnection: &remote.ServerConnection{SystemId: "raw", Address: "127.0.0.1:1"},
		}},
	}}))
	_, err = stream.Recv() // ConnectResponse
	require.NoError(t, err)
	require.NoError(t, stream.Send(&remote.RemoteMessage{MessageType: &remote.RemoteMessage_MessageBatch{
		MessageBatch: &remote.MessageBatch{
			TypeNames: []string{"no.such.Type"},
			Targets:   []*protoactor.PID{b.PIDOf("echo", "")},
			Envelopes: []*remote.MessageEnvelope{{TypeId: 0, Target: 0, MessageData: []byte{8, 1}}},
		},
	}}))
	_, err = stream.Recv()
	assert.Equal(t, codes.Internal, status.Code(err), "the stream ends with the recovered panic: %v", err)

	a := newNode(t, Options{})
	echoUntilOK(t, a, a.PIDOf("echo", b.Address()), 5*time.Second)
}

// TestUnaryRPCsRefused: ListProcesses and GetProcessDiagnostics (process
// listing, and panic("implement me") in protoactor) are refused before
// protoactor's handler runs, counted, and the System keeps serving.
func TestUnaryRPCsRefused(t *testing.T) {
	b := newNode(t, Options{})
	client := dialRemoting(t, b.Address())
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()

	_, err := client.ListProcesses(ctx, &remote.ListProcessesRequest{})
	assert.Equal(t, codes.PermissionDenied, status.Code(err), "%v", err)
	_, err = client.GetProcessDiagnostics(ctx, &remote.GetProcessDiagnosticsRequest{})
	assert.Equal(t, codes.PermissionDenied, status.Code(err), "%v", err)
	assert.Equal(t, uint64(2), b.Refused())

	a := newNode(t, Options{})
	echoUntilOK(t, a, a.PIDOf("echo", b.Address()), 5*time.Second)
}
