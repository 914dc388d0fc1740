package support

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/html"
)

// "Remind me later" and a completed donation hide the appeal for a while.
// The browser keeps nothing but the date the appeal may come back: in a
// cookie that only that click (or the thank-you page) sets, or, with
// JavaScript, in localStorage. The server records nothing about who
// dismissed what.
//
// Without JavaScript the server must leave the appeal out of the page, and
// the page cache must keep that variant apart. HideAppeal does both around
// the site's cache, as site's hostKeyed does for hosts: a request with a
// valid cookie reaches the cache under a path of its own, and its page is
// rendered as usual and then has the appeal section cut out. That variant
// is marked private, and every page says Vary: Cookie, so shared caches
// neither store nor serve it to others.

// CookieName is the cookie that holds the date, YYYY-MM-DD in UTC, until
// which the appeal stays hidden.
const CookieName = "tz_appeal_hidden"

// maxHiddenDays bounds how far ahead a cookie's date may lie; a date
// further out is not one this site set, and is ignored.
const maxHiddenDays = 400

// hiddenPrefix starts the cache key of the appeal-hidden variant of a
// page. No real path lacks the leading slash, so it collides with none.
const hiddenPrefix = "appeal-hidden:"

type originalURLKey struct{}

// HideAppeal wraps the site's page cache: pages requested with a valid
// appeal-hidden cookie are served, and cached, without the appeal. now is
// the clock that decides whether a cookie's date has passed.
func HideAppeal(cache func(http.Handler) http.Handler, now func() time.Time) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		cached := cache(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			orig, ok := r.Context().Value(originalURLKey{}).(*url.URL)
			if !ok {
				next.ServeHTTP(w, r)
				return
			}
			r = r.WithContext(r.Context()) // a copy, to give back its URL
			r.URL = orig
			rec := &recorder{header: http.Header{}}
			next.ServeHTTP(rec, r)
			body := rec.body.Bytes()
			if rec.status == http.StatusOK && strings.HasPrefix(rec.header.Get("Content-Type"), "text/html") {
				body = cutAppeal(body)
			}
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.status)
			w.Write(body)
		}))
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hidden := AppealHidden(r, now())
			w = &varyWriter{ResponseWriter: w, private: hidden}
			if hidden {
				u := *r.URL
				u.Path, u.RawPath = hiddenPrefix+r.URL.Path, ""
				r = r.WithContext(context.WithValue(r.Context(), originalURLKey{}, r.URL))
				r.URL = &u
			}
			cached.ServeHTTP(w, r)
		})
	}
}

// AppealHidden reports whether r carries a cookie that hides the appeal
// at now.
func AppealHidden(r *http.Request, now time.Time) bool {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return false
	}
	until, err := time.Parse(time.DateOnly, c.Value)
	if err != nil {
		return false
	}
	today := now.UTC().Truncate(24 * time.Hour)
	return !until.Before(today) && !until.After(today.AddDate(0, 0, maxHiddenDays))
}

// hideCookie is the cookie that hides the appeal for days from now.
func hideCookie(r *http.Request, now time.Time, days int) *http.Cookie {
	return &http.Cookie{
		Name:  CookieName,
		Value: now.UTC().AddDate(0, 0, days).Format(time.DateOnly),
		Path:  "/",
		// The cookie outlives the date by up to a day; AppealHidden
		// compares dates, so the page shows the appeal again on the day.
		MaxAge:   (days + 1) * 24 * 3600,
		SameSite: http.SameSiteLaxMode,
		// Only the server reads it; support.js keeps its own copy of the
		// date in localStorage.
		HttpOnly: true,
		// Onion services run over plain HTTP and still need it.
		Secure: r.TLS != nil,
	}
}

// cutAppeal removes every <section> whose class list has "appeal", with
// all it contains, from an HTML page, and leaves every other byte as it
// was.
func cutAppeal(page []byte) []byte {
	z := html.NewTokenizer(bytes.NewReader(page))
	var out bytes.Buffer
	out.Grow(len(page))
	depth := 0 // sections open inside the appeal being cut
	pos := 0   // where the current token starts in page
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out.Bytes()
		}
		// The tokenizer lower-cases names in its buffer, so the token's
		// bytes are taken from page, by length.
		raw := page[pos : pos+len(z.Raw())]
		pos += len(raw)
		name, hasAttr := z.TagName()
		isSection := string(name) == "section"
		switch {
		case depth > 0 && isSection && tt == html.StartTagToken:
			depth++
		case depth > 0 && isSection && tt == html.EndTagToken:
			depth--
		case depth > 0:
		case isSection && tt == html.StartTagToken && hasAttr && hasClass(z, "appeal"):
			depth = 1
		default:
			out.Write(raw)
		}
	}
}

// hasClass reports whether the tag the tokenizer is on has class c. It
// consumes the tag's attributes.
func hasClass(z *html.Tokenizer, c string) bool {
	for {
		key, val, more := z.TagAttr()
		if string(key) == "class" && slices.Contains(strings.Fields(string(val)), c) {
			return true
		}
		if !more {
			return false
		}
	}
}

// varyWriter tells shared caches that pages differ by cookie, and keeps
// the appeal-hidden variant out of them.
type varyWriter struct {
	http.ResponseWriter
	private bool
	wrote   bool
}

func (v *varyWriter) WriteHeader(code int) {
	if !v.wrote {
		v.wrote = true
		h := v.Header()
		if vary := h.Get("Vary"); vary == "" {
			h.Set("Vary", "Cookie")
		} else if !strings.Contains(vary, "Cookie") {
			h.Set("Vary", vary+", Cookie")
		}
		if cc := h.Get("Cache-Control"); v.private && strings.HasPrefix(cc, "public") {
			h.Set("Cache-Control", "private"+strings.TrimPrefix(cc, "public"))
		}
	}
	v.ResponseWriter.WriteHeader(code)
}

func (v *varyWriter) Write(b []byte) (int, error) {
	if !v.wrote {
		v.WriteHeader(http.StatusOK)
	}
	return v.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (v *varyWriter) Unwrap() http.ResponseWriter { return v.ResponseWriter }

// recorder captures a response in memory.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
