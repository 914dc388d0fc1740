package donate_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/donate"
	"github.com/tamizdat/tamizdat/internal/donate/donatetest"
	"github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/mail/mailtest"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// withMail returns options that send mail to a test SMTP server.
func withMail(t *testing.T, opts donate.Options) (donate.Options, *mailtest.Server) {
	t.Helper()
	srv := mailtest.Start(t)
	sender, err := mail.NewSMTP(srv.SMTPConfig())
	if err != nil {
		t.Fatal(err)
	}
	opts.Mail, opts.From, opts.BaseURL = sender, "The Outlet <news@outlet.example>", "https://news.example"
	return opts, srv
}

func TestReceipts(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	if err := st.SaveSettings(t.Context(), model.DefaultSettings("The Outlet")); err != nil {
		t.Fatal(err)
	}
	opts, smtp := withMail(t, donate.Options{})
	f := newFixture(t, st, opts)
	now := time.Now()
	once := donatetest.Event("evt_m1", "checkout.session.completed", now, donatetest.PaidSession("cs_m", "pi_m", email, 2500, "eur"))
	f.deliver(t, once)
	f.deliver(t, donatetest.Event("evt_m2", "invoice.paid", now, donatetest.Invoice("in_m", "sub_m", "cus_m", email, 500, "eur", "monthly", true, now)))
	if n, err := f.svc.SendReceipts(t.Context()); err != nil || n != 2 {
		t.Fatalf("SendReceipts = %d, %v; want 2", n, err)
	}
	f.deliver(t, once) // a replayed event sends no second receipt
	if n, err := f.svc.SendReceipts(t.Context()); err != nil || n != 0 {
		t.Errorf("second SendReceipts = %d, %v; want 0", n, err)
	}
	msgs := smtp.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages received, want 2", len(msgs))
	}
	for i, want := range [][]string{
		{"Amount:  €25", "one-time donation", "Thank you for supporting The Outlet."},
		{"Amount:  €5", "monthly donation", "renews every month", "https://news.example/support/manage"},
	} {
		m := msgs[i]
		body := mailtest.TextOf(t, m)
		if len(m.To) != 1 || m.To[0] != strings.ToLower(email) || !strings.HasPrefix(m.MessageID, "receipt-") || !strings.HasSuffix(m.MessageID, "@outlet.example") {
			t.Errorf("receipt %d: to %v, Message-ID %q", i+1, m.To, m.MessageID)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("receipt %d lacks %q:\n%s", i+1, w, body)
			}
		}
	}
}

