package reader_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime/multipart"
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

// TestOneClickUnsubscribe is requirement E2: a GET never unsubscribes; a
// POST of "List-Unsubscribe=One-Click" to the List-Unsubscribe address,
// without cookies, unsubscribes and answers 200 with no redirect; a replay
// answers alike.
func TestOneClickUnsubscribe(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		s := newSite(t, engine)
		ctx := t.Context()
		weekly := s.ns["weekly"].ID
		bodies := map[string]func() (string, *bytes.Buffer){
			"urlencoded": func() (string, *bytes.Buffer) {
				return "application/x-www-form-urlencoded", bytes.NewBufferString("List-Unsubscribe=One-Click")
			},
			"multipart": func() (string, *bytes.Buffer) {
				var b bytes.Buffer
				mw := multipart.NewWriter(&b)
				mw.WriteField("List-Unsubscribe", "One-Click")
				mw.Close()
				return mw.FormDataContentType(), &b
			},
		}
		for name, body := range bodies {
			t.Run(name, func(t *testing.T) {
				sub := s.subscribe(name + "@example.org")
				link := s.srv.URL + "/newsletter/unsubscribe?t=" + s.news.Tokens().UnsubscribeToken(sub.ID, weekly)

				resp, page := s.get(link)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET: %d", resp.StatusCode)
				}
				mustContain(t, page, "Unsubscribe from Weekly?", `method="post"`)
				if r, _ := s.st.ActiveRecipients(ctx, weekly, "", 100); !hasRecipient(r, sub.ID) {
					t.Fatal("a GET unsubscribed")
				}
				for round := range 2 { // the second is a replay
					contentType, b := body()
					req, _ := http.NewRequest(http.MethodPost, link, b)
					req.Header.Set("Content-Type", contentType)
					resp, page = s.do(req)
					if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" {
						t.Fatalf("POST %d: status %d, Location %q; want 200 and no redirect", round, resp.StatusCode, resp.Header.Get("Location"))
					}
					mustContain(t, page, "You are unsubscribed")
				}
				if r, _ := s.st.ActiveRecipients(ctx, weekly, "", 100); hasRecipient(r, sub.ID) {
					t.Error("still a recipient after the POST")
				}
				if reason, err := s.st.Suppression(ctx, sub.EmailIndex); err != nil || reason != store.SuppressUnsubscribe {
					t.Errorf("suppression %q, %v; want unsubscribe", reason, err)
				}
			})
		}
		// Bad links say so, and change nothing.
		sub := s.subscribe("stays@example.org")
		good := s.news.Tokens().UnsubscribeToken(sub.ID, weekly)
		for name, token := range map[string]string{
			"tampered":           good[:len(good)-4] + "AAAA",
			"for a gone list":    s.news.Tokens().UnsubscribeToken(sub.ID, "no-such-newsletter"),
			"a manage link's":    s.news.Tokens().ManageToken(sub.ID, 0),
			"missing altogether": "",
		} {
			resp, page := s.post("/newsletter/unsubscribe?t="+url.QueryEscape(token), url.Values{"List-Unsubscribe": {"One-Click"}})
			if resp.StatusCode < 400 || !(strings.Contains(page, "not valid") || strings.Contains(page, "no longer exists")) {
				t.Errorf("%s token: status %d\n%s", name, resp.StatusCode, page)
			}
		}
		if r, _ := s.st.ActiveRecipients(ctx, weekly, "", 100); !hasRecipient(r, sub.ID) {
			t.Error("a bad link unsubscribed")
		}
	})
}

func hasRecipient(rs []store.Recipient, id string) bool {
	for _, r := range rs {
		if r.SubscriberID == id {
			return true
		}
	}
	return false
}

func TestManagePages(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		s := newSite(t, engine)
		sub := s.subscribe("me@example.org")
		token := s.news.Tokens().ManageToken(sub.ID, sub.TokenVersion)

		resp, page := s.get("/newsletter/manage?t=" + token)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("manage page: %d\n%s", resp.StatusCode, page)
		}
		mustContain(t, page, "me@example.org", `value="weekly" checked`, "Download your data", `action="../newsletter/delete"`)

		resp, page = s.post("/newsletter/manage", url.Values{"t": {token}, "action": {"save"}, "newsletter": {"weekly", "breaking"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("save: %d\n%s", resp.StatusCode, page)
		}
		mustContain(t, page, "Your choices are saved", `value="breaking" checked`)

		resp, data := s.get("/newsletter/export?t=" + token)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("export: %d %v", resp.StatusCode, resp.Header)
		}
		var x newsletter.Export
		if err := json.Unmarshal([]byte(data), &x); err != nil {
			t.Fatalf("export is not JSON: %v", err)
		}
		if x.Email != "me@example.org" || len(x.Newsletters) != 2 || len(x.Consents) != 2 || x.ConfirmedAt == nil {
			t.Errorf("export:\n%s", data)
		}

		// Replacing the link kills the old one.
		resp, page = s.post("/newsletter/manage", url.Values{"t": {token}, "action": {"rotate"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("rotate: %d", resp.StatusCode)
		}
		mustContain(t, page, "no longer works")
		if resp, _ := s.get("/newsletter/manage?t=" + token); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("the old link after replacing it: %d, want 400", resp.StatusCode)
		}
		fresh := s.news.Tokens().ManageToken(sub.ID, sub.TokenVersion+1)
		mustContain(t, page, "../newsletter/manage?t="+fresh)

		resp, page = s.post("/newsletter/delete", url.Values{"t": {fresh}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("delete: %d\n%s", resp.StatusCode, page)
		}
		mustContain(t, page, "nothing about you remains")
		if _, err := s.subscriber("me@example.org"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("the subscriber is still there: %v", err)
		}
		if _, err := s.st.Suppression(t.Context(), sub.EmailIndex); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a plain delete kept a suppression: %v", err)
		}
		resp, page = s.get("/newsletter/manage?t=" + fresh)
		if resp.StatusCode != http.StatusGone {
			t.Errorf("the link after deleting: %d, want 410", resp.StatusCode)
		}
		mustContain(t, page, "no longer exists")
	})
}

