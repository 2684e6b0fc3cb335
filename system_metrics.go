package rafter

import (
	"errors"
	"fmt"

	"github.com/rafter-go/rafter/metrics"
)

// startMetrics creates the System's collector set when SystemOptions.Metrics
// is set: one set per System, registered once; each peer gets its labelled
// children at StartNode and loses them at StopNode (peerMetrics,
// forgetMetrics), so restarts never register twice.
func (s *System) startMetrics() error {
	if s.opts.Metrics == nil {
		return nil
	}
	set, err := metrics.New(s.opts.Metrics)
	if err != nil {
		return fmt.Errorf("rafter: new system: %w", err)
	}
	s.metrics = set
	s.refused, err = metrics.RegisterRefused(s.opts.Metrics, s.Address(), s.Refused)
	if errors.Is(err, metrics.ErrRegister) && s.Address() == "" {
		// Another local-only System registered its (always zero) count:
		// a System without a network refuses nothing.
		s.log.Debug("rafter: network_refused_total not registered for a local System", "error", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("rafter: new system: %w", err)
	}
	return nil
}

// stopMetrics unregisters what belongs to this System alone (its refused
// counter), so that a new System may register under the same address. The
// peer vectors stay: they are shared, and StopNode removed this System's
// series.
func (s *System) stopMetrics() {
	if s.refused != nil {
		s.opts.Metrics.Unregister(s.refused)
	}
}

// peerMetrics returns peer p's metrics, nil when the System has none.
func (s *System) peerMetrics(p Peer) *metrics.Peer {
	if s.metrics == nil {
		return nil
	}
	return s.metrics.Peer(p.String())
}

// forgetMetrics drops the series of a peer that stopped.
func (s *System) forgetMetrics(p Peer) {
	if s.metrics != nil {
		s.metrics.Remove(p.String())
	}
}
