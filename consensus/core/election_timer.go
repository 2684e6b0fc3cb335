package core

// ElectionTimer returns the ticks elapsed on the election timer and the
// timeout drawn for it (Raft §5.2): a follower or candidate campaigns once
// elapsed reaches timeout. A leader's values are meaningless (its timer is
// the heartbeat's). Read-only: observers (events) show the countdown.
func (c *Core) ElectionTimer() (elapsed, timeout int) {
	return c.electionElapsed, c.randomizedTimeout
}
