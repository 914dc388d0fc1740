package mail

import (
	"context"
	"sync"
	"time"
)

// limiter spaces messages to a server at most rate per second, allowing a
// burst of a tenth of a second's worth after a pause. A nil limiter lets
// everything through.
type limiter struct {
	mu       sync.Mutex
	interval time.Duration
	burst    time.Duration
	next     time.Time // when the next message may go, at the earliest
}

func newLimiter(rate float64) *limiter {
	if rate <= 0 {
		return nil
	}
	interval := time.Duration(float64(time.Second) / rate)
	return &limiter{interval: interval, burst: max(interval, 100*time.Millisecond)}
}

// wait blocks until a message may be sent, or ctx ends.
func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	now := time.Now()
	if earliest := now.Add(-l.burst); l.next.Before(earliest) {
		l.next = earliest
	}
	at := l.next
	l.next = l.next.Add(l.interval)
	l.mu.Unlock()
	d := at.Sub(now)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
