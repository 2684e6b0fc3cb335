package rafter_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rafter-go/rafter"
	"github.com/rafter-go/rafter/internal/cluster"
)

// Issue 12 acceptance: a follower whose data directory is emptied, or whose
// last log record is cut, while it is stopped catches up after restart
// without the leader restarting. Raft assumes durable logs, so the leader
// had recorded a match index the follower no longer holds; it used to drop
// the follower's rejections as stale and the follower stayed behind for
// the whole term.
func TestFollowerThatLostEntriesCatchesUp(t *testing.T) {
	tests := []struct {
		name string
		lose func(t *testing.T, dir string)
	}{
		{"data dir emptied", func(t *testing.T, dir string) {
			require.NoError(t, os.RemoveAll(dir))
		}},
		{"last record cut", func(t *testing.T, dir string) {
			segs, err := filepath.Glob(filepath.Join(dir, "*.seg"))
			require.NoError(t, err)
			require.NotEmpty(t, segs)
			sort.Strings(segs)
			last := segs[len(segs)-1]
			data, err := os.ReadFile(last)
			require.NoError(t, err)
			// The file runs ahead of its records in zeros: cut 3 bytes
			// before the last byte that is not zero, inside the last
			// record. A torn write: recovery cuts the record.
			end := bytes.LastIndexFunc(data, func(r rune) bool { return r != 0 }) + 1
			require.Greater(t, end, 3)
			require.NoError(t, os.Truncate(last, int64(end-3)))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &logCounter{}
			c := cluster.Start(t, cluster.Config{N: 3, Logger: slog.New(logs)})
			s := c.Client()
			c.Configure()
			leader := c.WaitLeader()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			for i := range 20 {
				_, err := s.Op(ctx, leader, []byte(fmt.Sprintf("before-%d", i)))
				require.NoError(t, err)
			}
			c.WaitConverged()
			lst, err := s.Status(ctx, leader)
			require.NoError(t, err)

			f := c.Peers[(c.Index(leader)+1)%3]
			i := c.Index(f)
			require.NoError(t, c.Systems[i].StopNode(f))
			tt.lose(t, c.Dirs[i])
			require.NoError(t, c.Systems[i].StartNode(f, c.Opts[i]))
			_, err = s.Op(ctx, leader, []byte("after"))
			require.NoError(t, err)

			c.WaitConverged()
			requireAllPresent(t, c, map[string]bool{"before-0": true, "before-19": true, "after": true})
			now, err := s.Status(ctx, leader)
			require.NoError(t, err)
			assert.Equal(t, rafter.Leader, now.Role, "%s still leads", leader)
			assert.Equal(t, lst.Term, now.Term, "the leader did not change term")
			assert.Positive(t, now.FollowersLostEntries, "the leader counted it")
			assert.Positive(t, logs.matching("follower lost entries"), "the leader logged it")
		})
	}
}
