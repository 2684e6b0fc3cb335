package events

// Peer publishes the events of one peer on a Bus. Its methods are safe on
// a nil *Peer (events off) and for concurrent use (the consensus actor, and
// the System for kills and restarts).
type Peer struct {
	bus  *Bus
	name string
}

// Peer returns the publishing handle of the peer called name (as
// rafter.Peer.String spells it). A nil Bus gives a nil *Peer.
func (b *Bus) Peer(name string) *Peer {
	if b == nil {
		return nil
	}
	return &Peer{bus: b, name: name}
}

// Name is the peer's name as events carry it.
func (p *Peer) Name() string {
	if p == nil {
		return ""
	}
	return p.name
}

// On reports whether anyone subscribes. Hooks test it first and build no
// event otherwise: the whole cost of events nobody reads.
func (p *Peer) On() bool { return p != nil && p.bus.Active() }

// Publish sends e as this peer's (it sets e.Peer).
func (p *Peer) Publish(e Event) {
	if p == nil {
		return
	}
	e.Peer = p.name
	p.bus.Publish(e)
}
