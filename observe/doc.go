// Package observe serves what a running rafter System shows an operator
// over HTTP: its Prometheus metrics and the Raft status of its peers.
//
//	/metrics  the Prometheus text format of the Gatherer given (the
//	          collectors SystemOptions.Metrics registered, package metrics)
//	/status   JSON: the Status of every local peer (StatusReply)
//	/events   Server-Sent Events: what happens at the peers (package
//	          events), one JSON object per event; ?peer=a,b&kind=send,role
//	          select peers and kinds
//
// The handler is read-only (GET and HEAD), ignores bodies and query strings
// (but /events' filter), and bounds its own cost: at most MaxInFlight
// requests per endpoint, each /status within StatusTimeout, each /events
// stream a bounded subscription (EventsBuffer; a client that reads too
// slowly loses events, counted in the next one's "dropped", and never slows
// a peer), and the size of a reply follows the number of peers the System
// hosts, never the request. The web view of a cluster (examples/scope)
// is built on /status-like snapshots and /events.
//
// /status names every peer and the cluster's configuration: serve it on
// loopback or behind authentication, not on a public address.
//
// Example:
//
//	reg := prometheus.NewRegistry()
//	sys, err := rafter.NewSystem(rafter.SystemOptions{Metrics: reg})
//	if err != nil { ... }
//	// ... sys.StartNode(...)
//	srv := &http.Server{Addr: "127.0.0.1:9090", Handler: observe.Handler(sys, reg)}
//	go srv.ListenAndServe()
//
// A scrape of a three-process cluster is shown in the README ("Metrics and
// status").
package observe
