package admin_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/accounts/passkeytest"
	"github.com/tamizdat/tamizdat/internal/apikeys"
	"github.com/tamizdat/tamizdat/internal/assets"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/blob"
	"github.com/tamizdat/tamizdat/internal/donate"
	"github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/mail/mailtest"
	"github.com/tamizdat/tamizdat/internal/media"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
	"github.com/tamizdat/tamizdat/internal/vault"
	"github.com/tamizdat/tamizdat/internal/web/admin"
	"github.com/tamizdat/tamizdat/internal/web/site"
)

const (
	adminURL     = "http://localhost:8080"
	adminHost    = "localhost:8080"
	siteURL      = "https://news.example"
	goodPassword = "correct horse battery staple"
)

var t0 = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

// desk is the admin over a fresh store, with a test clock and a log the
// test can read.
type desk struct {
	admin *admin.Admin
	svc   *accounts.Service
	store *store.Store
	clock *storetest.Clock
	logs  *syncBuffer
	// media takes the desk's uploads into blobs.
	media *media.Service
	blobs *blob.Memory
	// site is the public site the editor previews with; editor is the
	// editorial service behind both.
	site   *site.Site
	editor *publishing.Service
	// mail receives the newsletter's test sends; tokens sign their links.
	mail   *mailtest.Server
	tokens *newsletter.Tokens
	// dns is the zone of the sending domain, news.example, as the
	// newsletter's DNS pre-flight sees it: everything but DMARC at first.
	dns *mailtest.DNS
	// donations keeps the donors the Readers screens show, sealed with
	// newsKey as the subscribers are.
	donations *donate.Service
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// eachDesk runs fn on both engines, in parallel.
func eachDesk(t *testing.T, fn func(t *testing.T, d *desk)) {
	t.Helper()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		clock := storetest.NewClock(t0)
		st := storetest.NewEngine(t, engine, store.Options{Now: clock.Now})
		fn(t, newDesk(t, st, clock))
	})
}

// newDesk builds the desk over st; with a nil st, over a new SQLite
// store.
func newDesk(t *testing.T, st *store.Store, clock *storetest.Clock) *desk {
	t.Helper()
	return newDeskMailing(t, st, clock, nil)
}

// newDeskMailing is newDesk whose account emails go through sender (to
// the log when nil).
func newDeskMailing(t *testing.T, st *store.Store, clock *storetest.Clock, sender mail.Sender) *desk {
	t.Helper()
	return newDeskPaying(t, st, clock, sender, nil)
}

// newDeskPaying is newDeskMailing whose donations service takes payment
// events from, and cancels recurring donations through, payments (none
// when nil).
func newDeskPaying(t *testing.T, st *store.Store, clock *storetest.Clock, sender mail.Sender, payments donate.Payments) *desk {
	t.Helper()
	if st == nil {
		clock = storetest.NewClock(t0)
		st = storetest.NewEngine(t, "sqlite", store.Options{Now: clock.Now})
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	auditLog := audit.New(st)
	key := make([]byte, vault.KeySize)
	rand.Read(key)
	sealer, err := vault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := accounts.New(accounts.Options{Store: st, Audit: auditLog, AdminURL: adminURL, Now: clock.Now, Vault: sealer,
		Mail: sender, MailFrom: "Desk <desk@news.example>", Log: log})
	if err != nil {
		t.Fatal(err)
	}
	set, err := assets.Load()
	if err != nil {
		t.Fatal(err)
	}
	blobs := blob.NewMemory()
	uploads := media.New(st, blobs, media.Options{Log: log})
	public, err := site.New(site.Options{Store: st, Assets: set, Now: clock.Now, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	editor := publishing.New(publishing.Options{Store: st, Audit: auditLog, Now: clock.Now, Log: log})
	mailSrv, tokens, editions := newEditions(t, st)
	dns, domainCheck := sendingDomain(t)
	subscribers, err := newsletter.New(newsletter.Options{Store: st, Key: newsKey, Now: clock.Now, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	donations := donate.New(donate.Options{Store: st, Vault: subscribers.Vault(), Payments: payments, Now: clock.Now, Log: log})
	a, err := admin.New(admin.Options{Accounts: svc, Audit: auditLog, Store: st, Assets: set, Log: log, Media: uploads,
		Publishing: editor, Site: public, SiteURL: siteURL, Keys: apikeys.New(apikeys.Options{Store: st, Audit: auditLog, Now: clock.Now}),
		Newsletters: editions, DomainCheck: domainCheck, Subscribers: subscribers, Donations: donations})
	if err != nil {
		t.Fatal(err)
	}
	return &desk{admin: a, svc: svc, store: st, clock: clock, logs: logs, media: uploads, blobs: blobs, site: public, editor: editor,
		mail: mailSrv, tokens: tokens, dns: dns, donations: donations}
}

// browser is a cookie-keeping client of the desk.
type browser struct {
	t       *testing.T
	d       *desk
	cookies map[string]string
	last    *httptest.ResponseRecorder
}

func (d *desk) browser(t *testing.T) *browser {
	return &browser{t: t, d: d, cookies: map[string]string{}}
}

// do sends a request; header is name, value pairs.
func (b *browser) do(method, path string, form url.Values, header ...string) *httptest.ResponseRecorder {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, path, body)
	r.Host = adminHost
	r.RemoteAddr = "192.0.2.10:5555"
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	for name, value := range b.cookies {
		r.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	w := httptest.NewRecorder()
	b.d.admin.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	b.last = w
	return w
}

func (b *browser) get(path string) *httptest.ResponseRecorder { return b.do(http.MethodGet, path, nil) }

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the form token of the last page.
func (b *browser) csrf() string {
	b.t.Helper()
	m := csrfField.FindStringSubmatch(b.last.Body.String())
	if m == nil {
		b.t.Fatalf("no form token on the page:\n%s", b.last.Body.String())
	}
	return m[1]
}

// post submits form with the token from the last page.
func (b *browser) post(path string, form url.Values) *httptest.ResponseRecorder {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if !form.Has("csrf") {
		form.Set("csrf", b.csrf())
	}
	return b.do(http.MethodPost, path, form)
}

// signIn signs in with a password through the form.
func (b *browser) signIn(email, password string) *httptest.ResponseRecorder {
	b.t.Helper()
	delete(b.cookies, "tamizdat_session") // as after the session ended
	b.get("/admin/sign-in")
	return b.post("/admin/sign-in", url.Values{"email": {email}, "password": {password}})
}

// user creates an account with goodPassword.
func (d *desk) user(t *testing.T, email string, role accounts.Role) store.User {
	t.Helper()
	u, token, err := d.svc.AddUser(t.Context(), audit.System, email, "", role)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.svc.SetPasswordWithLink(t.Context(), store.TokenSetup, token, goodPassword); err != nil {
		t.Fatal(err)
	}
	return u
}

// enrolPasskey signs b in with a password and adds a passkey through the
// desk's own pages, as admin.js would.
func (b *browser) enrolPasskey(email string) *passkeytest.Authenticator {
	b.t.Helper()
	if w := b.signIn(email, goodPassword); w.Header().Get("Location") != "/admin/enrol" {
		b.t.Fatalf("sign-in of a new account went to %q, want the enrolment page", w.Header().Get("Location"))
	}
	b.get("/admin/enrol")
	token := b.csrf()
	w := b.do(http.MethodPost, "/admin/passkey/register/begin", nil, "X-CSRF-Token", token)
	if w.Code != http.StatusOK {
		b.t.Fatalf("begin registration: %d %s", w.Code, w.Body)
	}
	a := passkeytest.New(adminURL)
	cred, err := a.Create(w.Body.Bytes())
	if err != nil {
		b.t.Fatal(err)
	}
	w = b.post("/admin/passkey/register/finish", url.Values{"csrf": {token}, "name": {"Key"}, "credential": {string(cred)}})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "recovery codes") {
		b.t.Fatalf("finish registration: %d %s", w.Code, w.Body)
	}
	return a
}

// readyBrowser returns a browser signed in as a new account of role with
// a passkey.
func (d *desk) readyBrowser(t *testing.T, email string, role accounts.Role) (*browser, store.User) {
	t.Helper()
	u := d.user(t, email, role)
	b := d.browser(t)
	b.enrolPasskey(email)
	return b, u
}

func wantStatus(t *testing.T, w *httptest.ResponseRecorder, status int) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body:\n%s", w.Code, status, w.Body)
	}
}

func wantRedirect(t *testing.T, w *httptest.ResponseRecorder, to string) {
	t.Helper()
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), to) {
		t.Fatalf("got %d to %q, want a redirect to %s; body:\n%s", w.Code, w.Header().Get("Location"), to, w.Body)
	}
}

