package netns

import "strings"

// BadReply marks (in Op.Err) a reply of the wrong shape for its command.
const BadReply = "bad reply"

// classify maps a reply to an outcome (examples/node's replyErr: TRYAGAIN
// is definite, UNKNOWN and anything unexpected is not).
func classify(k Kind, r Reply, err error) (Output, Outcome) {
	switch {
	case err != nil:
		return Output{}, Unknown
	case strings.HasPrefix(r.Err(), "TRYAGAIN"):
		return Output{}, Failed
	case r.Kind == '-':
		return Output{}, Unknown
	}
	switch k {
	case Get:
		if r.Kind == '$' {
			return Output{Found: !r.Nil, Value: r.Str}, OK
		}
	case Set:
		if r.Kind == '+' && r.Str == "OK" {
			return Output{}, OK
		}
	case Append:
		if r.Kind == ':' {
			return Output{Len: r.Int, LenOnly: true}, OK
		}
	case CAS:
		if r.Kind == '*' && len(r.Elems) == 2 && r.Elems[0].Kind == ':' && r.Elems[1].Kind == '$' {
			return Output{Swapped: r.Elems[0].Int == 1, CurrentFound: !r.Elems[1].Nil, Current: r.Elems[1].Str}, OK
		}
	}
	// A reply of the wrong shape: unknown, so the check does not rely on
	// it; Do marks it BadReply and the test fails on it.
	return Output{}, Unknown
}
