package newsletter

import (
	"context"
	"log/slog"
	"time"

	"github.com/tamizdat/tamizdat/internal/store"
)

// UnconfirmedFor is how long a signup waits for its confirmation before it
// is deleted.
const UnconfirmedFor = 7 * 24 * time.Hour

// RunRetention deletes unconfirmed signups older than UnconfirmedFor, at
// start and then hourly, until ctx ends. Everything else the newsletter
// keeps is already minimal: unsubscribing or erasure deletes the subscriber
// at once, leaving at most a keyed hash in the suppression list.
func RunRetention(ctx context.Context, st *store.Store, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := st.PurgePendingSubscribers(ctx, time.Now().Add(-UnconfirmedFor)); err != nil && ctx.Err() == nil {
			log.Warn("newsletter: delete unconfirmed signups", "err", err)
		} else if n > 0 {
			log.Info("newsletter: deleted unconfirmed signups", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
