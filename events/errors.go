package events

import "errors"

// ErrUnknownKind: ParseKind was given a name no Kind has.
var ErrUnknownKind = errors.New("events: unknown event kind")
