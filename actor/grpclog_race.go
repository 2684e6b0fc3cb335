package actor

import (
	"sync"

	"google.golang.org/grpc"
	channelzsvc "google.golang.org/grpc/channelz/service"
)

var channelzOn sync.Once

// orderAfterGRPCLogReads is called just before protoactor's Remote.Start.
//
// Remote.Start calls grpclog.SetLoggerV2, which gRPC documents as not
// goroutine-safe: it writes a global that every gRPC log call reads. With
// more than one System in a process (every multi-node test), that write
// races with the log reads of the other Systems' gRPC goroutines, and
// `go test -race` reports it (found here; not in protoactor's tracker).
//
// gRPC's own log reads mostly come from channelz trace events. When channelz
// is on, each such event reads the logger and then locks channelz's
// registry mutex; creating and stopping a throwaway grpc.Server locks that
// mutex here, so every trace-event read so far happens before our write.
// Reads outside trace events (verbose transport logs) are not covered.
func orderAfterGRPCLogReads() {
	channelzOn.Do(func() {
		channelzsvc.RegisterChannelzServiceToServer(grpc.NewServer()) // turns channelz on
	})
	grpc.NewServer().Stop()
}
