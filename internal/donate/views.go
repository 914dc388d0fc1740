package donate

import (
	"context"
	"time"
)

// DefaultViewLimits bound how many appeal views are counted: 120 an hour
// from one address range, as a reader who reads many pages, each with a
// banner and an appeal, may send, or a few readers behind one Tor exit;
// and 50,000 an hour in all, so that many ranges together cannot flood the
// figures either. Views past a limit are not counted.
var DefaultViewLimits = Limits{PerRange: 120, RangeWindow: time.Hour, Global: 50_000, GlobalWindow: time.Hour}

// CountAppealView counts one view of an active appeal for its conversion
// figure, and reports whether there was such an appeal. client is the
// reader's address, used only in memory for the rate limit (a keyed hash
// of its range); nothing about the reader is stored. Past the limit, it
// fails with a *RateLimitError and counts nothing.
func (s *Service) CountAppealView(ctx context.Context, appealID, client string) (bool, error) {
	now := s.now()
	if err := s.views.allow(client, now); err != nil {
		return false, err
	}
	return s.store.CountAppealView(ctx, appealID, now)
}
