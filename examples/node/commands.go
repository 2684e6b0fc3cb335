package main

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sort"
	"strings"
)

// command is one Redis command. arity counts the command name, as Redis
// does: n > 0 means exactly n words, n < 0 at least -n.
type command struct {
	arity int
	// write: the command changes state, so an error of unknown outcome
	// must be reported as such (a read may simply be retried).
	write bool
	run   func(ctx context.Context, s *server, w *writer, args [][]byte)
}

// commands are the commands the node knows, by lower-case name.
var commands = map[string]command{
	"get":     {arity: 2, run: cmdGet},
	"set":     {arity: -3, write: true, run: cmdSet},
	"setnx":   {arity: 3, write: true, run: cmdSetNX},
	"del":     {arity: -2, write: true, run: cmdDel},
	"append":  {arity: 3, write: true, run: cmdAppend},
	"exists":  {arity: -2, run: cmdExists},
	"keys":    {arity: 2, run: cmdKeys},
	"cas":     {arity: -4, write: true, run: cmdCAS},
	"incr":    {arity: 2, write: true, run: cmdIncr},
	"incrby":  {arity: 3, write: true, run: cmdIncrBy},
	"decr":    {arity: 2, write: true, run: cmdDecr},
	"ping":    {arity: -1, run: cmdPing},
	"echo":    {arity: 2, run: cmdEcho},
	"info":    {arity: -1, run: cmdInfo},
	"config":  {arity: -2, run: cmdConfig},
	"command": {arity: -1, run: cmdCommand},
	// QUIT is handled by the connection loop: it closes after the reply.
	"quit": {arity: -1, run: func(_ context.Context, _ *server, w *writer, _ [][]byte) { w.simple("OK") }},
}

// exec runs one request and writes its reply.
func (s *server) exec(ctx context.Context, w *writer, args [][]byte) {
	name := strings.ToLower(string(args[0]))
	cmd, ok := commands[name]
	if !ok {
		w.errorReply(unknownCommand(args))
		return
	}
	if (cmd.arity > 0 && len(args) != cmd.arity) || (cmd.arity < 0 && len(args) < -cmd.arity) {
		w.errorReply(fmt.Sprintf("ERR wrong number of arguments for '%s' command", name))
		return
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.OpTimeout)
	defer cancel()
	cmd.run(ctx, s, w, args)
}

// unknownCommand is Redis 7's reply text for a command it does not know.
func unknownCommand(args [][]byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ERR unknown command '%s', with args beginning with: ", clip(args[0]))
	for _, a := range args[1:min(len(args), 4)] {
		fmt.Fprintf(&b, "'%s' ", clip(a))
	}
	return b.String()
}

// clip keeps error texts short and on one line: control bytes become
// spaces (a CR or LF would end the reply early).
func clip(b []byte) string {
	if len(b) > 64 {
		b = b[:64]
	}
	out := make([]byte, len(b))
	for i, c := range b {
		if c < ' ' || c == 0x7f {
			c = ' '
		}
		out[i] = c
	}
	return string(out)
}

func cmdGet(ctx context.Context, s *server, w *writer, args [][]byte) {
	v, ok, err := s.kv.Get(ctx, s.cfg.Table, string(args[1]))
	switch {
	case err != nil:
		s.replyErr(w, err, false)
	case !ok:
		w.null()
	default:
		w.bulk(v)
	}
}

func cmdSet(ctx context.Context, s *server, w *writer, args [][]byte) {
	if len(args) != 3 {
		// SET's options (NX, XX, EX, ...) are not supported: SETNX and
		// CAS cover the conditional writes.
		w.errorReply("ERR syntax error")
		return
	}
	if err := s.kv.Put(ctx, s.cfg.Table, string(args[1]), args[2]); err != nil {
		s.replyErr(w, err, true)
		return
	}
	w.simple("OK")
}

// SETNX key value: set only if absent; :1 if set, :0 if not.
func cmdSetNX(ctx context.Context, s *server, w *writer, args [][]byte) {
	swapped, _, err := s.kv.CAS(ctx, s.cfg.Table, string(args[1]), nil, args[2])
	if err != nil {
		s.replyErr(w, err, true)
		return
	}
	w.integer(b2i(swapped))
}

// DEL key [key ...]: the number of keys that existed. Each key is its own
// Raft command: DEL of several keys is not atomic.
func cmdDel(ctx context.Context, s *server, w *writer, args [][]byte) {
	var n int64
	for _, k := range args[1:] {
		existed, err := s.kv.Delete(ctx, s.cfg.Table, string(k))
		if err != nil {
			s.replyErr(w, err, true)
			return
		}
		n += b2i(existed)
	}
	w.integer(n)
}

func cmdAppend(ctx context.Context, s *server, w *writer, args [][]byte) {
	v, err := s.kv.Append(ctx, s.cfg.Table, string(args[1]), args[2])
	if err != nil {
		s.replyErr(w, err, true)
		return
	}
	w.integer(int64(len(v)))
}

