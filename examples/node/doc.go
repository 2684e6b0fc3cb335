// Command node runs one rafter peer per OS process, with kvsm as its state
// machine and a Redis protocol (RESP2) front end, so a person drives a
// cluster with redis-cli and measures it with redis-benchmark (Debian's
// redis-tools).
//
// A three-process cluster on one machine:
//
//	go build -o rafter-node ./examples/node
//	PEERS=a@127.0.0.1:7001,b@127.0.0.1:7002,c@127.0.0.1:7003
//	./rafter-node -name a -peers $PEERS -redis 127.0.0.1:6381 -bootstrap &
//	./rafter-node -name b -peers $PEERS -redis 127.0.0.1:6382 &
//	./rafter-node -name c -peers $PEERS -redis 127.0.0.1:6383 &
//	# the cluster forms within a second; until then commands answer TRYAGAIN
//	redis-cli -p 6381 SET greeting hello      # OK (any node: forwarded to the leader)
//	redis-cli -p 6382 GET greeting            # "hello" (linearizable read)
//	redis-cli -p 6383 APPEND greeting ", world"
//	redis-cli -p 6381 CAS lock me ABSENT      # 1, "me"
//	redis-cli -p 6382 CAS lock you EXPECT me  # 1, "you"
//	redis-cli -p 6383 INFO                    # role, term, leader, commit/applied/last index
//	redis-benchmark -p 6382 -t set,get -n 20000 -c 50 -q
//	kill %1 %2 %3                             # SIGTERM: each node stops cleanly, exit 0
//
// # Flags
//
// -name and -peers (the whole cluster, this node included, as
// name@host:port) are required. -listen is the address the peer-to-peer
// (protoactor remote) listener binds, -advertise the address the others
// dial (default: this node's address in -peers; it must equal it). -data is
// the peer's data directory (default data/<name>); restarting a node on its
// directory recovers it. -redis is the RESP listener (port 0 picks one).
// -bootstrap sends the initial configuration (the -peers list): give it to
// exactly one member of a fresh cluster. It is idempotent (a peer that
// already has that configuration answers "not modified"), so it may stay
// on that member's command line across restarts; a peer holding a
// different configuration refuses it and logs why. -heartbeat,
// -election-timeout, -op-timeout (one command's Raft round trip),
// -shutdown-grace, -max-request-bytes, -max-clients and -log-level (slog
// to stderr) tune the rest.
//
// Once it serves, a node prints one line to stdout, for scripts:
//
//	ready name=a raft=127.0.0.1:7001 redis=127.0.0.1:6381
//
// On SIGTERM or SIGINT it stops accepting connections, lets commands in
// flight finish (up to -shutdown-grace), stops the peer (the log server
// flushes and closes its files), and exits 0; 1 if something failed, 2 for
// a bad command line.
//
// # Commands
//
// The keys live in one kvsm table (-table, default "default"), which every
// node creates once the cluster has a leader (creating it twice is
// harmless). Writes go through System.Op and are forwarded to the leader
// by the library; reads go through System.ReadOp and are linearizable.
//
//	SET key value             OK (no NX/XX/EX options: use SETNX or CAS)
//	GET key                   value or nil
//	SETNX key value           1 if set, 0 if the key existed
//	DEL key [key ...]         number of keys removed (one Raft command per key)
//	APPEND key value          length after the append
//	EXISTS key [key ...]      number of the keys that exist
//	KEYS pattern              sorted keys matching a Redis glob (* ? [a-z] [^a] \x)
//	CAS key new EXPECT old    set key to new if its value is old
//	CAS key new ABSENT        set key to new if it does not exist
//	                          both reply [1 or 0, value after the command]
//	PING [msg], ECHO msg, INFO [section], QUIT
//	CONFIG GET p, COMMAND     empty answers (redis-benchmark and redis-cli ask)
//
// Requests are RESP arrays (what redis-cli and redis-benchmark send) or
// inline commands (one line, words split on spaces, "quoted" and 'quoted'
// words as in Redis). Pipelined requests are answered in order. Unknown
// commands and wrong arity get Redis's error replies ("ERR unknown command
// 'foo', ...", "ERR wrong number of arguments for 'get' command"); a
// malformed request gets "ERR Protocol error: ..." and the connection is
// closed. Keys must be UTF-8 (kvsm stores them as protobuf strings).
//
// Failures of the cluster come back with a kind a client can act on:
// "TRYAGAIN ..." when nothing was applied (no leader yet, an election,
// the cluster still forming) and any failed read; "UNKNOWN ..." when a
// write's outcome is unknown (a timeout, leadership lost while pending):
// read the key back before retrying a non-idempotent write.
package main