// passkeySignIn signs in with the password and then the passkey, through
// the pages.
func (b *browser) passkeySignIn(email string, a *passkeytest.Authenticator) {
	b.t.Helper()
	wantRedirect(b.t, b.signIn(email, goodPassword), "/admin/second-factor")
	b.get("/admin/second-factor")
	token := b.csrf()
	w := b.do(http.MethodPost, "/admin/passkey/assert/begin", nil, "X-CSRF-Token", token)
	wantStatus(b.t, w, http.StatusOK)
	cred, err := a.Get(w.Body.Bytes())
	if err != nil {
		b.t.Fatal(err)
	}
	wantRedirect(b.t, b.post("/admin/passkey/assert/finish", url.Values{"csrf": {token}, "credential": {string(cred)}}), "/admin/")
}

// token returns a form token for the browser: the anonymous forms'
// double-submit cookie, or the session's token from a page of the desk.
func (b *browser) token(anonymous bool) string {
	b.t.Helper()
	if anonymous {
		if v, ok := b.cookies["tamizdat_form"]; ok {
			return v
		}
		b.get("/admin/reset")
		return b.cookies["tamizdat_form"]
	}
	for _, page := range []string{"/admin/account", "/admin/second-factor", "/admin/enrol"} {
		if w := b.get(page); w.Code == http.StatusOK {
			return b.csrf()
		}
	}
	return ""
}

// postAtOnce sends two browsers' forms at the same moment, as two people
// saving together, and returns the answers in the same order.
func postAtOnce(first *browser, firstPath string, firstForm url.Values,
	second *browser, secondPath string, secondForm url.Values) (*httptest.ResponseRecorder, *httptest.ResponseRecorder) {
	var (
		wg     sync.WaitGroup
		w1, w2 *httptest.ResponseRecorder
	)
	wg.Go(func() { w1 = first.do(http.MethodPost, firstPath, firstForm) })
	wg.Go(func() { w2 = second.do(http.MethodPost, secondPath, secondForm) })
	wg.Wait()
	return w1, w2
}

// courierSettings stores the settings of a new site named The Courier,
// for the screens that change them.
func (d *desk) courierSettings(t *testing.T) {
	t.Helper()
	if err := d.store.SaveSettings(t.Context(), model.DefaultSettings("The Courier")); err != nil {
		t.Fatal(err)
	}
}

// storedSettings returns the settings as stored.
func (d *desk) storedSettings(t *testing.T) model.Settings {
	t.Helper()
	s, err := d.store.Settings(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return s
}
