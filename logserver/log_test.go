package logserver

import (
	"testing"

	"github.com/rafter-go/rafter/rafterpb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

// impls runs a test against a FileLog with small segments.
func impls(t *testing.T, f func(t *testing.T, l *FileLog)) {
	o, _ := testOptions(256)
	l := mustOpen(t, t.TempDir(), o)
	defer func() { assert.NoError(t, l.Close()) }()
	f(t, l)
}

func TestLogAppendAndRead(t *testing.T) {
	impls(t, func(t *testing.T, l *FileLog) {
		assert.Equal(t, uint64(0), l.LastIndex())
		assert.Equal(t, uint64(0), l.LastTerm())
		assert.Nil(t, l.Meta())
		_, err := l.Entry(1)
		assert.ErrorIs(t, err, ErrNotFound)

		es := append(entries(1, 3, 1, 10), configEntry(4, 2, "a", "b"), entry(nil, 5, 2, 100))
		require.NoError(t, l.Write(&rafterpb.Meta{Term: 2, VotedFor: &rafterpb.Peer{Name: "a"}}, es))
		require.NoError(t, l.Sync())
		assert.Equal(t, uint64(5), l.LastIndex())
		assert.Equal(t, uint64(2), l.LastTerm())
		for _, e := range es {
			got, err := l.Entry(e.Index)
			require.NoError(t, err)
			assert.True(t, proto.Equal(e, got))
			term, err := l.TermAt(e.Index)
			require.NoError(t, err)
			assert.Equal(t, e.Term, term)
		}
		term, err := l.TermAt(0)
		require.NoError(t, err)
		assert.Equal(t, uint64(0), term)
		_, err = l.TermAt(6)
		assert.ErrorIs(t, err, ErrNotFound)
		got, err := l.Entries(2, 5)
		require.NoError(t, err)
		require.Len(t, got, 3)
		assert.Equal(t, uint64(4), got[2].Index)
		_, err = l.Entries(2, 7)
		assert.ErrorIs(t, err, ErrNotFound)
		assert.Equal(t, "a", l.Meta().GetVotedFor().GetName())
	})
}

func TestLogTruncateConflictingSuffix(t *testing.T) {
	// Raft §5.3: a follower deletes a conflicting entry and all that follow.
	impls(t, func(t *testing.T, l *FileLog) {
		require.NoError(t, l.Write(nil, append(entries(1, 2, 1, 5), configEntry(3, 1, "a"), configEntry(4, 1, "a", "b"), entry(nil, 5, 1, 5))))
		l.SetCommitFloor(2)
		require.NoError(t, l.Write(nil, []*rafterpb.Entry{entry(nil, 4, 3, 7)}))
		assert.Equal(t, uint64(4), l.LastIndex())
		assert.Equal(t, uint64(3), l.LastTerm())
		require.NoError(t, l.Write(nil, []*rafterpb.Entry{entry(nil, 3, 3, 7)}))
		require.NoError(t, l.Sync())
		e, err := l.Entry(3)
		require.NoError(t, err)
		assert.Equal(t, uint64(3), e.Term)
	})
}

func TestLogRefusesBadInput(t *testing.T) {
	tests := []struct {
		name    string
		meta    *rafterpb.Meta
		entries []*rafterpb.Entry
		want    error
	}{
		{"gap after last", nil, entries(7, 7, 2, 1), ErrIndexGap},
		{"gap inside write", nil, []*rafterpb.Entry{entry(nil, 6, 2, 1), entry(nil, 8, 2, 1)}, ErrIndexGap},
		{"index zero", nil, entries(0, 0, 2, 1), ErrIndexGap},
		{"nil entry", nil, []*rafterpb.Entry{nil}, ErrIndexGap},
		{"term below previous entry", nil, entries(6, 6, 1, 1), ErrTermRegress},
		{"term goes down inside write", nil, []*rafterpb.Entry{entry(nil, 6, 3, 1), entry(nil, 7, 2, 1)}, ErrTermRegress},
		{"truncate at commit floor", nil, entries(3, 3, 9, 1), ErrBelowCommit},
		{"truncate below commit floor", nil, entries(1, 1, 9, 1), ErrBelowCommit},
		{"meta term goes down", &rafterpb.Meta{Term: 4}, nil, ErrTermRegress},
		{"meta fine but entries bad", &rafterpb.Meta{Term: 9}, entries(9, 9, 9, 1), ErrIndexGap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			impls(t, func(t *testing.T, l *FileLog) {
				require.NoError(t, l.Write(&rafterpb.Meta{Term: 5}, append(entries(1, 4, 1, 3), entries(5, 5, 2, 3)...)))
				l.SetCommitFloor(3)
				require.NoError(t, l.Sync())
				before := dirBytes(t, l.dir)
				err := l.Write(tt.meta, tt.entries)
				require.ErrorIs(t, err, tt.want)
				assert.Contains(t, err.Error(), "logserver: ")
				assert.Equal(t, rafterpb.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, ProtoError(err).GetCode())
				require.NoError(t, l.Sync())
				assert.Equal(t, uint64(5), l.LastIndex())
				assert.Equal(t, uint64(5), l.Meta().GetTerm())
				assert.Equal(t, before, dirBytes(t, l.dir), "nothing changed on disk")
				// The log still accepts a good write.
				require.NoError(t, l.Write(nil, entries(4, 4, 2, 3)))
				assert.Equal(t, uint64(4), l.LastIndex())
			})
		})
	}
}

func TestLogCommitFloorNeverLowers(t *testing.T) {
	impls(t, func(t *testing.T, l *FileLog) {
		require.NoError(t, l.Write(nil, entries(1, 5, 1, 1)))
		l.SetCommitFloor(4)
		l.SetCommitFloor(2)
		assert.ErrorIs(t, l.Write(nil, entries(3, 3, 2, 1)), ErrBelowCommit)
		require.NoError(t, l.Write(nil, entries(5, 5, 2, 1)))
	})
}

func TestLogClosed(t *testing.T) {
	impls(t, func(t *testing.T, l *FileLog) {
		require.NoError(t, l.Close())
		assert.ErrorIs(t, l.Write(nil, entries(1, 1, 1, 1)), ErrClosed)
		assert.ErrorIs(t, l.Sync(), ErrClosed)
	})
}
