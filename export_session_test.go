package rafter

import (
	"context"

	"github.com/rafter-go/rafter/rafterpb"
)

// SessionOpAt sends cmd once as sequence seq of se with the given floor,
// as a retry of an earlier sequence would be sent (a test hook), and
// returns the reply's result and apply error.
func SessionOpAt(ctx context.Context, se *Session, seq, floor uint64, cmd []byte) ([]byte, string, error) {
	se.mu.Lock()
	se.next = max(se.next, seq+1)
	se.mu.Unlock()
	r, err := se.once(ctx, "session op", &rafterpb.OpRequest{Cmd: cmd, ClientId: se.id, Sequence: seq, SessionFloor: floor})
	if err != nil {
		return nil, "", err
	}
	return r.GetResult(), r.GetApplyError(), nil
}

// RawOp sends req as it is (a test hook for malformed session requests).
func RawOp(ctx context.Context, s *System, via Peer, req *rafterpb.OpRequest) error {
	r, err := call[*rafterpb.OpReply](ctx, s, via, "op", req)
	if err != nil {
		return err
	}
	return fromWire(r.GetError())
}
