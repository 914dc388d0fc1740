package support_test

import (
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/donate"
	"github.com/tamizdat/tamizdat/internal/donate/donatetest"
	"github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/mail/mailtest"
)

func TestManagePages(t *testing.T) {
	t.Parallel()
	smtp := mailtest.Start(t)
	sender, err := mail.NewSMTP(smtp.SMTPConfig())
	if err != nil {
		t.Fatal(err)
	}
	p := newPagesWith(t, donate.Options{Mail: sender, From: "news@outlet.example"})
	payload := donatetest.Event("evt_mp", "checkout.session.completed", time.Now(), donatetest.SubscriptionSession("cs_mp", "sub_mp", "cus_mp", "giver@example.org", 700, "usd", "monthly"))
	if err := p.donate.Receive(t.Context(), payload, donatetest.Sign(donatetest.WebhookSecret, payload, time.Now())); err != nil {
		t.Fatal(err)
	}

	if w := p.get("http://news.example/support/manage"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `action="../support/manage"`) {
		t.Fatalf("the request form: %d\n%s", w.Code, w.Body.String())
	}
	w := p.post("http://news.example/support/manage", url.Values{"email": {"not an address"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="email-error"><strong>That does not look like an email address`) {
		t.Errorf("a bad address: %d\n%s", w.Code, w.Body.String())
	}
	// The answer is the same for a donor and for anyone else.
	answers := map[string]string{}
	for _, addr := range []string{"giver@example.org", "nobody@example.org"} {
		w := p.post("http://news.example/support/manage", url.Values{"email": {addr}})
		answers[addr] = strings.ReplaceAll(w.Body.String(), addr, "ADDRESS")
		if w.Code != http.StatusOK {
			t.Errorf("asking for a link for %s: %d", addr, w.Code)
		}
	}
	if answers["giver@example.org"] != answers["nobody@example.org"] {
		t.Error("the page tells a donor's address from another")
	}
	msgs := smtp.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages sent, want one (to the donor)", len(msgs))
	}
	text, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(string(msgs[0].Data))))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(https?://[^/\s]+)/support/manage\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(string(text))
	if m == nil || m[1] != "https://news.example" {
		t.Fatalf("no link to this site in:\n%s", msgs[0].Data)
	}
	token := m[2]

	page := p.get("http://news.example/support/manage?token=" + token)
	body := page.Body.String()
	if page.Code != http.StatusOK || !strings.Contains(body, "Monthly donation of $7") || !strings.Contains(body, `name="token" value="`+token+`"`) || page.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("the managed donation: %d\n%s", page.Code, body)
	}
	id := regexp.MustCompile(`name="id" value="([^"]+)"`).FindStringSubmatch(body)[1]
	w = p.post("http://news.example/support/manage/amount", url.Values{"token": {token}, "id": {id}, "custom_amount": {"0.5"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="amount-`+id+`-error"><strong>The smallest donation is $2.`) || !strings.Contains(w.Body.String(), `value="0.5"`) {
		t.Errorf("a bad new amount: %d\n%s", w.Code, w.Body.String())
	}
	w = p.post("http://news.example/support/manage/amount", url.Values{"token": {token}, "id": {id}, "custom_amount": {"12"}})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "new amount") {
		t.Errorf("changing the amount: %d\n%s", w.Code, w.Body.String())
	}
	w = p.post("http://news.example/support/manage/cancel", url.Values{"token": {token}, "id": {id}})
	if w.Code != http.StatusGone || !strings.Contains(w.Body.String(), "used already") {
		t.Errorf("a second use of the link: %d\n%s", w.Code, w.Body.String())
	}
	if w := p.get("http://news.example/support/manage?token=made-up"); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "not one we sent") {
		t.Errorf("a made-up link: %d\n%s", w.Code, w.Body.String())
	}
	for _, r := range p.stripe.Requests() {
		if r.Method == "DELETE" {
			t.Errorf("the used link canceled the donation: %+v", r)
		}
	}
}
