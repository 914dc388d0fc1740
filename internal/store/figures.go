package store

import (
	"context"
	"fmt"
	"time"
)

// The desk's donation figures. Everything is computed in SQL from the
// donations table, whose rows exist only for payments a verified provider
// event confirmed; refunds are taken off the day or month the payment was
// made.

// RevenueRow is what was given in one currency on one day (YYYY-MM-DD) or
// in one month (YYYY-MM), net of refunds, in the currency's minor unit.
type RevenueRow struct {
	Period    string
	Currency  string
	OneTime   int64
	Recurring int64 // monthly and annual payments, first ones and renewals
	Payments  int
}

// RecurringFigure is the recurring donations live in one currency.
type RecurringFigure struct {
	Currency string
	// Donors is how many donors have an active recurring donation.
	Donors int
	// Monthly is the monthly recurring revenue: monthly donations plus
	// annual ones divided by 12, rounded down, in the minor unit.
	Monthly int64
}

// AppealFigure is how one appeal converted over a window.
type AppealFigure struct {
	ID      string
	Heading string
	Active  bool
	// Views counts the times the appeal was seen in the window.
	Views int64
	// Gifts counts the one-time donations and the first payments of
	// recurring donations made from it in the window, except those
	// refunded in full.
	Gifts int64
}

// Conversion is Gifts per view, or 0 without views.
func (f AppealFigure) Conversion() float64 {
	if f.Views == 0 {
		return 0
	}
	return float64(f.Gifts) / float64(f.Views)
}

// DonationFigures are the desk's figures as of one moment.
type DonationFigures struct {
	// Days covers the last 30 UTC days, today included; Months the last
	// 12 calendar months, this one included. Days and months without
	// payments are left out.
	Days, Months []RevenueRow
	Recurring    []RecurringFigure
	// RecurringDonors counts donors with at least one active recurring
	// donation, whatever its currency.
	RecurringDonors int
	// Appeals are every appeal's conversion over the last 30 days.
	Appeals []AppealFigure
	// DaysFrom and MonthsFrom are where the windows start.
	DaysFrom, MonthsFrom time.Time
}

const (
	// qRecurringFigures: a recurring donation is live while its status is
	// active; past_due, unpaid and paused ones are not counted until they
	// pay again.
	qRecurringFigures = `SELECT currency, COUNT(DISTINCT COALESCE(donor_id, id)),
CAST(SUM(CASE WHEN frequency = 'annual' THEN amount ELSE amount * 12 END) AS BIGINT) / 12
FROM recurring_donations WHERE status = 'active' GROUP BY currency ORDER BY currency`
	qRecurringDonors = `SELECT COUNT(DISTINCT COALESCE(donor_id, id)) FROM recurring_donations WHERE status = 'active'`
	// qAppealFigures counts a recurring donation's gift once, at its first
	// payment; its appeal is the payment's or else the recurring
	// donation's, whichever event named it.
	qAppealFigures = `SELECT a.id, a.heading, a.active,
COALESCE((SELECT CAST(SUM(v.views) AS BIGINT) FROM appeal_views v WHERE v.appeal_id = a.id AND v.day >= ?), 0),
(SELECT COUNT(*) FROM donations d LEFT JOIN recurring_donations r ON r.id = d.recurring_id
 WHERE COALESCE(d.appeal_id, r.appeal_id) = a.id AND d.paid_at >= ? AND d.amount_refunded < d.amount
 AND (d.recurring_id IS NULL OR NOT EXISTS (SELECT 1 FROM donations e WHERE e.recurring_id = d.recurring_id
  AND (e.paid_at < d.paid_at OR (e.paid_at = d.paid_at AND e.id < d.id)))))
FROM appeals a ORDER BY a.active DESC, a.updated_at DESC, a.id`
)

// revenueQuery sums payments by the first n characters of their UTC time:
// 10 for days, 7 for months.
func (s *Store) revenueQuery(n int) string {
	period := fmt.Sprintf("substr(%s, 1, %d)", s.d.utcText("paid_at"), n)
	return `SELECT ` + period + `, currency,
CAST(SUM(CASE WHEN frequency = 'once' THEN amount - amount_refunded ELSE 0 END) AS BIGINT),
CAST(SUM(CASE WHEN frequency <> 'once' THEN amount - amount_refunded ELSE 0 END) AS BIGINT),
COUNT(*)
FROM donations WHERE paid_at >= ? GROUP BY ` + period + `, currency ORDER BY ` + period + `, currency`
}

// DonationFigures computes the figures as of now.
func (s *Store) DonationFigures(ctx context.Context, now time.Time) (DonationFigures, error) {
	now = now.UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	f := DonationFigures{DaysFrom: today.AddDate(0, 0, -29), MonthsFrom: time.Date(now.Year(), now.Month()-11, 1, 0, 0, 0, 0, time.UTC)}
	r := s.read()
	var err error
	if f.Days, err = s.revenue(ctx, r, 10, f.DaysFrom); err != nil {
		return DonationFigures{}, err
	}
	if f.Months, err = s.revenue(ctx, r, 7, f.MonthsFrom); err != nil {
		return DonationFigures{}, err
	}
	err = r.each(ctx, "recurring_figures", qRecurringFigures, nil, func(scan func(...any) error) error {
		var rf RecurringFigure
		err := scan(&rf.Currency, &rf.Donors, &rf.Monthly)
		f.Recurring = append(f.Recurring, rf)
		return err
	})
	if err != nil {
		return DonationFigures{}, fmt.Errorf("store: donation figures: recurring: %w", err)
	}
	if err := r.scanRow(ctx, "recurring_donors", qRecurringDonors, nil, &f.RecurringDonors); err != nil {
		return DonationFigures{}, fmt.Errorf("store: donation figures: recurring donors: %w", err)
	}
	args := []any{f.DaysFrom.Format(time.DateOnly), timeArg(f.DaysFrom)}
	err = r.each(ctx, "appeal_figures", qAppealFigures, args, func(scan func(...any) error) error {
		var af AppealFigure
		err := scan(&af.ID, &af.Heading, &af.Active, &af.Views, &af.Gifts)
		f.Appeals = append(f.Appeals, af)
		return err
	})
	if err != nil {
		return DonationFigures{}, fmt.Errorf("store: donation figures: appeals: %w", err)
	}
	return f, nil
}

func (s *Store) revenue(ctx context.Context, r *runner, n int, from time.Time) ([]RevenueRow, error) {
	var rows []RevenueRow
	err := r.each(ctx, "revenue", s.revenueQuery(n), []any{timeArg(from)}, func(scan func(...any) error) error {
		var row RevenueRow
		err := scan(&row.Period, &row.Currency, &row.OneTime, &row.Recurring, &row.Payments)
		rows = append(rows, row)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: donation figures: revenue: %w", err)
	}
	return rows, nil
}

// Total is the one-time and recurring revenue together.
func (r RevenueRow) Total() int64 { return r.OneTime + r.Recurring }
