package actor

import "errors"

var (
	// ErrNameTaken: SpawnNamed found a live process under that name. The
	// error also wraps protoactor.ErrNameExists. Definite: nothing spawned.
	ErrNameTaken = errors.New("actor: name taken")

	// ErrUnknownName: Whereis found no local process under that name.
	ErrUnknownName = errors.New("actor: unknown name")

	// ErrNoProcess: the target of a Call does not exist (a dead letter came
	// back), locally or on the remote node, or the remote node could not be
	// reached. Definite for a local target; for a remote one the request may
	// have been delivered before the connection failed.
	ErrNoProcess = errors.New("actor: no process")

	// ErrUnexpectedReply: a Call's reply had a type other than the one asked
	// for. The request was delivered and handled.
	ErrUnexpectedReply = errors.New("actor: unexpected reply")

	// ErrStopped: the System has been shut down. Definite: nothing was sent.
	ErrStopped = errors.New("actor: system stopped")

	// ErrBadOptions: Options.Validate refused the options.
	ErrBadOptions = errors.New("actor: bad options")

	// ErrRemote: the remote server could not be started (e.g. the port is in
	// use).
	ErrRemote = errors.New("actor: remote start failed")

	// ErrTLS: a TLS certificate, key or CA could not be loaded, or a peer's
	// certificate failed verification.
	ErrTLS = errors.New("actor: tls")

	// ErrNotAllowed: a peer certificate carries no name of the allowlist
	// given to TLSFromFiles.
	ErrNotAllowed = errors.New("actor: certificate name not allowed")
)
