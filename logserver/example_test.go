package logserver_test

import (
	"fmt"
	"os"

	"github.com/rafter-go/rafter/logserver"
	"github.com/rafter-go/rafter/rafterpb"
)

// Open a data directory, write metadata and entries, make them durable,
// reopen (recovery) and read them back.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "logserver-example")
	defer os.RemoveAll(dir)

	l, err := logserver.Open(dir, logserver.DefaultOptions())
	if err != nil {
		fmt.Println(err) // a *logserver.CorruptError: do not start the peer
		return
	}
	_ = l.Write(&rafterpb.Meta{Term: 1, VotedFor: &rafterpb.Peer{Name: "a"}}, []*rafterpb.Entry{
		{Term: 1, Index: 1, Type: rafterpb.EntryType_ENTRY_TYPE_NOOP},
		{Term: 1, Index: 2, Type: rafterpb.EntryType_ENTRY_TYPE_OP, Cmd: []byte("put x 1")},
	})
	if err := l.Sync(); err != nil { // durable from here on: acknowledge now
		fmt.Println(err)
		return
	}
	_ = l.Close()

	l, _ = logserver.Open(dir, logserver.DefaultOptions())
	defer l.Close()
	e, _ := l.Entry(2)
	fmt.Println(l.LastIndex(), l.Meta().GetTerm(), l.Meta().GetVotedFor().GetName(), string(e.GetCmd()))
	// A write that would leave a hole is refused and changes nothing.
	err = l.Write(nil, []*rafterpb.Entry{{Term: 1, Index: 5}})
	fmt.Println(err)
	// Output:
	// 2 1 a put x 1
	// logserver: index gap: first entry 5 leaves a hole after last index 2
}
