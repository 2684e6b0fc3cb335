package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"
	"time"
)

// Redis's reply texts for AUTH (Redis 6+), so clients that match on them
// behave as they do with Redis.
const (
	replyNoAuth    = "NOAUTH Authentication required."
	replyWrongPass = "WRONGPASS invalid username-password pair or user is disabled."
	replyNoPass    = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
)

// defaultUser is the only user: AUTH default <password> is AUTH <password>.
const defaultUser = "default"

// passwordMatches compares a client's password with -requirepass in time
// that depends on neither: both are hashed first, so even their lengths
// do not leak through timing.
func passwordMatches(want string, got []byte) bool {
	w := sha256.Sum256([]byte(want))
	g := sha256.Sum256(got)
	return subtle.ConstantTimeCompare(w[:], g[:]) == 1
}

// authGate answers a request of a client that has not yet authenticated,
// when -requirepass is set: AUTH is checked, QUIT is let through, and
// everything else gets NOAUTH. It reports whether the request was handled
// (so must not run).
func (s *server) authGate(sess *session, w *writer, args [][]byte) bool {
	if s.cfg.RequirePass == "" || sess.authed {
		return false
	}
	switch strings.ToLower(string(args[0])) {
	case "auth":
		return false
	case "quit":
		return false
	}
	w.errorReply(replyNoAuth)
	return true
}

// cmdAuth is AUTH password or AUTH default password. A wrong password is
// logged (with the client's address) as a possible attack.
func cmdAuth(sess *session, s *server, w *writer, args [][]byte) {
	if len(args) != 2 && len(args) != 3 {
		w.errorReply("ERR wrong number of arguments for 'auth' command")
		return
	}
	if s.cfg.RequirePass == "" {
		w.errorReply(replyNoPass)
		return
	}
	user, pass := defaultUser, args[1]
	if len(args) == 3 {
		user, pass = string(args[1]), args[2]
	}
	// Compare even for an unknown user, so the answer takes as long.
	ok := passwordMatches(s.cfg.RequirePass, pass) && user == defaultUser
	if !ok {
		s.log.Warn("redis: AUTH failed", "remote", sess.remote)
		w.errorReply(replyWrongPass)
		return
	}
	sess.authed = true
	sess.reader.lim = s.limits()
	sess.deadlines.read = time.Time{} // from -auth-timeout to -idle-timeout

	w.simple("OK")
}