func TestBouncesEndpoint(t *testing.T) {
	t.Parallel()
	s := newSite(t, "sqlite")
	sub := s.subscribe("complainer@example.org")
	post := func(secret, body string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/newsletter/bounces", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("X-Bounce-Secret", secret)
		}
		return s.do(req)
	}
	complaint := `{"email": "Complainer@example.org", "type": "complaint"}`
	tests := []struct {
		name, secret, body string
		status             int
	}{
		{"no secret", "", complaint, http.StatusUnauthorized},
		{"wrong secret", "guess", complaint, http.StatusUnauthorized},
		{"secret with a suffix", bounceSecret + "x", complaint, http.StatusUnauthorized},
		{"not JSON", bounceSecret, "email=x", http.StatusBadRequest},
		{"unknown type", bounceSecret, `{"email": "x@example.org", "type": "spam"}`, http.StatusBadRequest},
		{"no address and no Message-ID", bounceSecret, `{"type": "complaint"}`, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(tt.secret, tt.body)
			if resp.StatusCode != tt.status || !strings.Contains(body, `"error"`) {
				t.Errorf("status %d, body %s; want %d and an error", resp.StatusCode, body, tt.status)
			}
		})
	}
	if _, err := s.subscriber("complainer@example.org"); err != nil {
		t.Fatalf("a refused notice changed the subscriber: %v", err)
	}
	// A notice naming only a message nobody here sent is taken and changes
	// nothing.
	if resp, body := post(bounceSecret, `{"message_id": "<issue-x-1@elsewhere.example>", "type": "complaint"}`); resp.StatusCode != http.StatusOK {
		t.Errorf("a notice by an unknown Message-ID: status %d, %s; want 200", resp.StatusCode, body)
	}
	resp, body := post(bounceSecret, `[`+complaint+`, {"email": "gone@example.org", "type": "permanent"}]`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if _, err := s.subscriber("complainer@example.org"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("after a complaint the subscriber remains: %v", err)
	}
	if reason, _ := s.st.Suppression(t.Context(), sub.EmailIndex); reason != store.SuppressComplaint {
		t.Errorf("suppression %q, want complaint", reason)
	}
	if reason, _ := s.st.Suppression(t.Context(), s.news.Vault().Index("gone@example.org", newsletter.EmailPurpose)); reason != store.SuppressBounce {
		t.Errorf("bounced stranger: suppression %q, want bounce", reason)
	}
}

func TestManageLinkFromUnsubscribePage(t *testing.T) {
	t.Parallel()
	s := newSite(t, "sqlite")
	sub := s.subscribe("curious@example.org")
	token := s.news.Tokens().UnsubscribeToken(sub.ID, s.ns["weekly"].ID)
	_, page := s.get("/newsletter/unsubscribe?t=" + token)
	mustContain(t, page, `action="../newsletter/manage-link"`)
	s.clock.Advance(time.Hour) // past the resend limit of the signup emails
	before := len(s.mails())
	resp, page := s.post("/newsletter/manage-link", url.Values{"t": {token}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%s", resp.StatusCode, page)
	}
	mustContain(t, page, "Check your inbox")
	mails := s.mails()
	if len(mails) != before+1 {
		t.Fatalf("%d emails sent, want 1", len(mails)-before)
	}
	if resp, page := s.get(s.link(mails[len(mails)-1], "/newsletter/manage")); resp.StatusCode != http.StatusOK || !strings.Contains(page, "curious@example.org") {
		t.Errorf("the emailed link: %d", resp.StatusCode)
	}
	if r, _ := s.st.ActiveRecipients(t.Context(), s.ns["weekly"].ID, "", 10); !hasRecipient(r, sub.ID) {
		t.Error("asking for the link unsubscribed")
	}
}
