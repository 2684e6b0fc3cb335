package rafter

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	protoactor "github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/rafter-go/rafter/actor"
	"github.com/rafter-go/rafter/rafterpb"
)

// The network surface of a System: what it accepts from other Systems.
// Everything not listed here is refused, counted (System.Refused) and
// logged: messages to log servers ("<name>/log") and supervisors
// ("<name>"), protoactor's system messages (Stop, PoisonPill, Watch,
// Unwatch, Terminated), process listing and diagnostics. The filter runs on
// the connection before protoactor decodes the message (actor.Inbound).

// consensusTypes are the messages a peer's consensus actor accepts from
// the network: Raft messages between peers and the client requests of the
// public API.
var consensusTypes = typeNames(
	&rafterpb.RaftMessage{},
	&rafterpb.OpRequest{}, &rafterpb.ReadOpRequest{}, &rafterpb.SetConfigRequest{},
	&rafterpb.TransferLeadershipRequest{}, &rafterpb.BootstrapRequest{},
	&rafterpb.GetLeaderRequest{}, &rafterpb.GetEntryRequest{}, &rafterpb.StatusRequest{},
	&rafterpb.SnapshotRequest{},
)

// replyTypes are the answers a Call of this System waits for, in a reply
// process "call$N" (actor.Call): the replies to the requests above, a
// KillReply, and protoactor's dead-letter notice for a missing target.
var replyTypes = typeNames(
	&rafterpb.OpReply{}, &rafterpb.ReadOpReply{}, &rafterpb.SetConfigReply{},
	&rafterpb.TransferLeadershipReply{}, &rafterpb.BootstrapReply{}, &rafterpb.GetLeaderReply{}, &rafterpb.GetEntryReply{}, &rafterpb.StatusReply{},
	&rafterpb.SnapshotReply{},
	&rafterpb.KillReply{}, &protoactor.DeadLetterResponse{},
)

var controlTypes = typeNames(&rafterpb.KillRequest{})

var raftMessageType = string(proto.MessageName(&rafterpb.RaftMessage{}))

func typeNames(ms ...proto.Message) []protoreflect.FullName {
	names := make([]protoreflect.FullName, len(ms))
	for i, m := range ms {
		names[i] = proto.MessageName(m)
	}
	return names
}

// Reasons a message from another System is refused.
var (
	errNotServed        = errors.New("not served to other Systems")
	errIdentityMismatch = errors.New("Raft message 'from' is not named by the connection's certificate")
	errUndecodable      = errors.New("undecodable Raft message")
)

// accept is the System's actor.Options.Accept.
func (s *System) accept(in actor.Inbound) error {
	typ := protoreflect.FullName(in.Type)
	switch {
	case strings.HasSuffix(in.Target, "/consensus") && slices.Contains(consensusTypes, typ):
		if in.Type == raftMessageType {
			return checkRaftIdentity(in)
		}
		return nil
	case strings.HasPrefix(in.Target, "call$") && slices.Contains(replyTypes, typ):
		return nil
	case in.Target == controlName && slices.Contains(controlTypes, typ):
		return nil
	}
	return fmt.Errorf("%w: %s to %q", errNotServed, in.Type, in.Target)
}

// checkRaftIdentity binds a Raft message to the connection's certificate:
// its from.Name must be one of the certificate's names (DNS SANs or common
// name). The name is what a peer is known by in every configuration, so a
// member's certificate cannot vote, append or reply as another member. The
// Node half of from is not bound: a peer's address may change (a new
// AdvertiseAddr), its name may not. Without TLS there is no identity to
// bind (plaintext is only allowed on loopback or with Insecure).
func checkRaftIdentity(in actor.Inbound) error {
	if in.Names == nil {
		return nil
	}
	from, err := raftFrom(in.Data)
	if err != nil {
		return fmt.Errorf("%w: %w", errUndecodable, err)
	}
	if !slices.Contains(in.Names, from) {
		return fmt.Errorf("%w: from %q, certificate %q", errIdentityMismatch, from, in.Names)
	}
	return nil
}

// raftFromField is RaftMessage.from's field number (rafterpb/rafter.proto).
const raftFromField = 1

// raftFrom returns RaftMessage.from.name of an encoded RaftMessage without
// decoding the rest (an AppendEntries may carry megabytes of entries).
// Every occurrence of the field is kept, concatenated: protobuf merges
// repeated occurrences of a message field, and the consensus actor will
// see the merged value.
func raftFrom(data []byte) (string, error) {
	var from []byte
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return "", protowire.ParseError(n)
		}
		data = data[n:]
		if num == raftFromField && typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(data)
			if m < 0 {
				return "", protowire.ParseError(m)
			}
			from = append(from, v...)
			data = data[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, data)
		if m < 0 {
			return "", protowire.ParseError(m)
		}
		data = data[m:]
	}
	var p rafterpb.Peer
	if err := proto.Unmarshal(from, &p); err != nil {
		return "", err
	}
	return p.GetName(), nil
}
