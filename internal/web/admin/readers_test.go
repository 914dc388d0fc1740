package admin_test

import (
	"encoding/csv"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/donate"
	"github.com/tamizdat/tamizdat/internal/donate/donatetest"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
	"github.com/tamizdat/tamizdat/internal/vault"
	"github.com/tamizdat/tamizdat/internal/web/admin"
)

// readersDesk is a desk whose donations go through stripe-mock, with
// readers in it (see eachReadersDesk).
type readersDesk struct {
	*desk
	stripe *donatetest.Stripe
	vault  *vault.Vault
}

// eachReadersDesk runs fn on both engines over a desk holding these
// readers, all created at t0:
//
//   - subscribers reader@example.net (active: Weekly and Breaking),
//     =1+1@example.net (active: Weekly), -2@example.net (active:
//     Breaking), pending@example.net (pending: Breaking) and
//     bounced@example.net (bounced off Weekly, so suppressed);
//   - never@example.net suppressed by hand, subscribing to nothing;
//   - donors giver@example.org (25 EUR and 10 USD once),
//     monthly@example.org (5 EUR a month, active) and reader@example.net
//     (3 EUR once), all paid the day before t0.
func eachReadersDesk(t *testing.T, fn func(t *testing.T, d readersDesk)) {
	t.Helper()
	sm := donatetest.StartStripe(t)
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		clock := storetest.NewClock(t0)
		st := storetest.NewEngine(t, engine, store.Options{Now: clock.Now})
		payments := donate.NewStripe(donate.StripeOptions{Key: "sk_test_tamizdat", WebhookSecret: donatetest.WebhookSecret, APIURL: sm.URL})
		v, err := vault.New(newsKey)
		if err != nil {
			t.Fatal(err)
		}
		d := readersDesk{desk: newDeskPaying(t, st, clock, nil, payments), stripe: sm, vault: v}
		d.seedReaders(t)
		fn(t, d)
	})
}

