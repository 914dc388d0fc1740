package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Newsletter is one list readers can subscribe to, e.g. "Weekly" or
// "Breaking".
type Newsletter struct {
	ID          string
	Slug        string
	Name        string
	Description string
	// FullText says whether issues carry articles' full text rather than
	// their summaries.
	FullText bool
	// Schedule is when issues go out by default; nil for a newsletter sent
	// by hand.
	Schedule  *Schedule
	TimeZone  string // IANA zone the schedule is in
	CreatedAt time.Time
}

// Schedule is a weekly sending time.
type Schedule struct {
	Weekday time.Weekday
	Hour    int // 0–23
}

const (
	newsletterColumns = `id, slug, name, description, full_text, send_weekday, send_hour, time_zone, created_at`
	qInsertNewsletter = `INSERT INTO newsletters (` + newsletterColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qNewsletterBySlug = `SELECT ` + newsletterColumns + ` FROM newsletters WHERE slug = ?`
	qNewsletterByID   = `SELECT ` + newsletterColumns + ` FROM newsletters WHERE id = ?`
	qListNewsletters  = `SELECT ` + newsletterColumns + ` FROM newsletters ORDER BY created_at, id`
	qCountNewsletters = `SELECT COUNT(*) FROM newsletters`
	qUpdateNewsletter = `UPDATE newsletters SET name = ?, description = ?, full_text = ?, send_weekday = ?, send_hour = ?, time_zone = ? WHERE id = ?`
)

// CreateNewsletter adds a newsletter and sets n.ID and n.CreatedAt. A slug
// already in use gives model.ErrConflict.
func (s *Store) CreateNewsletter(ctx context.Context, n *Newsletter) error {
	now := s.clock()
	err := s.write(ctx, false, func(r *runner) error {
		return insertNewsletter(ctx, r, n, now)
	})
	if err != nil {
		return fmt.Errorf("store: create newsletter %q: %w", n.Slug, err)
	}
	return nil
}

