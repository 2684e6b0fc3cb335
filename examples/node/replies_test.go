package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/kvsm"
)

// TestReplyErr: each error kind maps to the reply prefix a client acts on.
func TestReplyErr(t *testing.T) {
	s := &server{cfg: config{Table: "default"}, log: slog.New(slog.DiscardHandler)}
	wrap := func(err error) error { return fmt.Errorf("kvsm: put default/k: rafter: op via a: %w", err) }
	tests := []struct {
		name  string
		err   error
		write bool
		want  string
	}{
		{"no leader, write", wrap(rafter.ErrNoLeader), true, "-TRYAGAIN "},
		{"election, read", wrap(rafter.ErrElectionInProgress), false, "-TRYAGAIN "},
		{"redirect", wrap(&rafter.RedirectError{}), true, "-TRYAGAIN "},
		{"not member", wrap(rafter.ErrNotMember), true, "-TRYAGAIN this node is not in a configuration yet"},
		{"too large", wrap(rafter.ErrTooLarge), true, "-ERR "},
		{"no table", wrap(kvsm.ErrNoSuchTable), true, "-TRYAGAIN table 'default' does not exist yet"},
		{"timeout, write", wrap(rafter.ErrTimeout), true, "-UNKNOWN outcome unknown, the write may have been applied"},
		{"leadership lost, write", wrap(rafter.ErrLeadershipLost), true, "-UNKNOWN "},
		{"timeout, read", wrap(rafter.ErrTimeout), false, "-TRYAGAIN "},
		{"cancelled, write", wrap(context.Canceled), true, "-UNKNOWN outcome unknown, node shutting down"},
		{"malformed", wrap(kvsm.ErrMalformed), true, "-ERR "},
		{"apply error", wrap(&rafter.ApplyError{Index: 3, Msg: "boom"}), true, "-ERR "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			w := newWriter(&b, minOutputBytes)
			s.replyErr(w, tt.err, tt.write)
			assert.NoError(t, w.flush())
			assert.True(t, strings.HasPrefix(b.String(), tt.want), "got %q", b.String())
			assert.Equal(t, 1, strings.Count(b.String(), "\r\n"), "one line")
		})
	}
}
