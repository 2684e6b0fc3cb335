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
// -bootstrap creates the cluster of -peers with System.Bootstrap (every
// member makes the first configuration, with a random cluster ID, durable
// before any election; members not up yet are retried): give it to exactly
// one member of a fresh cluster. It may stay on that member's command line
// across restarts: it does nothing when this peer already holds a
// configuration, or a member it reaches holds one that lists this peer (a
// node whose disk was lost joins through the leader instead); a member of
// another cluster refuses it and the node logs why. -heartbeat,
// -election-timeout, -op-timeout (one command's Raft round trip),
// -shutdown-grace and -log-level (slog to stderr) tune the rest; the Redis
// port's security flags and limits are below.
//
// -http ADDR (default off) serves the node's Prometheus metrics on
// /metrics and its peer's Raft status as JSON on /status (package
// observe). Like the peer port, it is plain HTTP only on loopback; beyond
// loopback the node refuses to start unless it has its TLS files
// (-tls-cert, -tls-key, -tls-ca: the endpoint is then HTTPS and the
// scraper must present a certificate of that CA, allowed by -tls-allow if
// given) or -insecure. The endpoints are read-only, but they reveal the
// cluster's members, addresses and load.
//
//	./rafter-node -name a -peers $PEERS -redis 127.0.0.1:6381 -http 127.0.0.1:9101 -bootstrap &
//	curl -s 127.0.0.1:9101/metrics | grep '^rafter_commit_index'
//	curl -s 127.0.0.1:9101/status
//
// Once it serves, a node prints one line to stdout, for scripts (http=...
// only with -http):
//
//	ready name=a raft=127.0.0.1:7001 redis=127.0.0.1:6381 http=127.0.0.1:9101
//
// On SIGTERM or SIGINT it stops accepting connections, lets commands in
// flight finish (up to -shutdown-grace), stops the peer (the log server
// flushes and closes its files), and exits 0; 1 if something failed, 2 for
// a bad command line.
//
// # Security and limits of the Redis port
//
// The RESP listener is meant to face clients that may be hostile. Every
// limit is a flag with a default; hitting one gives a Redis-style error
// reply or a closed connection, and a log line.
//
//	-requirepass p         clients must send AUTH p (or AUTH default p)
//	                       first; until then every command but AUTH and
//	                       QUIT answers "NOAUTH Authentication
//	                       required.", a wrong password "WRONGPASS ..."
//	                       (logged with the client's address). Compared
//	                       in constant time. Before AUTH a request may
//	                       hold at most 10 arguments and 16 KiB.
//	-requirepass-file f    the same, the password being f's first line
//	                       (a password on the command line shows in ps)
//	-auth-timeout 10s      with a password, a client that has not
//	                       authenticated within this long is disconnected,
//	                       so strangers cannot hold -max-clients' places
//	-redis-tls-cert c      TLS on the Redis port with this certificate
//	-redis-tls-key k       and key (TLS 1.2 or later)
//	-redis-tls-ca ca       also require a client certificate signed by ca
//	-idle-timeout 5m       a client gets this long (to within 1/16) to
//	                       send each whole request, so idle and trickling
//	                       "slowloris" clients alike are disconnected;
//	                       also bounds a TLS handshake
//	-write-timeout 30s     a client that leaves its replies unread this
//	                       long is disconnected (replies wait in the
//	                       kernel's socket buffer, not in the node)
//	-max-clients 10000     more connections get "ERR max number of
//	                       clients reached" and are closed
//	-max-request-bytes 1MiB total argument bytes of one request, so the
//	                       largest bulk length ("ERR Protocol error:
//	                       invalid bulk length", connection closed)
//	-max-args 4096         elements of one request array or inline
//	                       command ("ERR Protocol error: invalid
//	                       multibulk length", connection closed)
//	-max-output-bytes 32MiB largest reply held for a client (with the
//	                       pipelined replies before it); a larger one is
//	                       replaced by "ERR reply exceeds
//	                       -max-output-bytes" and the connection goes on
//
// Memory follows the bytes a client actually sends, never a length it
// declares: a bulk string's buffer starts at 4 KiB and doubles only as
// bytes fill it, and an array's argument list grows as its elements
// arrive ("$1000000000" or "*10000000" cost nothing before they are
// refused or filled). Pipelined requests are read 4 KiB ahead at most;
// the rest waits in the kernel, where TCP flow control holds the client
// back. An idle connection costs about 6.5 KiB in all (measured: 10,000
// idle connections added 64 MiB to a node's RSS). The tests state the
// bounds (examples/node/hostile_test.go,
// hostile_process_test.go).
//
// With TLS and a password, redis-cli connects as
//
//	redis-cli --tls --cacert certs/ca.crt -p 6381 -a "$PASS" PING
//
// adding --cert certs/x.crt --key certs/x.key when -redis-tls-ca is set.
//
// # Development certificates
//
//	./rafter-node certs -dir certs -nodes a,b,c [-hosts db1.example,10.0.0.5] [-days 365]
//
// makes certs/ca.crt and certs/ca.key (a development CA, ECDSA P-256,
// reused by later runs so nodes can be added) and certs/<node>.crt and
// certs/<node>.key for each node: CN and a DNS name equal to the node's
// name, plus localhost, 127.0.0.1, ::1 and the -hosts entries, good for
// server and client authentication. Keys are written 0600 and never
// replaced (remove a node's files to reissue them). The same files serve
// -redis-tls-cert, -redis-tls-key and -redis-tls-ca, and mutual TLS
// between the peers. They are for development: in production, issue the
// same shape of certificate from your own CA and keep its key offline.
//
// # Commands
//
// The keys live in one kvsm table (-table, default "default"), which every
// node creates once the cluster has a leader (creating it twice is
// harmless). Writes go through the node's exactly-once session
// (rafter.Session, via kvsm.Client) and are forwarded to the leader by the
// library: an attempt whose outcome is unknown (a leader killed or cut off
// under the node) is retried with the same sequence until the command
// timeout, and the cluster applies it once. Reads go through
// System.ReadOp and are linearizable.
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
//	INCR key, DECR key        the new value (an absent key counts as 0)
//	INCRBY key n              the new value; n and the stored value are
//	                          64-bit decimal integers, else "ERR value is
//	                          not an integer or out of range" (overflow too)
//	PING [msg], ECHO msg, INFO [section], QUIT
//	AUTH [default] password   with -requirepass
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
// write's outcome is still unknown when the command timeout ends (the
// node's session retried it until then): read the key back before
// retrying a non-idempotent write. If the client's own connection to the
// node drops before the reply, the outcome is unknown to that client, as
// with Redis: INCR then may or may not have counted.
package main
