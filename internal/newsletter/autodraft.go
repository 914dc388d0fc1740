package newsletter

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tamizdat/tamizdat/internal/store"
)

// Automatic drafts: a newsletter with a weekly schedule gets a draft of
// its next issue, made of the week's latest published articles, a while
// before the scheduled time, for an editor to adjust and send. The site
// keeps no reading figures, so "latest" stands in for "most read".
const (
	// DraftLead is how long before the scheduled send the draft is made:
	// late enough to hold most of the week, early enough to edit.
	DraftLead = 24 * time.Hour
	// DraftArticles is how many articles an automatic draft picks.
	DraftArticles = 10
	// autoDraftEvery is how often servers look for a draft to make.
	autoDraftEvery = time.Minute
)

// NextSend returns the first scheduled time of n strictly after t, or the
// zero time for a newsletter without a schedule. The hour is wall-clock
// time in the newsletter's zone (UTC when it names none or an unknown one),
// so it stays put across daylight-saving changes.
func NextSend(n store.Newsletter, t time.Time) time.Time {
	if n.Schedule == nil {
		return time.Time{}
	}
	loc := Location(n)
	local := t.In(loc)
	for day := range 8 {
		c := time.Date(local.Year(), local.Month(), local.Day()+day, n.Schedule.Hour, 0, 0, 0, loc)
		if c.Weekday() == n.Schedule.Weekday && c.After(t) {
			return c
		}
	}
	panic("unreachable: every weekday comes within 8 days")
}

// Location is the time zone a newsletter's schedule is in: UTC when it
// names none or an unknown one.
func Location(n store.Newsletter) *time.Location {
	if loc, err := time.LoadLocation(n.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// weekOf names the ISO week of t in loc, e.g. "2026-W48": the key that
// makes a week's automatic draft unique.
func weekOf(t time.Time, loc *time.Location) string {
	y, w := t.In(loc).ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

// AutoDraft makes the automatic drafts that are due at now and returns
// them. A week is drafted once per newsletter, however many servers call
// this at once, and not again if an editor deletes the draft. A week
// without published articles is not drafted (yet).
func AutoDraft(ctx context.Context, st *store.Store, now time.Time) ([]store.Issue, error) {
	list, err := st.ListNewsletters(ctx)
	if err != nil {
		return nil, fmt.Errorf("newsletter: automatic drafts: %w", err)
	}
	var made []store.Issue
	for _, n := range list {
		next := NextSend(n, now)
		if next.IsZero() || now.Before(next.Add(-DraftLead)) {
			continue
		}
		articles, _, err := st.ListArticles(ctx, store.ArticleQuery{PublishedAsOf: now, From: next.AddDate(0, 0, -7), Limit: DraftArticles})
		if err != nil {
			return made, fmt.Errorf("newsletter: automatic draft of %s: %w", n.Slug, err)
		}
		if len(articles) == 0 {
			continue
		}
		loc := Location(n)
		is := store.Issue{NewsletterID: n.ID, Subject: n.Name + " — " + next.In(loc).Format("2 January 2006")}
		for _, a := range articles {
			is.ArticleIDs = append(is.ArticleIDs, a.ID)
		}
		ok, err := st.CreateAutoDraft(ctx, &is, weekOf(next, loc))
		if err != nil {
			return made, fmt.Errorf("newsletter: automatic draft of %s: %w", n.Slug, err)
		}
		if ok {
			made = append(made, is)
		}
	}
	return made, nil
}

// RunAutoDrafts makes automatic drafts as they fall due, every minute
// until ctx ends.
func RunAutoDrafts(ctx context.Context, st *store.Store, log *slog.Logger) {
	t := time.NewTicker(autoDraftEvery)
	defer t.Stop()
	for {
		made, err := AutoDraft(ctx, st, time.Now())
		if err != nil && ctx.Err() == nil {
			log.Warn("newsletter: make automatic drafts", "err", err)
		}
		for _, is := range made {
			log.Info("newsletter: drafted the next issue from the week's latest articles", "issue", is.ID, "subject", is.Subject)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
