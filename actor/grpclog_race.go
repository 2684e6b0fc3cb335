package actor

import (
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"google.golang.org/grpc"
	channelzsvc "google.golang.org/grpc/channelz/service"
)

// protoactor's Remote.Start calls grpclog.SetLoggerV2, which gRPC documents
// as not goroutine-safe: it writes a global that every gRPC log call reads.
// With more than one System in a process (every multi-node test) that write
// races with the log reads of the other Systems' gRPC goroutines, and
// `go test -race` reports it. This file orders the two without touching
// protoactor (found here; not in protoactor's tracker).
//
// The tool is channelz's registry mutex. When channelz is on, every gRPC
// trace event reads the logger and then locks that mutex, and gRPC
// registers each new server socket under it. Locking it ourselves (by
// creating and stopping a throwaway grpc.Server) therefore orders us after
// every trace-event read so far. Verbose-level gRPC logs that are not
// trace events are not covered.

var channelzOn sync.Once

// selfCheckTimeout bounds the round trip awaitServing makes to our own server.
const selfCheckTimeout = 3 * time.Second

// orderAfterGRPCLogReads is called just before protoactor's Remote.Start,
// so that its write comes after every earlier trace-event read.
func orderAfterGRPCLogReads() {
	channelzOn.Do(func() {
		channelzsvc.RegisterChannelzServiceToServer(grpc.NewServer()) // turns channelz on
	})
	grpc.NewServer().Stop()
}

// awaitServing is called just after Remote.Start. Start ends with
// `go Serve(lis)`, and Serve's first act is a trace-event read, which may
// run after a later Start in another System has written. So we make our own
// server accept one raw connection that is not HTTP/2: its handler logs the
// failed handshake as a trace event (after Serve's read, on a goroutine
// Serve started after it) and closes the connection. Once we see the close,
// locking the channelz mutex orders us, and whoever we return to, after
// Serve's read. (A real gRPC round trip would not do: closing a finished
// connection makes verbose-level reads that no lock follows.)
func awaitServing(listenHost string, port int) error {
	ip := net.ParseIP(listenHost)
	if listenHost == "" || (ip != nil && ip.IsUnspecified()) {
		listenHost = "127.0.0.1"
	}
	c, err := net.DialTimeout("tcp", net.JoinHostPort(listenHost, strconv.Itoa(port)), selfCheckTimeout)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(selfCheckTimeout)); err != nil {
		return err
	}
	// As long as HTTP/2's client preface, so the server reads it whole and
	// rejects it (a short write would only time out).
	if _, err := c.Write([]byte("rafter actor self-check\n")); err != nil {
		return err
	}
	// The server ends the connection with FIN or, having left our bytes
	// unread, with RST; either way its handler has logged. Only our own
	// deadline means it never answered.
	_, err = io.Copy(io.Discard, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return err
	}
	orderAfterGRPCLogReads()
	return nil
}
