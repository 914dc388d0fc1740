package api

import (
	"encoding/base64"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// Page sizes of article lists.
const (
	DefaultLimit = 15
	MaxLimit     = 100
)

var slugParam = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,199}$`)

// listParams are the query parameters every article list accepts.
type listParams struct {
	limit int
	after *store.ArticleCursor
}

// parseList reads limit and cursor; kind is the cursor kind the list
// issues (see encodeCursor).
func parseList(q url.Values, kind byte) (listParams, error) {
	p := listParams{limit: DefaultLimit}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return p, badParam("limit", "limit must be a whole number from 1 to "+strconv.Itoa(MaxLimit)+".")
		}
		p.limit = n
	}
	if v := q.Get("cursor"); v != "" {
		c, ok := decodeCursor(v, kind)
		if !ok {
			return p, badParam("cursor", "cursor is not one this list issued; pass the \"next\" value of the previous page unchanged.")
		}
		p.after = &c
	}
	return p, nil
}

// contentQuery reads the Content API's article filters into a query of
// what readers can see at now.
func contentQuery(q url.Values, now time.Time) (store.ArticlePageQuery, error) {
	aq := store.ArticlePageQuery{PublishedAsOf: now, WithBody: true}
	for _, f := range []struct {
		name string
		dest *string
	}{{"tag", &aq.TagSlug}, {"author", &aq.AuthorSlug}} {
		if v := q.Get(f.name); v != "" {
			if !slugParam.MatchString(v) {
				return aq, badParam(f.name, f.name+" must be a slug: lower-case letters, digits and hyphens, as in the "+f.name+"'s URL.")
			}
			*f.dest = v
		}
	}
	if v := q.Get("lang"); v != "" {
		if !model.ValidLanguage(v) {
			return aq, badParam("lang", "lang must be a language tag such as en, ru or pt-BR.")
		}
		aq.Language = v
	}
	var err error
	if aq.From, err = parseBound(q, "since", false); err != nil {
		return aq, err
	}
	if aq.To, err = parseBound(q, "until", true); err != nil {
		return aq, err
	}
	if !aq.From.IsZero() && !aq.To.IsZero() && !aq.From.Before(aq.To) {
		return aq, badParam("until", "until must not be before since.")
	}
	return aq, nil
}

// parseBound reads a date bound: an RFC 3339 date-time, or a full date
// (2025-03-14, a day in UTC). Both bounds are inclusive, so the upper one
// is returned as the first instant after it: a date covers its whole day.
func parseBound(q url.Values, name string, upper bool) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		if upper {
			t = t.Add(time.Microsecond) // the store keeps microseconds
		}
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		if upper {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	return time.Time{}, badParam(name, name+" must be an RFC 3339 date (2025-03-14) or date-time (2025-03-14T09:30:00Z).")
}

// Cursor kinds: a position in publication order (Content API) or in
// creation order (Admin API). A cursor of one kind is refused by lists of
// the other, whose order it does not describe.
const (
	publishedCursor byte = 'p'
	createdCursor   byte = 'c'
)

// encodeCursor makes the opaque "next" value that resumes a list after a.
func encodeCursor(kind byte, a *model.Article) string {
	at := a.PublishedAt
	if kind == createdCursor {
		at = a.CreatedAt
	}
	raw := string(kind) + strconv.FormatInt(at.UnixMicro(), 10) + "." + a.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeCursor reads a cursor of the given kind.
func decodeCursor(s string, kind byte) (store.ArticleCursor, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) < 2 || raw[0] != kind {
		return store.ArticleCursor{}, false
	}
	micros, id, ok := strings.Cut(string(raw[1:]), ".")
	if !ok || id == "" || len(id) > 64 {
		return store.ArticleCursor{}, false
	}
	n, err := strconv.ParseInt(micros, 10, 64)
	if err != nil {
		return store.ArticleCursor{}, false
	}
	return store.ArticleCursor{At: time.UnixMicro(n).UTC(), ID: id}, true
}