func TestManageLink(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		clock := storetest.NewClock(time.Now())
		st := storetest.NewEngine(t, engine, store.Options{Now: clock.Now})
		opts, smtp := withMail(t, donate.Options{Now: clock.Now, CustomerPortal: true})
		f := newFixture(t, st, opts)
		now := time.Now()
		f.deliver(t, donatetest.Event("evt_l1", "checkout.session.completed", now, donatetest.SubscriptionSession("cs_l", "sub_l", "cus_l", email, 500, "usd", "monthly")))
		appeal := model.DefaultAppeal("The Outlet")
		ctx := t.Context()

		// A link for an address that gives nothing is not sent, and the
		// answer does not say so.
		if err := f.svc.RequestLink(ctx, "stranger@example.org", "192.0.2.1:1", "https://mirror.example"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RequestLink(ctx, strings.ToUpper(email), "192.0.2.1:1", "https://mirror.example"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RequestLink(ctx, email, "192.0.2.1:1", "https://mirror.example"); err != nil {
			t.Fatal(err)
		}
		msgs := smtp.Messages()
		if len(msgs) != 1 || msgs[0].To[0] != strings.ToLower(email) {
			t.Fatalf("messages: %+v; want one link, to the donor", msgs)
		}
		link := regexp.MustCompile(`https://mirror\.example/support/manage\?token=([A-Za-z0-9_-]{43})`).FindStringSubmatch(mailtest.TextOf(t, msgs[0]))
		if link == nil {
			t.Fatalf("no link in:\n%s", mailtest.TextOf(t, msgs[0]))
		}
		token := link[1]
		m, err := f.svc.OpenLink(ctx, token)
		if err != nil || len(m.Recurring) != 1 || m.Recurring[0].ProviderID != "sub_l" || !m.Portal {
			t.Fatalf("OpenLink = %+v, %v", m, err)
		}
		id := m.Recurring[0].ID
		var ve *model.ValidationError
		if err := f.svc.ChangeAmount(ctx, token, id, "1", appeal); !errors.As(err, &ve) || !strings.Contains(ve.Fields["amount"], "$2") {
			t.Errorf("an amount below the minimum = %v", err)
		}
		if err := f.svc.Cancel(ctx, token, "someone-elses"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("cancel another's donation = %v; want ErrNotFound", err)
		}
		if err := f.svc.ChangeAmount(ctx, token, id, "15", appeal); err != nil {
			t.Fatalf("change amount: %v", err)
		}
		var update *donatetest.Request
		for _, r := range f.stripe.Requests() {
			if r.Method == "POST" && r.Path == "/v1/subscriptions/sub_l" {
				update = &r
			}
		}
		if update == nil || update.Form.Get("items[0][price_data][unit_amount]") != "1500" || update.Form.Get("proration_behavior") != "none" || !strings.HasPrefix(update.IdempotencyKey, "amount-") {
			t.Errorf("subscription update sent: %+v", update)
		}
		// Used once, the link does nothing more.
		if err := f.svc.Cancel(ctx, token, id); !errors.Is(err, donate.ErrLinkUsed) {
			t.Errorf("second use = %v; want ErrLinkUsed", err)
		}
		if _, err := f.svc.OpenLink(ctx, token); !errors.Is(err, donate.ErrLinkUsed) {
			t.Errorf("opening a used link = %v; want ErrLinkUsed", err)
		}
		if _, err := f.svc.OpenLink(ctx, "not-a-token"); !errors.Is(err, donate.ErrLinkUnknown) {
			t.Errorf("opening a made-up link = %v; want ErrLinkUnknown", err)
		}

		// A new link, after the pause between links, used for the portal;
		// a third expires unused.
		clock.Advance(6 * time.Minute)
		if err := f.svc.RequestLink(ctx, email, "192.0.2.1:1", "https://news.example"); err != nil {
			t.Fatal(err)
		}
		msgs = smtp.Messages()
		token = regexp.MustCompile(`token=([A-Za-z0-9_-]{43})`).FindStringSubmatch(mailtest.TextOf(t, msgs[len(msgs)-1]))[1]
		portal, err := f.svc.Portal(ctx, token, id, "https://news.example/support")
		if err != nil || !strings.HasPrefix(portal, "https://") {
			t.Errorf("Portal = %q, %v", portal, err)
		}
		clock.Advance(6 * time.Minute)
		if err := f.svc.RequestLink(ctx, email, "192.0.2.1:1", "https://news.example"); err != nil {
			t.Fatal(err)
		}
		msgs = smtp.Messages()
		token = regexp.MustCompile(`token=([A-Za-z0-9_-]{43})`).FindStringSubmatch(mailtest.TextOf(t, msgs[len(msgs)-1]))[1]
		clock.Advance(61 * time.Minute)
		if err := f.svc.Cancel(ctx, token, id); !errors.Is(err, donate.ErrLinkExpired) {
			t.Errorf("an expired link = %v; want ErrLinkExpired", err)
		}
		for _, r := range f.stripe.Requests() {
			if r.Method == "DELETE" {
				t.Errorf("a refused link canceled a subscription: %+v", r)
			}
		}
	})
}

func TestManageLinkLimits(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t), donate.Options{})
	if err := f.svc.RequestLink(t.Context(), email, "192.0.2.1:1", "https://news.example"); !errors.Is(err, donate.ErrMailNotConfigured) {
		t.Errorf("without mail = %v; want ErrMailNotConfigured", err)
	}
	opts, _ := withMail(t, donate.Options{})
	f = newFixture(t, storetest.New(t), opts)
	var rl *donate.RateLimitError
	for i := range 11 {
		err := f.svc.RequestLink(t.Context(), "x@example.org", "192.0.2.1:1", "https://news.example")
		if i < 10 && err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		if i == 10 && !errors.As(err, &rl) {
			t.Errorf("request 11 from one range in an hour = %v; want a rate limit", err)
		}
	}
}