// EXISTS key [key ...]: how many of the keys exist (a key named twice
// counts twice, as in Redis). Each key is its own linearizable read.
func cmdExists(ctx context.Context, s *server, w *writer, args [][]byte) {
	var n int64
	for _, k := range args[1:] {
		_, ok, err := s.kv.Get(ctx, s.cfg.Table, string(k))
		if err != nil {
			s.replyErr(w, err, false)
			return
		}
		n += b2i(ok)
	}
	w.integer(n)
}

// KEYS pattern: the keys matching a Redis glob (globMatch), sorted.
func cmdKeys(ctx context.Context, s *server, w *writer, args [][]byte) {
	keys, err := s.kv.ListKeys(ctx, s.cfg.Table)
	if err != nil {
		s.replyErr(w, err, false)
		return
	}
	pattern := string(args[1])
	var out []string
	for _, k := range keys {
		if globMatch(pattern, k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	w.arrayHeader(len(out))
	for _, k := range out {
		w.bulk([]byte(k))
	}
}

// CAS is our compare-and-set:
//
//	CAS key new EXPECT old   set key to new if its value is old
//	CAS key new ABSENT       set key to new if it does not exist
//
// The keywords sit where no value can be, so any value (even "ABSENT") can
// be compared. The reply is a two-element array: 1 if swapped else 0, and
// the key's value after the command (nil if absent).
func cmdCAS(ctx context.Context, s *server, w *writer, args [][]byte) {
	var expected []byte
	switch kw := strings.ToUpper(string(args[3])); {
	case kw == "ABSENT" && len(args) == 4:
	case kw == "EXPECT" && len(args) == 5:
		expected = args[4]
		if expected == nil {
			expected = []byte{} // nil means "absent" to kvsm
		}
	case kw == "ABSENT" || kw == "EXPECT":
		w.errorReply("ERR wrong number of arguments for 'cas' command")
		return
	default:
		w.errorReply("ERR syntax error: use CAS key new EXPECT old, or CAS key new ABSENT")
		return
	}
	swapped, current, err := s.kv.CAS(ctx, s.cfg.Table, string(args[1]), expected, args[2])
	if err != nil {
		s.replyErr(w, err, true)
		return
	}
	w.arrayHeader(2)
	w.integer(b2i(swapped))
	if current == nil { // kvsm: nil only when the key is absent
		w.null()
		return
	}
	w.bulk(current)
}

func cmdPing(_ context.Context, _ *server, w *writer, args [][]byte) {
	switch len(args) {
	case 1:
		w.simple("PONG")
	case 2:
		w.bulk(args[1])
	default:
		w.errorReply("ERR wrong number of arguments for 'ping' command")
	}
}

func cmdEcho(_ context.Context, _ *server, w *writer, args [][]byte) { w.bulk(args[1]) }

// INFO [section]: this peer's Raft state, one "field:value" per line.
// Every section name gives the same text (there is one section).
func cmdInfo(ctx context.Context, s *server, w *writer, _ [][]byte) {
	st, err := s.sys.Status(ctx, s.self)
	if err != nil {
		s.replyErr(w, err, false)
		return
	}
	var b bytes.Buffer
	field := func(k string, v any) { fmt.Fprintf(&b, "%s:%v\r\n", k, v) }
	b.WriteString("# Rafter\r\n")
	field("name", s.self.Name)
	field("node", s.self.Node)
	field("role", st.Role)
	field("term", st.Term)
	field("leader", st.Leader)
	field("voted_for", st.VotedFor)
	field("commit_index", st.CommitIndex)
	field("applied_index", st.AppliedIndex)
	field("last_index", st.LastIndex)
	field("last_term", st.LastTerm)
	members := make([]string, 0, 3)
	for _, p := range st.Members() {
		members = append(members, p.String())
	}
	field("members", strings.Join(members, ","))
	field("table", s.cfg.Table)
	field("connected_clients", s.clients())
	// For leak checks from outside (the multi-process test watches it
	// while a peer is unreachable).
	field("goroutines", runtime.NumGoroutine())
	// Redis's name for the memory in use: here the Go heap's live and
	// not yet swept objects (what a hostile client could make the node
	// hold; RSS misses memory allocated but not yet touched).
	field("used_memory", heapObjectBytes())
	w.bulk(b.Bytes())
}

// CONFIG GET answers with no parameters (we have none of Redis's);
// redis-benchmark asks for "save" and "appendonly" and carries on.
func cmdConfig(_ context.Context, _ *server, w *writer, args [][]byte) {
	if strings.ToLower(string(args[1])) != "get" {
		w.errorReply(fmt.Sprintf("ERR unknown subcommand '%s'. Only CONFIG GET is supported.", clip(args[1])))
		return
	}
	if len(args) < 3 {
		w.errorReply("ERR wrong number of arguments for 'config|get' command")
		return
	}
	w.arrayHeader(0)
}

// COMMAND answers an empty list: redis-cli asks (COMMAND DOCS) for its
// interactive hints and does without them.
func cmdCommand(_ context.Context, _ *server, w *writer, _ [][]byte) { w.arrayHeader(0) }

// heapObjectBytes is the Go heap's object bytes, read without stopping the
// world (runtime.ReadMemStats would).
func heapObjectBytes() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return sample[0].Value.Uint64()
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
