package newsletter

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"net/netip"
	"sync"
	"time"
)

// Limits bound how often signups may be made and confirmation emails sent.
// The zero value of a field takes its default.
type Limits struct {
	// PerClient signups per Window from one network (an IPv4 /24 or an
	// IPv6 /48); default 10.
	PerClient int
	// Global signups per Window from everyone together; default 300.
	Global int
	// Window is the counting period; default 10 minutes.
	Window time.Duration
	// Resend is the least time between two emails to one address about
	// signing up; default 15 minutes.
	Resend time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.PerClient <= 0 {
		l.PerClient = 10
	}
	if l.Global <= 0 {
		l.Global = 300
	}
	if l.Window <= 0 {
		l.Window = 10 * time.Minute
	}
	if l.Resend <= 0 {
		l.Resend = 15 * time.Minute
	}
	return l
}

// limiter counts signups per client network and overall in fixed windows.
// It lives in memory only: clients are known by a keyed hash of their
// network prefix, with a key made at start-up and never stored, so not even
// this process can say which network a counter belongs to once it is gone.
type limiter struct {
	limits  Limits
	key     []byte
	mu      sync.Mutex
	clients map[string]*window
	global  window
	// recent holds when an address (by subscriber ID) was last emailed
	// about signing up.
	recent    map[string]time.Time
	lastSweep time.Time
}

type window struct {
	start time.Time
	count int
}

func newLimiter(l Limits) *limiter {
	key := make([]byte, 32)
	rand.Read(key)
	return &limiter{limits: l.withDefaults(), key: key, clients: map[string]*window{}, recent: map[string]time.Time{}}
}

// allow counts one signup from the client at ip and reports whether it is
// within both limits.
func (l *limiter) allow(ip string, now time.Time) bool {
	key := l.clientKey(ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	c := l.clients[key]
	if c == nil {
		c = &window{}
		l.clients[key] = c
	}
	for _, w := range []*window{c, &l.global} {
		if now.Sub(w.start) >= l.limits.Window {
			*w = window{start: now}
		}
	}
	if c.count >= l.limits.PerClient || l.global.count >= l.limits.Global {
		return false
	}
	c.count++
	l.global.count++
	return true
}

// mayEmail reports whether the address of subscriberID may be emailed
// about its signup now, and if so records that it is.
func (l *limiter) mayEmail(subscriberID string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	if last, ok := l.recent[subscriberID]; ok && now.Sub(last) < l.limits.Resend {
		return false
	}
	l.recent[subscriberID] = now
	return true
}

// sweep drops expired entries, at most once per window.
func (l *limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < l.limits.Window {
		return
	}
	l.lastSweep = now
	for k, w := range l.clients {
		if now.Sub(w.start) >= l.limits.Window {
			delete(l.clients, k)
		}
	}
	for k, t := range l.recent {
		if now.Sub(t) >= l.limits.Resend {
			delete(l.recent, k)
		}
	}
}

// clientKey is the keyed hash of ip's network: clients sharing a /24 (IPv4)
// or /48 (IPv6) share a counter, so rotating addresses within one network
// does not escape it.
func (l *limiter) clientKey(ip string) string {
	prefix := "unknown"
	if addr, err := netip.ParseAddr(ip); err == nil {
		addr = addr.Unmap()
		bits := 48
		if addr.Is4() {
			bits = 24
		}
		if p, err := addr.Prefix(bits); err == nil {
			prefix = p.String()
		}
	}
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(prefix))
	return string(m.Sum(nil))
}
