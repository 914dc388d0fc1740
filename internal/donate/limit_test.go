package donate

import (
	"io"
	"log/slog"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	l := newLimiter(Limits{PerRange: 10, RangeWindow: 24 * time.Hour, Global: 15, GlobalWindow: time.Hour}, DefaultLimits, "checkouts", slog.New(slog.NewTextHandler(io.Discard, nil)))
	for i := range 10 {
		if err := l.allow("203.0.113.7:5555", t0); err != nil {
			t.Fatalf("attempt %d from one address refused: %v", i+1, err)
		}
	}
	// The eleventh in a day from the same /24, whatever the address in it.
	err := l.allow("203.0.113.200:1", t0.Add(time.Minute))
	if err == nil || err.Global {
		t.Fatalf("the 11th attempt from one /24 = %v; want a range limit", err)
	}
	if want := 24*time.Hour/10 - time.Minute; err.RetryAfter != want {
		t.Errorf("retry after %v, want %v (one emission interval after the burst)", err.RetryAfter, want)
	}
	if err := l.allow("203.0.114.7:5555", t0); err != nil {
		t.Errorf("a neighbouring /24 was refused: %v", err)
	}
	// IPv6 addresses share a limit per /48.
	for i := range 4 {
		if err := l.allow("[2001:db8:1:ffff::1]:443", t0); err != nil {
			t.Fatalf("IPv6 attempt %d refused: %v", i+1, err)
		}
	}
	// That is 15 in all: the global breaker now refuses everyone.
	err = l.allow("198.51.100.1:80", t0)
	if err == nil || !err.Global {
		t.Fatalf("attempt 16 overall = %v; want the global limit", err)
	}
	if err := l.allow("198.51.100.1:80", t0.Add(time.Hour/15)); err != nil {
		t.Errorf("after one global interval, a new range was refused: %v", err)
	}
	if err := l.allow("203.0.113.9:1", t0.Add(24*time.Hour/10)); err != nil {
		t.Errorf("after the retry time, the limited range was refused: %v", err)
	}
	// A day later every range has recovered and is forgotten.
	l.sweep(t0.Add(48 * time.Hour))
	if n := len(l.ranges); n != 0 {
		t.Errorf("%d ranges remembered two days on; want none", n)
	}
}

func TestRangeKey(t *testing.T) {
	t.Parallel()
	l := newLimiter(Limits{}, DefaultLimits, "checkouts", slog.Default())
	same := [][2]string{
		{"192.0.2.1:1234", "192.0.2.254"},
		{"[2001:db8:aa::1]:1", "[2001:db8:aa:ffff:ffff::9]:2"},
	}
	for _, p := range same {
		if l.rangeKey(p[0]) != l.rangeKey(p[1]) {
			t.Errorf("%s and %s are in one range but got different keys", p[0], p[1])
		}
	}
	differ := [][2]string{
		{"192.0.2.1:1234", "192.0.3.1:1234"},
		{"[2001:db8:aa::1]:1", "[2001:db8:ab::1]:1"},
	}
	for _, p := range differ {
		if l.rangeKey(p[0]) == l.rangeKey(p[1]) {
			t.Errorf("%s and %s are in different ranges but share a key", p[0], p[1])
		}
	}
	other := newLimiter(Limits{}, DefaultLimits, "checkouts", slog.Default())
	if l.rangeKey("192.0.2.1:1") == other.rangeKey("192.0.2.1:1") {
		t.Error("two limiters hash a range alike; the key must be random per process")
	}
}
