package main

// globMatch reports whether key matches a KEYS pattern, with Redis's glob
// rules (Redis: stringmatchlen in util.c): '*' any run of bytes
// (including '/', unlike path.Match), '?' any one byte, "[abc]", "[^a]"
// and "[a-z]" classes, and '\' escaping the next byte. A '[' without its
// ']' matches the bytes up to the end of the pattern as a class, as in
// Redis. Matching is by bytes, not runes.
func globMatch(pattern, key string) bool {
	// Greedy matching with one backtrack point, the last '*': on a
	// mismatch the star takes one more byte. This is O(len(pattern) ×
	// len(key)) where naive recursion is exponential in the stars, which a
	// client could use to stall the server.
	p, k := 0, 0
	starP, starK := -1, 0
	for k < len(key) {
		if p < len(pattern) {
			if pattern[p] == '*' {
				starP, starK = p, k
				p++
				continue
			}
			if next, ok := matchOne(pattern, p, key[k]); ok {
				p, k = next, k+1
				continue
			}
		}
		if starP < 0 {
			return false
		}
		starK++
		p, k = starP+1, starK
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchOne matches one key byte c against the pattern element at p (not a
// '*') and returns the index after that element.
func matchOne(pattern string, p int, c byte) (int, bool) {
	switch pattern[p] {
	case '?':
		return p + 1, true
	case '[':
		rest, ok := matchClass(pattern[p+1:], c)
		return len(pattern) - len(rest), ok
	case '\\':
		if p+1 < len(pattern) {
			p++
		}
	}
	return p + 1, pattern[p] == c
}

// matchClass matches c against the class that starts after '[' and
// returns the pattern after the closing ']'.
func matchClass(p string, c byte) (string, bool) {
	negate := len(p) > 0 && p[0] == '^'
	if negate {
		p = p[1:]
	}
	match := false
	for len(p) > 0 && p[0] != ']' {
		switch {
		case p[0] == '\\' && len(p) >= 2:
			match = match || p[1] == c
			p = p[2:]
		case len(p) >= 3 && p[1] == '-' && p[2] != ']':
			lo, hi := p[0], p[2]
			if lo > hi {
				lo, hi = hi, lo
			}
			match = match || (c >= lo && c <= hi)
			p = p[3:]
		default:
			match = match || p[0] == c
			p = p[1:]
		}
	}
	if len(p) > 0 {
		p = p[1:] // the ']'
	}
	return p, match != negate
}
