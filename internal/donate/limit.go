package donate

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Limits bound how often checkouts may be opened, against card testers who
// try stolen cards through the donation form. There is no CAPTCHA: readers
// who come through Tor must still be able to give, so the limits are per
// address range, generous, and global as a breaker.
type Limits struct {
	// PerRange checkouts may be opened per RangeWindow from one /24 (IPv4)
	// or /48 (IPv6) range.
	PerRange    int
	RangeWindow time.Duration
	// Global checkouts may be opened per GlobalWindow from everywhere.
	Global       int
	GlobalWindow time.Duration
}

// DefaultLimits are the limits when Options.Limits is zero: ten a day per
// range, as Tor's own donation page found workable, and 600 an hour in all.
var DefaultLimits = Limits{PerRange: 10, RangeWindow: 24 * time.Hour, Global: 600, GlobalWindow: time.Hour}

// limiter applies Limits with the generic cell rate algorithm: each key
// keeps one time, the theoretical arrival time of its next request, so
// memory stays small and the wait it reports is exact. Keys are keyed
// hashes of address ranges under a random key that lives only in memory;
// no address is stored, and an entry goes once its window has passed.
type limiter struct {
	limits Limits
	what   string // what is limited, for the log: "checkouts"
	key    []byte
	log    *slog.Logger

	mu        sync.Mutex
	ranges    map[string]time.Time
	global    time.Time
	tripped   bool // the global breaker is open; logged once per trip
	lastSweep time.Time
}

// newLimiter applies l, or defaults when l is zero, to what.
func newLimiter(l, defaults Limits, what string, log *slog.Logger) *limiter {
	if l == (Limits{}) {
		l = defaults
	}
	key := make([]byte, 32)
	rand.Read(key)
	return &limiter{limits: l, what: what, key: key, log: log, ranges: map[string]time.Time{}}
}

// allow takes one request for the client at address addr (host or
// host:port) at now, or returns why not.
func (l *limiter) allow(addr string, now time.Time) *RateLimitError {
	key := l.rangeKey(addr)
	rangeT, rangeTol := l.limits.RangeWindow/time.Duration(l.limits.PerRange), l.limits.RangeWindow
	globalT, globalTol := l.limits.GlobalWindow/time.Duration(l.limits.Global), l.limits.GlobalWindow
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	nextRange, wait := gcra(l.ranges[key], now, rangeT, rangeTol)
	if wait > 0 {
		return &RateLimitError{RetryAfter: wait}
	}
	nextGlobal, wait := gcra(l.global, now, globalT, globalTol)
	if wait > 0 {
		if !l.tripped {
			l.tripped = true
			l.log.Warn("donate: a global rate limit is reached; requests are refused until it recovers",
				"what", l.what, "limit", l.limits.Global, "window", l.limits.GlobalWindow)
		}
		return &RateLimitError{RetryAfter: wait, Global: true}
	}
	l.tripped = false
	l.ranges[key], l.global = nextRange, nextGlobal
	return nil
}

// gcra decides one request at now against a theoretical arrival time tat,
// an emission interval t and a window (the burst tolerance plus t). It
// returns the new arrival time, or how long to wait.
func gcra(tat, now time.Time, t, window time.Duration) (time.Time, time.Duration) {
	if tat.Before(now) {
		tat = now
	}
	if wait := tat.Sub(now) - (window - t); wait > 0 {
		return time.Time{}, wait
	}
	return tat.Add(t), 0
}

// sweep forgets ranges whose every request has aged out, at most once a
// minute.
func (l *limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < time.Minute {
		return
	}
	l.lastSweep = now
	for k, tat := range l.ranges {
		if !tat.After(now) {
			delete(l.ranges, k)
		}
	}
}

// rangeKey is the keyed hash of the /24 or /48 the address belongs to.
func (l *limiter) rangeKey(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	var prefix []byte
	if ip := net.ParseIP(host); ip == nil {
		prefix = []byte(host) // not an address (a Unix socket): one range
	} else if v4 := ip.To4(); v4 != nil {
		prefix = v4.Mask(net.CIDRMask(24, 32))
	} else {
		prefix = ip.Mask(net.CIDRMask(48, 128))
	}
	m := hmac.New(sha256.New, l.key)
	m.Write(prefix)
	return hex.EncodeToString(m.Sum(nil)[:16])
}
