package reader_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func TestOptInRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		s := newSite(t, engine)
		resp, body := s.get("/newsletter")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("signup page: %d", resp.StatusCode)
		}
		mustContain(t, body, `action="./newsletter/subscribe"`, `value="weekly" checked`, `value="breaking"`, `name="consent"`)

		resp, body = s.post("/newsletter/subscribe", url.Values{
			"email": {"reader@example.org"}, "consent": {"yes"}, "newsletter": {"weekly", "breaking"}, "source": {"signup-page"},
		})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("subscribe: %d\n%s", resp.StatusCode, body)
		}
		mustContain(t, body, "Check your inbox")
		mails := s.mails()
		if len(mails) != 1 || mails[0].To[0] != "reader@example.org" {
			t.Fatalf("emails: %+v", mails)
		}
		link := s.link(mails[0], "/newsletter/confirm")

		// A link checker fetching the link confirms nothing.
		for range 2 {
			resp, body = s.get(link)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET confirm link: %d\n%s", resp.StatusCode, body)
			}
		}
		mustContain(t, body, `method="post" action="../newsletter/confirm"`, "Weekly and Breaking", `<button type="submit">Confirm</button>`, `name="robots" content="noindex`)
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control %q on a page with a token", resp.Header.Get("Cache-Control"))
		}
		if sub, _ := s.subscriber("reader@example.org"); sub.Status != store.SubscriberPending {
			t.Fatalf("fetching the link made the subscriber %s", sub.Status)
		}

		token, _ := url.Parse(link)
		resp, body = s.post("/newsletter/confirm", url.Values{"t": {token.Query().Get("t")}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST confirm: %d\n%s", resp.StatusCode, body)
		}
		mustContain(t, body, "You are subscribed", "../newsletter/manage?t=")
		sub, err := s.subscriber("reader@example.org")
		if err != nil || sub.Status != store.SubscriberActive || len(sub.Subscriptions) != 2 {
			t.Fatalf("after confirming: %+v, %v", sub, err)
		}
		consents, _ := s.st.Consents(t.Context(), sub.ID)
		if len(consents) != 1 || !strings.Contains(consents[0].Text, "newsletter signup page") {
			t.Errorf("consent records %+v; want one naming the signup page", consents)
		}
		// The link again: already confirmed, said plainly.
		_, body = s.get(link)
		mustContain(t, body, "already confirmed")
	})
}

// TestSignupAnswersAlike checks that the page after signing up is the same,
// byte for byte, whether the address is new, waiting, subscribed or
// suppressed.
func TestSignupAnswersAlike(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		s := newSite(t, engine)
		s.subscribe("active@example.org")
		s.signup("pending@example.org")
		if err := s.st.Suppress(t.Context(), s.news.Vault().Index("never@example.org", "subscriber email"), store.SuppressManual); err != nil {
			t.Fatal(err)
		}
		var first string
		for _, addr := range []string{"new@example.org", "pending@example.org", "active@example.org", "never@example.org"} {
			resp, body := s.signup(addr)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: status %d", addr, resp.StatusCode)
			}
			if first == "" {
				first = body
			} else if body != first {
				t.Errorf("the answer for %s differs from the one for a new address", addr)
			}
		}
		if _, err := s.subscriber("never@example.org"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a suppressed address was stored: %v", err)
		}
	})
}

func TestSignupBadInput(t *testing.T) {
	t.Parallel()
	s := newSite(t, "sqlite")
	tests := []struct {
		name string
		form url.Values
		want string
	}{
		{"header injection", url.Values{"email": {"a@b.c\r\nBcc: x@y.z"}, "consent": {"yes"}, "newsletter": {"weekly"}}, "line breaks"},
		{"malformed", url.Values{"email": {"reader at example.org"}, "consent": {"yes"}, "newsletter": {"weekly"}}, "needs an @"},
		{"display name", url.Values{"email": {"Eve <eve@example.org>"}, "consent": {"yes"}, "newsletter": {"weekly"}}, "not a valid domain"},
		{"Cyrillic mailbox", url.Values{"email": {"читатель@пример.рф"}, "consent": {"yes"}, "newsletter": {"weekly"}}, "Latin letters"},
		{"no consent", url.Values{"email": {"a@example.org"}, "newsletter": {"weekly"}}, "tick the box"},
		{"no newsletter", url.Values{"email": {"a@example.org"}, "consent": {"yes"}}, "choose at least one"},
		{"unknown newsletter", url.Values{"email": {"a@example.org"}, "consent": {"yes"}, "newsletter": {"daily"}}, "choose at least one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := s.post("/newsletter/subscribe", tt.form)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", resp.StatusCode)
			}
			mustContain(t, body, tt.want, `role="alert"`, `name="email"`)
		})
	}
	if n := len(s.mails()); n != 0 {
		t.Errorf("%d emails sent for bad signups", n)
	}
	if _, err := s.subscriber("a@example.org"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("a refused signup was stored: %v", err)
	}
}

func TestConfirmLinkProblems(t *testing.T) {
	t.Parallel()
	s := newSite(t, "sqlite")
	s.signup("slow@example.org")
	link, _ := url.Parse(s.link(s.mails()[0], "/newsletter/confirm"))
	token := link.Query().Get("t")
	flipped := []byte(token)
	flipped[10] ^= 'A' ^ 'B'
	if flipped[10] == token[10] {
		flipped[10] = 'C'
	}
	tests := []struct {
		name   string
		token  string
		after  time.Duration
		status int
		want   string
	}{
		{"tampered", string(flipped), 0, http.StatusBadRequest, "This link is not valid"},
		{"cut short", token[:20], 0, http.StatusBadRequest, "This link is not valid"},
		{"missing", "", 0, http.StatusBadRequest, "This link is not valid"},
		{"expired", token, 73 * time.Hour, http.StatusGone, "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.clock.Advance(tt.after)
			resp, body := s.get("/newsletter/confirm?t=" + url.QueryEscape(tt.token))
			if resp.StatusCode != tt.status {
				t.Errorf("GET: status %d, want %d", resp.StatusCode, tt.status)
			}
			mustContain(t, body, tt.want)
			resp, body = s.post("/newsletter/confirm", url.Values{"t": {tt.token}})
			if resp.StatusCode != tt.status {
				t.Errorf("POST: status %d, want %d", resp.StatusCode, tt.status)
			}
			mustContain(t, body, tt.want)
		})
	}
	if sub, _ := s.subscriber("slow@example.org"); sub.Status != store.SubscriberPending {
		t.Errorf("a refused link made the subscriber %s", sub.Status)
	}
}

func TestSignupThrottled(t *testing.T) {
	t.Parallel()
	s := newSiteWith(t, "sqlite", newsletter.Limits{PerClient: 2})
	for i, want := range []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests} {
		resp, body := s.signup(fmt.Sprintf("reader%d@example.org", i))
		if resp.StatusCode != want {
			t.Fatalf("signup %d: status %d, want %d", i, resp.StatusCode, want)
		}
		if want == http.StatusTooManyRequests {
			mustContain(t, body, "try again in ten minutes")
		}
	}
	if n := len(s.mails()); n != 2 {
		t.Errorf("%d emails sent, want 2", n)
	}
}
