package kvsm

import (
	"errors"
	"fmt"

	"github.com/rafter-go/rafter/kvsm/kvsmpb"
)

// Errors of kvsm. Machine.Apply and Machine.Read return them (wrapped with
// detail) as results; the Client returns them wrapped, together with the
// *rafter.ApplyError or *rafter.ReadError that carried them, so both
// errors.Is(err, ErrNoSuchTable) and errors.As(err, &applyErr) work. They
// are results of a committed command (or a read), not replication failures:
// every replica computes the same one.
var (
	// ErrNoSuchTable: the command or query named a table that does not
	// exist (rafter_backend_ets fails the same way: ets raises badarg).
	ErrNoSuchTable = errors.New("kvsm: no such table")
	// ErrTableExists: NewTable named a table that already exists.
	ErrTableExists = errors.New("kvsm: table exists")
	// ErrMalformed: the bytes were not a kvsm command or query, named an
	// operation this version does not know, or had an invalid field (an
	// empty table name); also a result that the client cannot decode.
	ErrMalformed = errors.New("kvsm: malformed command")
	// ErrNotInteger: Incr found a value that is not a signed 64-bit
	// decimal integer, or the sum would overflow; the value is unchanged.
	ErrNotInteger = errors.New("kvsm: value is not an integer or out of range")
)

// codeOf maps an error of this package to its wire code.
func codeOf(err error) kvsmpb.Code {
	switch {
	case errors.Is(err, ErrNoSuchTable):
		return kvsmpb.Code_CODE_NO_SUCH_TABLE
	case errors.Is(err, ErrTableExists):
		return kvsmpb.Code_CODE_TABLE_EXISTS
	case errors.Is(err, ErrNotInteger):
		return kvsmpb.Code_CODE_NOT_INTEGER
	}
	return kvsmpb.Code_CODE_MALFORMED
}

// errorOf maps a Result's code back to a sentinel wrapped with its detail;
// nil for CODE_OK.
func errorOf(r *kvsmpb.Result) error {
	var s error
	switch r.GetCode() {
	case kvsmpb.Code_CODE_OK:
		return nil
	case kvsmpb.Code_CODE_NO_SUCH_TABLE:
		s = ErrNoSuchTable
	case kvsmpb.Code_CODE_TABLE_EXISTS:
		s = ErrTableExists
	case kvsmpb.Code_CODE_MALFORMED:
		s = ErrMalformed
	case kvsmpb.Code_CODE_NOT_INTEGER:
		s = ErrNotInteger
	default:
		return fmt.Errorf("%w: unknown result code %d: %s", ErrMalformed, r.GetCode(), r.GetDetail())
	}
	if r.GetDetail() == "" {
		return s
	}
	return fmt.Errorf("%w: %s", s, r.GetDetail())
}
