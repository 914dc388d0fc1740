package reader_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/assets"
	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/mail/mailtest"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
	"github.com/tamizdat/tamizdat/internal/web/reader"
)

var t0 = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

const bounceSecret = "s3cret-bounce-key"

// site serves the reader pages over a real store and a real SMTP server.
type site struct {
	t     *testing.T
	st    *store.Store
	news  *newsletter.Service
	smtp  *mailtest.Server
	clock *storetest.Clock
	srv   *httptest.Server
	// client keeps no cookies and follows no redirect, so a test sees
	// exactly what the server answers.
	client *http.Client
	ns     map[string]store.Newsletter
}

func newSite(t *testing.T, engine string) *site {
	t.Helper()
	return newSiteWith(t, engine, newsletter.Limits{PerClient: 1000, Global: 1000})
}

func newSiteWith(t *testing.T, engine string, limits newsletter.Limits) *site {
	t.Helper()
	clock := storetest.NewClock(t0)
	st := storetest.NewEngine(t, engine, store.Options{Now: clock.Now})
	settings := model.DefaultSettings("The Outlet")
	if err := st.SaveSettings(t.Context(), settings); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SeedNewsletters(t.Context(), newsletter.DefaultNewsletters(settings)); err != nil {
		t.Fatal(err)
	}
	smtp := mailtest.Start(t)
	sender, err := tmail.NewSMTP(smtp.SMTPConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sender.Close() })
	news, err := newsletter.New(newsletter.Options{
		Store: st, Key: bytes.Repeat([]byte{9}, 32), Mail: sender, From: "The Outlet <news@news.example>",
		PolicyVersion: "2025-03", Limits: limits, Now: clock.Now,
		Log: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(news.Wait)
	set, err := assets.Load()
	if err != nil {
		t.Fatal(err)
	}
	rd, err := reader.New(reader.Options{Store: st, Newsletters: news, Assets: set, BounceSecret: bounceSecret})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rd.Routes())
	t.Cleanup(srv.Close)
	s := &site{t: t, st: st, news: news, smtp: smtp, clock: clock, srv: srv, ns: map[string]store.Newsletter{},
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	list, err := st.ListNewsletters(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range list {
		s.ns[n.Slug] = n
	}
	return s
}

// do sends a request and returns the response with its body read.
func (s *site) do(req *http.Request) (*http.Response, string) {
	s.t.Helper()
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	if c := resp.Header.Values("Set-Cookie"); len(c) > 0 {
		s.t.Errorf("%s %s set a cookie: %v", req.Method, req.URL.Path, c)
	}
	return resp, string(body)
}

func (s *site) get(path string) (*http.Response, string) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url(path), nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.do(req)
}

func (s *site) post(path string, form url.Values) (*http.Response, string) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url(path), strings.NewReader(form.Encode()))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.do(req)
}

// url makes path (or an absolute URL) absolute on the test server.
func (s *site) url(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return s.srv.URL + path
}

// mails waits for the service's background emails and returns what the
// SMTP server has received.
func (s *site) mails() []mailtest.Received {
	s.news.Wait()
	return s.smtp.Messages()
}

// signup posts the article page's signup form.
func (s *site) signup(email string) (*http.Response, string) {
	s.t.Helper()
	return s.post("/newsletter/subscribe", url.Values{"email": {email}, "consent": {"yes"}, "newsletter": {"weekly"}})
}

// subscriber returns the subscriber with that address.
func (s *site) subscriber(email string) (store.Subscriber, error) {
	addr, err := newsletter.NormalizeAddress(email)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.st.SubscriberByEmailIndex(s.t.Context(), s.news.Vault().Index(strings.ToLower(addr), newsletter.EmailPurpose))
}

// link returns the first link to path (e.g. "/newsletter/confirm") in the
// plain-text part of m.
func (s *site) link(m mailtest.Received, path string) string {
	s.t.Helper()
	text := mailtest.TextOf(s.t, m)
	found := regexp.MustCompile(regexp.QuoteMeta(s.srv.URL+path+"?t=") + `[A-Za-z0-9_-]+`).FindString(text)
	if found == "" {
		s.t.Fatalf("no link to %s in:\n%s", path, text)
	}
	return found
}

// subscribe signs email up for weekly through the pages and confirms it,
// and returns the subscriber.
func (s *site) subscribe(email string) store.Subscriber {
	s.t.Helper()
	if resp, body := s.signup(email); resp.StatusCode != http.StatusOK {
		s.t.Fatalf("signup: %d\n%s", resp.StatusCode, body)
	}
	confirm, _ := url.Parse(s.link(mailtest.LastToOf(s.t, s.mails(), email), "/newsletter/confirm"))
	if resp, body := s.post("/newsletter/confirm", url.Values{"t": {confirm.Query().Get("t")}}); resp.StatusCode != http.StatusOK {
		s.t.Fatalf("confirm: %d\n%s", resp.StatusCode, body)
	}
	sub, err := s.subscriber(email)
	if err != nil || sub.Status != store.SubscriberActive {
		s.t.Fatalf("after confirming: %+v, %v", sub, err)
	}
	return sub
}

// mustContain fails unless body contains every one of wants.
func mustContain(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("the page lacks %q:\n%s", w, body)
		}
	}
}
