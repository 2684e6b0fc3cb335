package config

import "errors"

// Errors returned by Allow, AllowChange and Validate. All of them are
// definite: the requested configuration was not adopted.
var (
	// ErrConfigInProgress: a change is already running (staging or
	// transitional); rafter: allow_config/2 {error, config_in_progress}.
	ErrConfigInProgress = errors.New("config: configuration change in progress")
	// ErrNotModified: the requested servers equal the current ones;
	// rafter: allow_config/2 {error, not_modified}.
	ErrNotModified = errors.New("config: configuration not modified")
	// ErrEmpty: a server list without servers.
	ErrEmpty = errors.New("config: empty server list")
	// ErrDuplicatePeer: the same peer appears twice in a server list.
	ErrDuplicatePeer = errors.New("config: duplicate peer")
	// ErrEmptyName: a nil peer, or a peer without a name.
	ErrEmptyName = errors.New("config: peer without a name")
	// ErrBadNode: a peer's node is neither empty (the local System) nor a
	// host:port address with a port from 1 to 65535 (see CheckNode).
	ErrBadNode = errors.New("config: peer node is not host:port")
)

// Errors of AddLearner, RemoveLearner and CheckLearners. All definite.
var (
	// ErrIsVoter: the peer votes in the configuration, so it cannot be
	// added as a learner (nor listed as one).
	ErrIsVoter = errors.New("config: peer is a voter")
	// ErrAlreadyLearner: AddLearner of a peer that is a learner already.
	ErrAlreadyLearner = errors.New("config: peer is already a learner")
	// ErrNotLearner: RemoveLearner of a peer that is not a learner.
	ErrNotLearner = errors.New("config: peer is not a learner")
	// ErrNoCluster: a learner change on a blank configuration.
	ErrNoCluster = errors.New("config: no configuration to change")
)
