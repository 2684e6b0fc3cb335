package consensus

import "errors"

// Errors the consensus actor panics with (the supervisor then restarts the
// peer) or returns from Options.Validate. Clients never see these: they get
// rafterpb.Error codes in their replies.
var (
	// ErrInvalidOptions: Options.Validate refused a field.
	ErrInvalidOptions = errors.New("consensus: invalid options")
	// ErrLogLoad: the log server could not hand over the log on start.
	ErrLogLoad = errors.New("consensus: cannot load the log")
	// ErrLogWrite: the log server reported a failed write, or disappeared
	// while writes were pending. Raft cannot continue without durable
	// storage, so the actor panics and the supervisor restarts the pair.
	ErrLogWrite = errors.New("consensus: log write failed")
)
