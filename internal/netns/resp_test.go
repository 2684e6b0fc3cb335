package netns

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConnPipeline runs the client against a canned server over a pipe:
// the request encoding and every reply type.
func TestConnPipeline(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	want := "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"
	replies := "$-1\r\n+OK\r\n"
	extra := ":-3\r\n-ERR x\r\n*2\r\n:1\r\n$2\r\nab\r\n*-1\r\n"
	got := make(chan string, 1)
	go func() {
		defer server.Close()
		buf := make([]byte, len(want))
		n := 0
		for n < len(buf) {
			m, err := server.Read(buf[n:])
			if err != nil {
				break
			}
			n += m
		}
		got <- string(buf[:n])
		_, _ = server.Write([]byte(replies + extra))
	}()
	c := NewConn(client)
	reps, err := c.Pipeline(5*time.Second, [][]string{{"GET", "k"}, {"SET", "k", ""}})
	require.NoError(t, err)
	assert.Equal(t, want, <-got)
	assert.Equal(t, []Reply{{Kind: '$', Nil: true}, {Kind: '+', Str: "OK"}}, reps)
	var rest []Reply
	for range 4 {
		r, err := readReply(c.r)
		require.NoError(t, err)
		rest = append(rest, r)
	}
	assert.Equal(t, int64(-3), rest[0].Int)
	assert.Equal(t, "ERR x", rest[1].Err())
	assert.Equal(t, "[1 \"ab\"]", rest[2].String())
	assert.True(t, rest[3].Nil)
}

func TestInfo(t *testing.T) {
	inf := Info(Reply{Kind: '$', Str: "# Rafter\r\nrole:leader\r\nmembers:a@1.2.3.4:7000,b@x:1\r\n"})
	assert.Equal(t, map[string]string{"role": "leader", "members": "a@1.2.3.4:7000,b@x:1"}, inf)
}