func (d readersDesk) seedReaders(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	weekly := d.weekly(t).ID
	breaking, err := d.store.NewsletterBySlug(ctx, "breaking")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		addr        string
		pending     bool
		newsletters []string
	}{
		{"reader@example.net", false, []string{weekly, breaking.ID}},
		{"=1+1@example.net", false, []string{weekly}},
		{"-2@example.net", false, []string{breaking.ID}},
		{"pending@example.net", true, []string{breaking.ID}},
		{"bounced@example.net", false, []string{weekly}},
	} {
		sub := store.Subscriber{EmailIndex: d.subscriberIndex(s.addr), EmailSealed: d.vault.Seal(s.addr, newsletter.EmailPurpose),
			Status: store.SubscriberActive}
		if s.pending {
			sub.Status = store.SubscriberPending
		}
		consent := &store.Consent{Text: "Weekly and Breaking, from the newsletter page", PolicyVersion: "2025-01"}
		if err := d.store.CreateSubscriber(ctx, &sub, s.newsletters, consent); err != nil {
			t.Fatal(err)
		}
		if s.addr == "bounced@example.net" {
			if err := d.store.MarkBounced(ctx, sub.ID, true, 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := d.store.Suppress(ctx, d.subscriberIndex("never@example.net"), store.SuppressManual); err != nil {
		t.Fatal(err)
	}

	paid := t0.Add(-24 * time.Hour)
	for i, ev := range []struct {
		typ    string
		object donatetest.Obj
	}{
		{"checkout.session.completed", donatetest.PaidSession("cs_1", "pi_1", "giver@example.org", 2500, "eur")},
		{"checkout.session.completed", donatetest.PaidSession("cs_2", "pi_2", "Giver@Example.org", 1000, "usd")},
		{"checkout.session.completed", donatetest.PaidSession("cs_3", "pi_3", "reader@example.net", 300, "eur")},
		{"checkout.session.completed", donatetest.SubscriptionSession("cs_4", "sub_m", "cus_m", "monthly@example.org", 500, "eur", "monthly")},
		{"customer.subscription.created", donatetest.Subscription("sub_m", "cus_m", "active", 500, "eur", "month", time.Time{})},
		{"invoice.paid", donatetest.Invoice("in_m", "sub_m", "cus_m", "monthly@example.org", 500, "eur", "monthly", true, paid)},
	} {
		payload := donatetest.Event("evt_"+string(rune('a'+i)), ev.typ, paid, ev.object)
		if err := d.donations.Receive(ctx, payload, donatetest.Sign(donatetest.WebhookSecret, payload, time.Now())); err != nil {
			t.Fatalf("deliver %s: %v", ev.typ, err)
		}
	}
}

// subscriberIndex is the keyed hash the store finds a subscriber's
// address by, and the audit log names it by.
func (d readersDesk) subscriberIndex(addr string) string {
	return d.vault.Index(strings.ToLower(addr), newsletter.EmailPurpose)
}

// signedInAdmin returns a browser signed in as an admin, with the passkey it can
// step up with.
func (d readersDesk) signedInAdmin(t *testing.T) (*browser, store.User, func(next string) string) {
	t.Helper()
	u := d.user(t, "admin@example.org", accounts.Admin)
	b := d.browser(t)
	a := b.enrolPasskey("admin@example.org")
	return b, u, func(next string) string { return b.stepUp(a, next) }
}

// auditEntries returns the audit log's entries of action.
func (d readersDesk) auditEntries(t *testing.T, action string) []store.AuditEntry {
	t.Helper()
	var out []store.AuditEntry
	err := d.store.EachAudit(t.Context(), func(e store.AuditEntry) error {
		if e.Action == action {
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReadersOverview: admins, and only admins, have the Readers screen,
// whose counts are exact and name nobody.
func TestReadersOverview(t *testing.T) {
	t.Parallel()
	eachReadersDesk(t, func(t *testing.T, d readersDesk) {
		b, _, _ := d.signedInAdmin(t)
		w := b.get("/admin/readers")
		wantStatus(t, w, http.StatusOK)
		page := w.Body.String()
		for _, want := range []string{
			`<a href="/admin/readers">Readers</a>`,
			`<tr><td>Weekly</td><td>0</td><td>2</td><td>0</td><td>1</td></tr>`,
			`<tr><td>Breaking</td><td>1</td><td>2</td><td>0</td><td>0</td></tr>`,
			`<tr><th scope="row">Subscribers (each once)</th><td>1</td><td>3</td><td>0</td><td>1</td></tr>`,
			`Suppressed addresses (never mailed): <strong>2</strong> — bounce: 1 manual: 1`,
			`Donor records: <strong>3</strong>. With an active recurring donation: <strong>1</strong>. ` +
				`Gave once in the last 30 days: <strong>2</strong> donors, 3 gifts`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("the overview lacks %q:\n%s", want, page)
			}
		}
		for _, reader := range []string{"example.net", "giver@", "monthly@", "never@"} {
			if strings.Contains(page, reader) {
				t.Errorf("the overview names a reader (%s):\n%s", reader, page)
			}
		}

		ed, _ := d.readyBrowser(t, "editor@example.org", accounts.Editor)
		if menu := ed.get("/admin/").Body.String(); strings.Contains(menu, "/admin/readers") {
			t.Errorf("an editor's menu offers the Readers screen:\n%s", menu)
		}
		wantStatus(t, ed.get("/admin/readers"), http.StatusForbidden)
	})
}

// TestReaderLookup: an admin finds a reader by their exact address (its
// case aside, as signups treat it), and nobody by a near miss; every
// lookup is in the audit log under the address's keyed hash, never the
// address.
func TestReaderLookup(t *testing.T) {
	t.Parallel()
	eachReadersDesk(t, func(t *testing.T, d readersDesk) {
		b, u, _ := d.signedInAdmin(t)
		lookUp := func(addr string) *stringsPage {
			b.get("/admin/readers")
			w := b.post("/admin/readers/lookup", url.Values{"email": {addr}})
			return &stringsPage{t: t, code: w.Code, body: w.Body.String()}
		}

		for _, addr := range []string{"reader@example.net", " Reader@EXAMPLE.net "} {
			p := lookUp(addr)
			p.wantCode(http.StatusOK)
			p.wantAll("active", "Weekly", "Breaking", "Weekly and Breaking, from the newsletter page", "2025-01",
				"Donor since", "3.00 EUR", "not suppressed", `name="email" value="`)
		}
		if got := d.auditEntries(t, admin.AuditReaderLookedUp); len(got) != 2 || got[0].Actor != u.ID ||
			got[0].Target != d.subscriberIndex("reader@example.net") || got[1].Target != got[0].Target ||
			!strings.Contains(got[0].Detail, `"donor":true`) || !strings.Contains(got[0].Detail, `"subscriber":true`) {
			t.Errorf("lookup audit entries = %+v; want two by the admin, naming the keyed hash", got)
		}

		p := lookUp("monthly@example.org")
		p.wantAll("No subscriber has this address.", "monthly", "5.00 EUR", "active", "sub_m")
		lookUp("bounced@example.net").wantAll("bounced", "Permanent bounces</dt><dd>1", "(reason: bounce)")
		lookUp("never@example.net").wantAll("No subscriber has this address.", "(reason: manual)", "No donor has this address.")

		for _, near := range []string{"reader@example.ne", "reader1@example.net", "eader@example.net", "reader@example.net.org", "reader@mail.example.net"} {
			p := lookUp(near)
			p.wantCode(http.StatusOK)
			p.wantAll("No subscriber has this address.", "No donor has this address.")
			p.wantNone("Signed up", "Donor since")
		}
		p = lookUp("not an address")
		p.wantCode(http.StatusUnprocessableEntity)
		p.wantAll("An email address")

		err := d.store.EachAudit(t.Context(), func(e store.AuditEntry) error {
			if strings.Contains(e.Target+e.Detail, "example.") {
				t.Errorf("the audit log names an address: %+v", e)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestReaderChanges: unsubscribing, suppressing and erasing a subscriber
// and erasing donors each need the confirmation box, do what they say and
// are in the audit log under the address's keyed hash. Erasing a donor
// cancels their recurring donation at Stripe and keeps their payments,
// anonymous.
func TestReaderChanges(t *testing.T) {
	t.Parallel()
	eachReadersDesk(t, func(t *testing.T, d readersDesk) {
		ctx := t.Context()
		b, u, _ := d.signedInAdmin(t)
		change := func(action, addr string, form url.Values) *stringsPage {
			b.get("/admin/readers")
			b.post("/admin/readers/lookup", url.Values{"email": {addr}})
			form.Set("email", addr)
			w := b.post("/admin/readers/"+action, form)
			return &stringsPage{t: t, code: w.Code, body: w.Body.String()}
		}
		index := d.subscriberIndex("reader@example.net")
		reader := func() store.Subscriber {
			t.Helper()
			sub, err := d.store.SubscriberByEmailIndex(ctx, index)
			if err != nil {
				t.Fatal(err)
			}
			return sub
		}
		weekly, err := d.store.NewsletterBySlug(ctx, "weekly")
		if err != nil {
			t.Fatal(err)
		}
		audited := func(action, target string) {
			t.Helper()
			if n := d.auditCount(t, u.ID, action, target); n != 1 {
				t.Errorf("%d audit entries of %s about %s; want 1", n, action, target)
			}
		}

		p := change("unsubscribe", "reader@example.net", url.Values{"newsletter": {weekly.ID}})
		p.wantCode(http.StatusUnprocessableEntity)
		p.wantAll("Tick the box to confirm. Nothing was changed.")
		if n := len(reader().Subscriptions); n != 2 {
			t.Fatalf("unconfirmed, the reader has %d subscriptions; want 2", n)
		}
		p = change("unsubscribe", "reader@example.net", url.Values{"newsletter": {weekly.ID}, "confirm": {"yes"}})
		p.wantCode(http.StatusOK)
		p.wantAll("Unsubscribed from Weekly.")
		if subs := reader().Subscriptions; len(subs) != 1 || subs[0].NewsletterID == weekly.ID {
			t.Errorf("after unsubscribing from Weekly: %+v", subs)
		}
		audited(admin.AuditSubscriberUnsubscribed, index)

		change("suppress", "reader@example.net", url.Values{"confirm": {"yes"}}).wantAll("on the suppression list")
		if reason, err := d.store.Suppression(ctx, index); reason != store.SuppressManual {
			t.Errorf("suppression = %q, %v; want manual", reason, err)
		}
		audited(admin.AuditAddressSuppressed, index)

		p = change("erase-subscriber", "reader@example.net", url.Values{"suppress": {"yes"}, "confirm": {"yes"}})
		p.wantCode(http.StatusOK)
		p.wantAll("Subscriber erased", "No subscriber has this address.", "(reason: manual)")
		if _, err := d.store.SubscriberByEmailIndex(ctx, index); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("after erasure the subscriber is still there: %v", err)
		}
		audited(admin.AuditSubscriberErased, index)
		change("erase-subscriber", "reader@example.net", url.Values{"confirm": {"yes"}}).wantCode(http.StatusConflict)

		p = change("erase-donor", "giver@example.org", url.Values{"confirm": {"yes"}})
		p.wantCode(http.StatusOK)
		p.wantAll("Donor erased", "No donor has this address.")
		if _, err := d.donations.DonorByEmail(ctx, "giver@example.org"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("after erasure the donor is still there: %v", err)
		}
		if gift, err := d.store.DonationByProviderRef(ctx, "pi_1"); err != nil || gift.DonorID != "" || gift.Amount != 2500 {
			t.Errorf("after erasure the gift is %+v, %v; want it kept, anonymous", gift, err)
		}
		audited(admin.AuditDonorErased, d.donations.DonorIndex("giver@example.org"))

		change("erase-donor", "monthly@example.org", url.Values{"confirm": {"yes"}}).wantAll("Donor erased")
		if !slices.ContainsFunc(d.stripe.Requests(), func(r donatetest.Request) bool {
			return r.Method == http.MethodDelete && r.Path == "/v1/subscriptions/sub_m"
		}) {
			t.Errorf("the live recurring donation was not canceled at Stripe before erasure")
		}
		change("erase-donor", "monthly@example.org", url.Values{"confirm": {"yes"}}).wantCode(http.StatusConflict)
	})
}

// TestReadersExport (requirements S5, S7): exporting needs a fresh
// step-up, then downloads every subscriber or donor as CSV, streamed,
// never cached, with cells a spreadsheet would run as formulas defused;
// the audit log has each export and how many rows it sent.
func TestReadersExport(t *testing.T) {
	t.Parallel()
	eachReadersDesk(t, func(t *testing.T, d readersDesk) {
		b, u, stepUp := d.signedInAdmin(t)
		d.clock.Advance(accounts.StepUpWindow + time.Minute)
		if page := b.get("/admin/readers").Body.String(); !strings.Contains(page, "Exporting asks you to confirm it is you first") {
			t.Errorf("the Readers screen does not say that exporting needs a step-up:\n%s", page)
		}
		for _, what := range []string{"subscribers", "donors"} {
			b.get("/admin/readers")
			wantRedirect(t, b.post("/admin/readers/export/"+what, nil), "/admin/step-up?next=/admin/readers")
		}
		if n := len(d.auditEntries(t, admin.AuditSubscribersExportStarted)) + len(d.auditEntries(t, admin.AuditDonorsExportStarted)); n != 0 {
			t.Errorf("%d exports recorded without a step-up", n)
		}
		if to := stepUp("/admin/readers"); to != "/admin/readers" {
			t.Errorf("after the step-up the desk goes to %q", to)
		}

		export := func(what string) [][]string {
			t.Helper()
			b.get("/admin/readers")
			w := b.post("/admin/readers/export/"+what, nil)
			wantStatus(t, w, http.StatusOK)
			h := w.Header()
			if h.Get("Content-Type") != "text/csv; charset=utf-8" || h.Get("Cache-Control") != "no-store" ||
				!strings.HasPrefix(h.Get("Content-Disposition"), `attachment; filename="`+what+"-") {
				t.Errorf("export headers: %v", h)
			}
			records, err := csv.NewReader(w.Body).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			slices.SortFunc(records[1:], func(a, b []string) int { return strings.Compare(a[0], b[0]) })
			return records
		}
		at := t0.Format(time.RFC3339)
		wantSubscribers := [][]string{
			{"email", "status", "newsletters", "created_at", "confirmed_at", "consent_given_at", "privacy_policy_version", "bounce_count"},
			{"'-2@example.net", "active", "breaking", at, "", at, "2025-01", "0"},
			{"'=1+1@example.net", "active", "weekly", at, "", at, "2025-01", "0"},
			{"bounced@example.net", "bounced", "weekly", at, "", at, "2025-01", "1"},
			{"pending@example.net", "pending", "breaking", at, "", at, "2025-01", "0"},
			{"reader@example.net", "active", "breaking weekly", at, "", at, "2025-01", "0"},
		}
		if diff := cmp.Diff(wantSubscribers, export("subscribers")); diff != "" {
			t.Errorf("subscribers CSV (-want +got):\n%s", diff)
		}
		wantDonors := [][]string{
			{"email", "donor_since", "given", "payments", "recurring_status", "recurring"},
			{"giver@example.org", at, "25.00 EUR; 10.00 USD", "2", "", ""},
			{"monthly@example.org", at, "5.00 EUR", "1", "active", "monthly 5.00 EUR (active)"},
			{"reader@example.net", at, "3.00 EUR", "1", "", ""},
		}
		if diff := cmp.Diff(wantDonors, export("donors")); diff != "" {
			t.Errorf("donors CSV (-want +got):\n%s", diff)
		}

		for _, e := range []struct {
			started, done, detail string
		}{
			{admin.AuditSubscribersExportStarted, admin.AuditSubscribersExported, `{"complete":true,"rows":5}`},
			{admin.AuditDonorsExportStarted, admin.AuditDonorsExported, `{"complete":true,"rows":3}`},
		} {
			started, done := d.auditEntries(t, e.started), d.auditEntries(t, e.done)
			if len(started) != 1 || len(done) != 1 || started[0].Actor != u.ID || done[0].Actor != u.ID ||
				done[0].Seq < started[0].Seq || done[0].Detail != e.detail {
				t.Errorf("audit of the export: started %+v, done %+v; want one each by the admin, done with %s", started, done, e.detail)
			}
		}
	})
}

// stringsPage is a response the tests look for text in.
type stringsPage struct {
	t    *testing.T
	code int
	body string
}

func (p *stringsPage) wantCode(code int) {
	p.t.Helper()
	if p.code != code {
		p.t.Errorf("status %d, want %d:\n%s", p.code, code, p.body)
	}
}

func (p *stringsPage) wantAll(texts ...string) {
	p.t.Helper()
	for _, s := range texts {
		if !strings.Contains(p.body, s) {
			p.t.Errorf("the page lacks %q:\n%s", s, p.body)
		}
	}
}

func (p *stringsPage) wantNone(texts ...string) {
	p.t.Helper()
	for _, s := range texts {
		if strings.Contains(p.body, s) {
			p.t.Errorf("the page shows %q:\n%s", s, p.body)
		}
	}
}