// SeedNewsletters creates ns, in order, if the site has no newsletter yet,
// and reports whether it did. A site's first start calls it with the default
// lists; later starts find them and change nothing.
func (s *Store) SeedNewsletters(ctx context.Context, ns []Newsletter) (bool, error) {
	now := s.clock()
	seeded := false
	err := s.write(ctx, false, func(r *runner) error {
		var count int
		if err := r.scanRow(ctx, "count_newsletters", qCountNewsletters, nil, &count); err != nil || count > 0 {
			return err
		}
		for i := range ns {
			// Distinct creation times keep the list in the given order.
			if err := insertNewsletter(ctx, r, &ns[i], now.Add(time.Duration(i)*time.Microsecond)); err != nil {
				return err
			}
		}
		seeded = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: seed newsletters: %w", err)
	}
	return seeded, nil
}

func insertNewsletter(ctx context.Context, r *runner, n *Newsletter, now time.Time) error {
	weekday, hour, err := checkNewsletter(n)
	if err != nil {
		return err
	}
	id := newID()
	if _, err := r.exec(ctx, "insert_newsletter", qInsertNewsletter, id, n.Slug, n.Name, n.Description,
		n.FullText, weekday, hour, n.TimeZone, timeArg(now)); err != nil {
		return err
	}
	n.ID, n.CreatedAt = id, now
	return nil
}

// checkNewsletter validates n, defaults its time zone to UTC and returns
// its schedule's columns.
func checkNewsletter(n *Newsletter) (weekday, hour any, err error) {
	p := problems{}
	p.require("slug", n.Slug, "a newsletter needs a slug and a name")
	p.require("name", n.Name, "a newsletter needs a slug and a name")
	if n.Schedule != nil && (n.Schedule.Weekday < time.Sunday || n.Schedule.Weekday > time.Saturday || n.Schedule.Hour < 0 || n.Schedule.Hour > 23) {
		p["schedule"] = "the sending day must be Sunday to Saturday and the hour 0 to 23"
	}
	if n.TimeZone == "" {
		n.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(n.TimeZone); err != nil {
		p["time_zone"] = "the time zone must be an IANA name such as Europe/Berlin or UTC"
	}
	if err := p.err(); err != nil {
		return nil, nil, err
	}
	if n.Schedule != nil {
		weekday, hour = int(n.Schedule.Weekday), n.Schedule.Hour
	}
	return weekday, hour, nil
}

// UpdateNewsletter saves a newsletter's name, description, full-text
// setting, schedule and time zone; its slug does not change. A change to
// what its emails show (the name, or whether they carry full text)
// withdraws the approvals of its unsent issues, which approved them as
// they were: it returns those issues' IDs.
func (s *Store) UpdateNewsletter(ctx context.Context, n *Newsletter) (approvalsWithdrawn []string, err error) {
	weekday, hour, err := checkNewsletter(n)
	if err == nil {
		err = s.write(ctx, false, func(r *runner) error {
			var name string
			var fullText bool
			if err := r.scanRow(ctx, "newsletter_looks", qNewsletterLooks, []any{n.ID}, &name, &fullText); err != nil {
				return notFound(err)
			}
			if _, err := r.exec(ctx, "update_newsletter", qUpdateNewsletter, n.Name, n.Description, n.FullText, weekday, hour, n.TimeZone, n.ID); err != nil {
				return err
			}
			if name == n.Name && fullText == n.FullText {
				return nil
			}
			approvalsWithdrawn, err = withdrawUnsentApprovals(ctx, r, "newsletter_id = ?", n.ID)
			return err
		})
	}
	if err != nil {
		return nil, fmt.Errorf("store: update newsletter %s: %w", n.ID, err)
	}
	return approvalsWithdrawn, nil
}

// NewsletterBySlug returns the newsletter with that slug.
func (s *Store) NewsletterBySlug(ctx context.Context, slug string) (Newsletter, error) {
	var row newsletterRow
	if err := s.read().scanRow(ctx, "newsletter_by_slug", qNewsletterBySlug, []any{slug}, row.dest()...); err != nil {
		return Newsletter{}, fmt.Errorf("store: newsletter %q: %w", slug, notFound(err))
	}
	return row.value(), nil
}

// NewsletterByID returns the newsletter with that ID.
func (s *Store) NewsletterByID(ctx context.Context, id string) (Newsletter, error) {
	var row newsletterRow
	if err := s.read().scanRow(ctx, "newsletter_by_id", qNewsletterByID, []any{id}, row.dest()...); err != nil {
		return Newsletter{}, fmt.Errorf("store: newsletter %s: %w", id, notFound(err))
	}
	return row.value(), nil
}

// ListNewsletters returns every newsletter, oldest first.
func (s *Store) ListNewsletters(ctx context.Context) ([]Newsletter, error) {
	var out []Newsletter
	err := s.read().each(ctx, "list_newsletters", qListNewsletters, nil, func(scan func(...any) error) error {
		var row newsletterRow
		err := scan(row.dest()...)
		out = append(out, row.value())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list newsletters: %w", err)
	}
	return out, nil
}

// newsletterRow receives a newsletter row, whose schedule is two nullable
// columns.
type newsletterRow struct {
	n             Newsletter
	weekday, hour sql.NullInt64
}

func (r *newsletterRow) dest() []any {
	n := &r.n
	return []any{&n.ID, &n.Slug, &n.Name, &n.Description, &n.FullText, &r.weekday, &r.hour, &n.TimeZone, scanTime(&n.CreatedAt)}
}

func (r *newsletterRow) value() Newsletter {
	n := r.n
	if r.weekday.Valid && r.hour.Valid {
		n.Schedule = &Schedule{Weekday: time.Weekday(r.weekday.Int64), Hour: int(r.hour.Int64)}
	}
	return n
}
