package newsletter_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/mail/mailtest"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// subscribe signs email up for slugs and confirms it, returning the
// subscriber and their manage token.
func (e *env) subscribe(email string, slugs ...string) (store.Subscriber, string) {
	e.t.Helper()
	if err := e.signup(email, "192.0.2.1", slugs...); err != nil {
		e.t.Fatal(err)
	}
	done, err := e.svc.Confirm(e.t.Context(), tokenIn(e.t, mailtest.TextOf(e.t, mailtest.LastToOf(e.t, e.mails(), email)), "newsletter/confirm"))
	if err != nil {
		e.t.Fatal(err)
	}
	sub, err := e.subscriber(email)
	if err != nil {
		e.t.Fatal(err)
	}
	return sub, done.ManageToken
}

func TestManage(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		e := newEnv(t, engine, newsletter.Limits{})
		ctx := t.Context()
		_, token := e.subscribe("me@example.org", "weekly")

		p, err := e.svc.Profile(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if p.Email != "me@example.org" || p.Status != store.SubscriberActive || len(p.Choices) != 2 ||
			!p.Choices[0].Subscribed || p.Choices[1].Subscribed || len(p.Consents) != 1 {
			t.Fatalf("Profile() = %+v", p)
		}

		e.clock.Advance(time.Hour)
		p, err = e.svc.SetChoices(ctx, token, []string{"breaking"})
		if err != nil {
			t.Fatal(err)
		}
		if p.Choices[0].Subscribed || !p.Choices[1].Subscribed || !p.Choices[1].Since.Equal(t0.Add(time.Hour)) || len(p.Consents) != 2 {
			t.Errorf("after choosing breaking only: %+v", p)
		}
		if _, err := e.svc.SetChoices(ctx, token, []string{"daily"}); !errors.Is(err, newsletter.ErrNoNewsletter) {
			t.Errorf("SetChoices(daily) = %v, want ErrNoNewsletter", err)
		}

		data, err := e.svc.ExportData(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		var x newsletter.Export
		if err := json.Unmarshal(data, &x); err != nil {
			t.Fatalf("the export is not JSON: %v\n%s", err, data)
		}
		if x.Email != "me@example.org" || x.Status != "active" || !x.SignedUpAt.Equal(t0) || x.ConfirmedAt == nil ||
			len(x.Newsletters) != 1 || x.Newsletters[0].Slug != "breaking" || len(x.Consents) != 2 ||
			x.Consents[1].PolicyVersion != "2025-03" || x.Consents[1].Text == "" {
			t.Errorf("export:\n%s", data)
		}

		// Rotating revokes the old link.
		fresh, err := e.svc.RotateManageLink(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Profile(ctx, token); !errors.Is(err, newsletter.ErrBadLink) {
			t.Errorf("the old link after rotating: %v, want ErrBadLink", err)
		}
		if _, err := e.svc.Profile(ctx, fresh); err != nil {
			t.Errorf("the new link: %v", err)
		}
		if _, err := e.svc.Profile(ctx, fresh[:len(fresh)-2]); !errors.Is(err, newsletter.ErrBadLink) {
			t.Errorf("a cut link: %v, want ErrBadLink", err)
		}

		// Choosing nothing unsubscribes from everything.
		if _, err := e.svc.SetChoices(ctx, fresh, nil); !errors.Is(err, newsletter.ErrGone) {
			t.Fatalf("SetChoices(none) = %v, want ErrGone", err)
		}
		if _, err := e.subscriber("me@example.org"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("the subscriber is still there: %v", err)
		}
		if reason, _ := e.st.Suppression(ctx, e.svc.Vault().Index("me@example.org", newsletter.EmailPurpose)); reason != store.SuppressUnsubscribe {
			t.Errorf("suppression %q, want unsubscribe", reason)
		}
	})
}

func TestUnsubscribe(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		e := newEnv(t, engine, newsletter.Limits{})
		ctx := t.Context()
		sub, _ := e.subscribe("leaver@example.org", "weekly", "breaking")
		weekly, breaking := e.ns["weekly"], e.ns["breaking"]
		token := e.svc.Tokens().UnsubscribeToken(sub.ID, weekly.ID)

		// Looking at the link changes nothing.
		if n, err := e.svc.UnsubscribeTarget(ctx, token); err != nil || n.ID != weekly.ID {
			t.Fatalf("UnsubscribeTarget() = %+v, %v", n, err)
		}
		if r, _ := e.st.ActiveRecipients(ctx, weekly.ID, "", 10); len(r) != 1 {
			t.Fatal("looking at the unsubscribe link unsubscribed")
		}
		for range 2 { // the second time is a replay, and succeeds alike
			if n, err := e.svc.Unsubscribe(ctx, token); err != nil || n.ID != weekly.ID {
				t.Fatalf("Unsubscribe() = %+v, %v", n, err)
			}
		}
		if r, _ := e.st.ActiveRecipients(ctx, weekly.ID, "", 10); len(r) != 0 {
			t.Error("still a weekly recipient")
		}
		if r, _ := e.st.ActiveRecipients(ctx, breaking.ID, "", 10); len(r) != 1 {
			t.Error("unsubscribing from weekly ended breaking")
		}
		if _, err := e.svc.Unsubscribe(ctx, e.svc.Tokens().UnsubscribeToken(sub.ID, breaking.ID)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.subscriber("leaver@example.org"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a subscriber with no newsletter left is kept: %v", err)
		}
		// The link of an address that no longer exists still answers.
		if _, err := e.svc.Unsubscribe(ctx, token); err != nil {
			t.Errorf("Unsubscribe() for a deleted subscriber = %v", err)
		}
		bad := []struct {
			name  string
			token string
			want  error
		}{
			{"tampered", tamper(token), newsletter.ErrBadLink},
			{"manage token", e.svc.Tokens().ManageToken(sub.ID, 0), newsletter.ErrBadLink},
			{"unknown newsletter", e.svc.Tokens().UnsubscribeToken(sub.ID, "gone"), newsletter.ErrNoNewsletter},
		}
		for _, tt := range bad {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := e.svc.Unsubscribe(ctx, tt.token); !errors.Is(err, tt.want) {
					t.Errorf("Unsubscribe() = %v, want %v", err, tt.want)
				}
			})
		}
	})
}

