// Package metrics holds the Prometheus collectors of a rafter System: one
// Set per System (SystemOptions.Metrics), every series labelled by peer
// (package rafter's Peer.String: "name", or "name@host:port"). A peer gets
// its children when it starts and loses them when it stops; a supervisor
// restart keeps them, so nothing is registered twice.
//
// Each number is read from its owner, never kept twice: term, role and the
// commit / applied / last indexes from the consensus core's Status after
// every Ready the consensus actor executes; AppendEntries in flight from the
// leader's progress on every tick; requests, forwards, errors and messages
// as the consensus actor handles them; write and fsync latencies from the
// log server's group commit; refused network input from the actor package's
// counter at scrape time.
//
// The metrics (all prefixed rafter_):
//
//	term, role{role}, commit_index, applied_index, last_index       gauges
//	leader_changes_total, elections_started_total, elections_won_total
//	proposals_total, reads_total, stale_reads_total                 requests handed to the core
//	proposal_duration_seconds, read_duration_seconds                histograms: arrival to answer
//	forwarded_total{request}                                        op, read, set_config
//	request_errors_total{kind,code}                                 kind definite or unknown; code the wire code
//	append_entries_sent_entries, append_entries_received_entries    histograms of entries per message
//	append_entries_inflight{follower}                               gauge, leader only
//	messages_dropped_total{reason}                                  unknown_peer, other_cluster, contradiction, invalid, unsupported, refused, malformed, misaddressed
//	log_write_duration_seconds, log_sync_duration_seconds           log server histograms
//	log_entries_per_sync                                            histogram (group commit)
//	log_slow_held_fsyncs_total                                      fdatasyncs that kept their P and took over 20 ms (a stalling disk)
//	snapshot_index, log_first_index, snapshot_bytes                 gauges
//	snapshot_duration_seconds                                       histogram: Snapshot call to durable file
//	snapshots_saved_total{result}, snapshot_installs_total          ok or failed; installed from a leader
//	snapshot_chunks_sent_total, snapshot_chunks_received_total      InstallSnapshot chunks
//	snapshots_sent_total, snapshots_repeated_total                  transfers a follower finished; repeated ones
//	session_entries_total{result}                                   registered, applied, duplicate (a retry answered from the table), refused
//	network_refused_total{system}                                   per System, not per peer
//
// With SystemOptions.Metrics nil there is no Set: every hook in the actors
// is a method on a nil *Peer or *Log that returns at once, and no clock is
// read.
//
// Example:
//
//	reg := prometheus.NewRegistry()
//	sys, err := rafter.NewSystem(rafter.SystemOptions{Metrics: reg})
//	...
//	http.Handle("/", observe.Handler(sys, reg)) // /metrics and /status
package metrics
