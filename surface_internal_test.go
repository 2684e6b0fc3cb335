package rafter

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/rafter-go/rafter/rafterpb"
)

// raftFrom must read from.name exactly as the consensus actor's decoding
// will, or a forged encoding could pass the identity check under one name
// and be handled under another.
func FuzzRaftFrom(f *testing.F) {
	one, _ := proto.Marshal(&rafterpb.RaftMessage{
		From: &rafterpb.Peer{Name: "p1", Node: "127.0.0.1:1"}, To: &rafterpb.Peer{Name: "p2"}, Term: 3,
		Body: &rafterpb.RaftMessage_AppendEntries{AppendEntries: &rafterpb.AppendEntries{
			Entries: []*rafterpb.Entry{{Index: 1, Cmd: []byte("x")}}}},
	})
	other, _ := proto.Marshal(&rafterpb.RaftMessage{From: &rafterpb.Peer{Name: "p3"}})
	f.Add(one)
	f.Add(append(append([]byte{}, one...), other...)) // from twice: the messages merge
	f.Add(append(append([]byte{}, other...), one...))
	f.Add([]byte{0x0a, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		var m rafterpb.RaftMessage
		uerr := proto.Unmarshal(data, &m)
		name, err := raftFrom(data)
		if uerr != nil {
			return // the actor never sees it: protoactor fails to decode it
		}
		require.NoError(t, err, "decodable message refused")
		assert.Equal(t, m.GetFrom().GetName(), name)
	})
}
