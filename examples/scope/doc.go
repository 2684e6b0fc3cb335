// Command scope shows a rafter cluster at work in a web page: N peers
// (default 5) in one process, each drawn as a node with its role, term and
// election-timer countdown, each peer's log as a strip of entries coloured
// by term with its commit and applied marks, and the Raft messages moving
// between peers as they are sent (sampled when there are too many to
// draw).
//
//	go run ./examples/scope            # then open http://127.0.0.1:8080/
//	go run ./examples/scope -slow 20   # slow motion: timeouts x 20
//
// The page acts on the cluster too: kill a peer's consensus actor or its
// log server (the supervisor restarts the pair, and the page shows the
// restart), stop and start a peer, cut and heal links (an interceptor drops
// every message on a cut link), write a key and read it linearizably,
// change the membership, transfer the leadership, and switch slow motion
// (heartbeat and election timeouts x 1 to 50, and every message delayed by
// 20 ms per step, so a vote can be watched going and coming back) or
// PreVote, which restarts the peers on their data directories. A legend on the page explains the
// colours.
//
// Everything the page knows comes from the System's events
// (rafter.System.Subscribe): the server folds them into a model it serves
// as /api/state, and the page animates messages from the /events stream
// (package observe, which also serves /status and /metrics here). The
// page's files are embedded (no build step, nothing fetched from
// elsewhere).
//
// The page can kill peers, so the server listens on a loopback address
// only and refuses actions posted from another site's page.
package main