func TestHandleNotice(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		e := newEnv(t, engine, newsletter.Limits{PerClient: 100})
		ctx := t.Context()
		tests := []struct {
			name       string
			subscribed bool
			notice     string
			wantStatus string // "" when the subscriber must be gone
			wantReason string // "" when the address must not be suppressed
		}{
			{"complaint", true, newsletter.NoticeComplaint, "", store.SuppressComplaint},
			{"permanent", true, newsletter.NoticePermanent, store.SubscriberBounced, store.SuppressBounce},
			{"transient", true, newsletter.NoticeTransient, store.SubscriberActive, ""},
			{"complaint about a stranger", false, newsletter.NoticeComplaint, "", store.SuppressComplaint},
			{"bounce of a stranger", false, newsletter.NoticePermanent, "", store.SuppressBounce},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				addr := string(rune('a'+i)) + "@example.org"
				if tt.subscribed {
					e.subscribe(addr, "weekly")
				}
				if err := e.svc.HandleNotice(ctx, newsletter.Notice{Email: addr, Type: tt.notice}); err != nil {
					t.Fatal(err)
				}
				sub, err := e.subscriber(addr)
				if tt.wantStatus == "" && !errors.Is(err, model.ErrNotFound) {
					t.Errorf("subscriber %+v, %v; want none", sub, err)
				}
				if tt.wantStatus != "" && sub.Status != tt.wantStatus {
					t.Errorf("status %q, want %q", sub.Status, tt.wantStatus)
				}
				reason, err := e.st.Suppression(ctx, e.svc.Vault().Index(addr, newsletter.EmailPurpose))
				if tt.wantReason == "" && !errors.Is(err, model.ErrNotFound) || tt.wantReason != "" && reason != tt.wantReason {
					t.Errorf("suppression %q, %v; want %q", reason, err, tt.wantReason)
				}
			})
		}
		for _, n := range []newsletter.Notice{{Email: "x@example.org", Type: "spam"}, {Email: "not an address", Type: "complaint"}, {}} {
			if err := e.svc.HandleNotice(ctx, n); !errors.Is(err, newsletter.ErrBadNotice) {
				t.Errorf("HandleNotice(%+v) = %v, want ErrBadNotice", n, err)
			}
		}
	})
}

func TestRunRetention(t *testing.T) {
	t.Parallel()
	clock := storetest.NewClock(time.Now().Add(-newsletter.UnconfirmedFor - time.Hour))
	e := newEnvOn(t, storetest.NewEngine(t, "sqlite", store.Options{Now: clock.Now}), clock, newsletter.Limits{})
	if err := e.signup("stale@example.org", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	e.subscribe("kept@example.org", "weekly")
	clock.Advance(2 * time.Hour)
	if err := e.signup("fresh@example.org", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { newsletter.RunRetention(ctx, e.st, slog.New(slog.DiscardHandler)); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := e.subscriber("stale@example.org"); errors.Is(err, model.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the stale signup was not deleted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	<-done
	for _, addr := range []string{"kept@example.org", "fresh@example.org"} {
		if _, err := e.subscriber(addr); err != nil {
			t.Errorf("%s: %v", addr, err)
		}
	}
}

func TestSendManageLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", newsletter.Limits{})
	ctx := t.Context()
	sub, _ := e.subscribe("asker@example.org", "weekly")
	unsubscribe := e.svc.Tokens().UnsubscribeToken(sub.ID, e.ns["weekly"].ID)
	before := len(e.mails())
	e.clock.Advance(time.Hour) // past the resend limit of the signup emails

	if err := e.svc.SendManageLink(ctx, unsubscribe, linkRoot); err != nil {
		t.Fatal(err)
	}
	mails := e.mails()
	if len(mails) != before+1 || mails[len(mails)-1].To[0] != "asker@example.org" {
		t.Fatalf("emails %d → %d; want one more, to the subscriber", before, len(mails))
	}
	if p, err := e.svc.Profile(ctx, tokenIn(t, mailtest.TextOf(t, mails[len(mails)-1]), "newsletter/manage")); err != nil || p.Email != "asker@example.org" {
		t.Errorf("the emailed manage link: %+v, %v", p, err)
	}
	// Asking again at once sends nothing more.
	if err := e.svc.SendManageLink(ctx, unsubscribe, linkRoot); err != nil || len(e.mails()) != before+1 {
		t.Errorf("a second request within the resend limit: %v, %d emails", err, len(e.mails())-before)
	}
	if err := e.svc.SendManageLink(ctx, e.svc.Tokens().ManageToken(sub.ID, 0), linkRoot); !errors.Is(err, newsletter.ErrBadLink) {
		t.Errorf("with a manage token: %v, want ErrBadLink", err)
	}
	if err := e.svc.SendManageLink(ctx, e.svc.Tokens().UnsubscribeToken("gone", e.ns["weekly"].ID), linkRoot); err != nil {
		t.Errorf("for a subscriber who is gone: %v, want nil", err)
	}
}
