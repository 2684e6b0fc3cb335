package session

import "errors"

var (
	// ErrExpired: the command names a session this replica's table does
	// not hold (never registered, expired by logged time, or evicted), or
	// a sequence whose result was forgotten. The command was not applied
	// now; whether an earlier copy of it was applied, the table no longer
	// knows.
	ErrExpired = errors.New("session: unknown or expired session")
	// ErrCorrupt: Decode was given bytes that are not an encoded table.
	ErrCorrupt = errors.New("session: corrupt table encoding")
	// ErrTooLarge: Decode was given a table past the package's limits.
	ErrTooLarge = errors.New("session: encoded table too large")
)
