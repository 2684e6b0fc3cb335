package kvsm

import (
	"fmt"
	"math"
	"strconv"

	"github.com/rafter-go/rafter/kvsm/kvsmpb"
)

// maxIntegerBytes bounds the text Incr parses: the longest int64 in
// decimal ("-9223372036854775808") is 20 bytes. Longer values are refused
// before parsing.
const maxIntegerBytes = 20

// incr adds i.Delta to the key's integer value (absent: 0) and stores the
// sum as decimal text, as Redis INCRBY does.
func (m *Machine) incr(i *kvsmpb.Incr) (*kvsmpb.Result, error) {
	t, err := m.table(i.GetTable())
	if err != nil {
		return nil, err
	}
	var cur int64
	if old, ok := t.Get(i.GetKey()); ok {
		if cur, err = parseInteger(old); err != nil {
			return nil, err
		}
	}
	d := i.GetDelta()
	if (d > 0 && cur > math.MaxInt64-d) || (d < 0 && cur < math.MinInt64-d) {
		return nil, fmt.Errorf("%w: %d + %d overflows", ErrNotInteger, cur, d)
	}
	sum := cur + d
	t.Set(i.GetKey(), strconv.AppendInt(nil, sum, 10))
	return &kvsmpb.Result{Result: &kvsmpb.Result_Incr{Incr: &kvsmpb.IncrResult{Value: sum}}}, nil
}

// parseInteger reads a value as Redis does for INCR: plain decimal, an
// optional minus sign, no spaces, no plus sign, no leading zeros.
func parseInteger(b []byte) (int64, error) {
	if len(b) == 0 || len(b) > maxIntegerBytes {
		return 0, fmt.Errorf("%w: %d bytes", ErrNotInteger, len(b))
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || b[0] == '+' || string(b) != strconv.FormatInt(n, 10) {
		return 0, fmt.Errorf("%w: %q", ErrNotInteger, b)
	}
	return n, nil
}
