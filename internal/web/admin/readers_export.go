package admin

import (
	"context"
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/donate"
	"github.com/tamizdat/tamizdat/internal/store"
)

// The audit actions of the exports of readers' data. Each export records
// that it started before the first row leaves, and how many rows went
// once it ends.
const (
	AuditSubscribersExportStarted = "subscribers_export_started"
	AuditSubscribersExported      = "subscribers_exported"
	AuditDonorsExportStarted      = "donors_export_started"
	AuditDonorsExported           = "donors_exported"
)

// exportPage is how many readers an export reads at a time: the whole
// list is never in memory.
const exportPage = 500

// exportSubscribers downloads every subscriber as CSV.
func (a *Admin) exportSubscribers(w http.ResponseWriter, r *http.Request) error {
	return a.exportReaders(w, r, "subscribers", AuditSubscribersExportStarted, AuditSubscribersExported, a.writeSubscribers)
}

// exportDonors downloads every donor as CSV.
func (a *Admin) exportDonors(w http.ResponseWriter, r *http.Request) error {
	return a.exportReaders(w, r, "donors", AuditDonorsExportStarted, AuditDonorsExported, a.writeDonors)
}

// exportReaders streams a CSV of readers, written by rows, as a download.
// The audit log records the export before
// any data is sent, so that an export it could not record does not
// happen, and the row count after, even when the browser has gone by then.
// A failure midway aborts the response, so the file cannot pass for
// complete.
func (a *Admin) exportReaders(w http.ResponseWriter, r *http.Request, what, started, done string,
	rows func(context.Context, *csv.Writer) (int, error)) error {
	if a.subscribers == nil || a.donations == nil {
		return errNoReaders
	}
	ctx := r.Context()
	if err := a.recordReader(ctx, r, started, "", nil); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+what+"-"+time.Now().UTC().Format("2006-01-02")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	out := csv.NewWriter(w)
	n, err := rows(ctx, out)
	if err == nil {
		out.Flush()
		err = out.Error()
	}
	if aerr := a.recordReader(context.WithoutCancel(ctx), r, done, "", map[string]any{"rows": n, "complete": err == nil}); aerr != nil {
		a.log.ErrorContext(ctx, "audit entry lost", "action", done, "rows", n, "err", aerr)
	}
	if err != nil {
		a.log.WarnContext(ctx, "readers: export cut short", "export", what, "rows", n, "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// writeSubscribers writes the header and every subscriber, of every
// status, with their newest consent record, and returns how many.
func (a *Admin) writeSubscribers(ctx context.Context, out *csv.Writer) (int, error) {
	list, err := a.store.ListNewsletters(ctx)
	if err != nil {
		return 0, err
	}
	slugs := map[string]string{}
	for _, n := range list {
		slugs[n.ID] = n.Slug
	}
	return exportRows(out, []string{"email", "status", "newsletters", "created_at", "confirmed_at",
		"consent_given_at", "privacy_policy_version", "bounce_count"},
		func(after string) ([]store.SubscriberRow, error) {
			return a.store.SubscribersAfter(ctx, after, exportPage)
		},
		func(s store.SubscriberRow) string { return s.ID },
		func(s store.SubscriberRow) ([]string, error) {
			addr, err := a.subscribers.Address(s.Subscriber)
			var newsletters []string
			for _, n := range s.Subscriptions {
				newsletters = append(newsletters, slugs[n.NewsletterID])
			}
			slices.Sort(newsletters)
			return []string{addr, s.Status, strings.Join(newsletters, " "), csvTime(s.CreatedAt), csvTime(s.ConfirmedAt),
				csvTime(s.Consent.GivenAt), s.Consent.PolicyVersion, strconv.Itoa(s.BounceCount)}, err
		})
}

// writeDonors writes the header and every donor, with what they gave per
// currency net of refunds and their recurring donations, and returns how
// many. No donor has a name: none is kept.
func (a *Admin) writeDonors(ctx context.Context, out *csv.Writer) (int, error) {
	return exportRows(out, []string{"email", "donor_since", "given", "payments", "recurring_status", "recurring"},
		func(after string) ([]store.DonorRow, error) { return a.store.DonorsAfter(ctx, after, exportPage) },
		func(d store.DonorRow) string { return d.ID },
		func(d store.DonorRow) ([]string, error) {
			addr, err := a.donations.DonorAddress(d.Donor)
			var given, recurring []string
			payments := 0
			for _, t := range d.Totals {
				given = append(given, donate.Money{Amount: t.Amount, Currency: t.Currency}.Decimal()+" "+t.Currency)
				payments += t.Payments
			}
			status := ""
			for _, rd := range d.Recurring {
				recurring = append(recurring, string(rd.Frequency)+" "+
					donate.Money{Amount: rd.Amount, Currency: rd.Currency}.Decimal()+" "+rd.Currency+" ("+rd.Status+")")
				if status != "active" {
					status = rd.Status // active if any is, else the newest one's
				}
			}
			return []string{addr, csvTime(d.CreatedAt), strings.Join(given, "; "), strconv.Itoa(payments), status,
				strings.Join(recurring, "; ")}, err
		})
}

// exportRows writes header, then every row of the keyset pages page
// returns, page by page, each row's cells made safe to open in a
// spreadsheet; it returns how many rows it wrote.
func exportRows[T any](out *csv.Writer, header []string, page func(after string) ([]T, error), key func(T) string,
	cells func(T) ([]string, error)) (int, error) {
	if err := out.Write(header); err != nil {
		return 0, err
	}
	n, after := 0, ""
	for {
		rows, err := page(after)
		if err != nil || len(rows) == 0 {
			return n, err
		}
		for _, row := range rows {
			record, err := cells(row)
			if err != nil {
				return n, err
			}
			for i, c := range record {
				record[i] = csvCell(c)
			}
			if err := out.Write(record); err != nil {
				return n, err
			}
			n++
		}
		// A browser that went away ends the export here.
		if out.Flush(); out.Error() != nil {
			return n, out.Error()
		}
		after = key(rows[len(rows)-1])
	}
}

// csvCell guards a cell against CSV injection: a spreadsheet runs a cell
// that starts with = + - or @ (or a tab or carriage return before one) as
// a formula, which a reader could plant in their own address. Such a cell
// gets a leading apostrophe, which spreadsheets show as text.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// csvTime writes a time for an export: RFC 3339 in UTC, "" when unset.
func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
