package main

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"
)

func benchConfig() config {
	return config{Table: "default", OpTimeout: time.Second, MaxRequestBytes: 1 << 20, MaxClients: 10, ShutdownGrace: time.Second,
		IdleTimeout: time.Minute, AuthTimeout: 10 * time.Second, WriteTimeout: time.Minute, MaxArgs: 4096, MaxOutputBytes: 32 << 20}
}

// BenchmarkPipelinedPing: one connection, PING in pipelined batches of
// 16 (as redis-benchmark -P 16), through the whole connection path
// (parse, run, reply, flush) on loopback.
func BenchmarkPipelinedPing(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s := newServer(benchConfig(), nil, ln, slog.New(slog.DiscardHandler))
	go s.serve()
	defer s.close(time.Second)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	batch := bytes.Repeat([]byte("*1\r\n$4\r\nPING\r\n"), 16)
	reply := make([]byte, 16*len("+PONG\r\n"))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += 16 {
		if _, err := c.Write(batch); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, reply); err != nil {
			b.Fatal(err)
		}
	}
}
