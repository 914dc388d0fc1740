// Package model holds tamizdat's domain types, their invariants and the
// error vocabulary shared by every other package. It imports only the
// standard library.
package model

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Errors every layer understands. Storage maps engine errors onto these, and
// the web layer maps these onto HTTP statuses.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// ValidationError lists what is wrong with an input, field by field, in words
// a person can act on.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+e.Fields[k])
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Status is where an article stands in the editorial workflow.
type Status string

// Article statuses. A scheduled article becomes published when its
// PublishedAt time arrives.
const (
	StatusDraft     Status = "draft"
	StatusScheduled Status = "scheduled"
	StatusPublished Status = "published"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	return s == StatusDraft || s == StatusScheduled || s == StatusPublished
}

// AuthorKind says what a byline stands for. A byline is not an account.
type AuthorKind string

// Byline kinds: a staff journalist under their own name, a pseudonym, or a
// wire agency credit such as "AFP".
const (
	AuthorStaff     AuthorKind = "staff"
	AuthorPseudonym AuthorKind = "pseudonym"
	AuthorAgency    AuthorKind = "agency"
)

// Valid reports whether k is a known byline kind.
func (k AuthorKind) Valid() bool {
	return k == AuthorStaff || k == AuthorPseudonym || k == AuthorAgency
}

// Author is a byline shown on articles.
type Author struct {
	ID   string
	Slug string
	Name string
	Kind AuthorKind
	Bio  string
}

// Tag is a topic, person or place an article is about.
type Tag struct {
	ID          string
	Slug        string
	Name        string
	Description string
}

// Image is an article's lead image with what the reader sees under it.
type Image struct {
	URL     string // site-relative path, e.g. /media/2025/03/lavrov.jpg
	Alt     string
	Caption string
	Credit  string
	Width   int
	Height  int
}

// Article is a news story.
type Article struct {
	ID       string
	Slug     string
	Title    string
	Summary  string // the dek: one or two sentences under the headline
	Body     string // Markdown, as written
	BodyHTML string // rendered and sanitized from Body
	// BodyText is the body as plain text, used for reading time,
	// related-article similarity and search.
	BodyText string
	Status   Status
	Language string // BCP 47 tag, e.g. "en", "ru"
	// TimeZone is the IANA zone the newsroom dated the article in; times are
	// stored in UTC and shown in this zone.
	TimeZone       string
	PublishedAt    time.Time // when it was (or is scheduled to be) published
	UpdatedAt      time.Time // last edit of a published version; zero if never
	CreatedAt      time.Time
	LeadImage      *Image
	ReadingMinutes int
	Authors        []Author // in byline order
	Tags           []Tag    // in the order the editor gave them
}

// PublicAt reports whether readers can see the article at now: it is
// published, and its publication time has come. Drafts, scheduled
// articles and those dated in the future do not exist for them.
func (a *Article) PublicAt(now time.Time) bool {
	return a.Status == StatusPublished && !a.PublishedAt.After(now)
}

// Location returns the article's time zone, falling back to UTC when the
// stored name is unknown to this machine.
func (a *Article) Location() *time.Location {
	return LoadLocation(a.TimeZone)
}

// languageTag is the shape of a BCP 47 language tag.
var languageTag = regexp.MustCompile(`^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,4}$`)

// ValidLanguage reports whether tag has the shape of a BCP 47 language
// tag, such as en, ru or pt-BR.
func ValidLanguage(tag string) bool { return languageTag.MatchString(tag) }

// ValidTimeZone reports whether name is an IANA time zone this machine
// knows, such as Europe/Moscow or UTC. "" and "Local" are not: they would
// mean UTC, or the server's own zone, rather than one a newsroom chose.
func ValidTimeZone(name string) bool {
	if name == "" || name == "Local" {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// LoadLocation resolves an IANA zone name, falling back to UTC.
func LoadLocation(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Page is a static page such as About or Privacy Policy.
type Page struct {
	ID        string
	Slug      string
	Title     string
	Body      string // Markdown
	BodyHTML  string
	Language  string
	UpdatedAt time.Time
}

// Frequency is how often a donation recurs.
type Frequency string

// Donation frequencies offered by the appeal.
const (
	Once    Frequency = "once"
	Monthly Frequency = "monthly"
	Annual  Frequency = "annual"
)

// Settings are the site-wide settings an editor or admin can change at run
// time. They live in the database, not in the bootstrap configuration.
type Settings struct {
	SiteName        string
	SiteDescription string
	Language        string
	TimeZone        string // default zone for new articles and archive pages
	Banner          Banner
	Newsletter      NewsletterBlock
	// OnionURL is the site's Tor onion service address, e.g.
	// http://abc….onion; empty when there is none.
	OnionURL string
	// Mirrors are the other addresses the site answers on, published in the
	// mirror list so readers and circumvention tools can find them.
	Mirrors []Mirror
}

// Mirror is another address where readers can reach the site.
type Mirror struct {
	URL     string    // base address, e.g. https://mirror.example/outlet/
	Type    string    // "mirror" (a live copy), "static" (an exported copy) or "proxy"
	AddedAt time.Time // when it was listed
}

// Banner is the site-wide support banner ("Support X! Contribute today").
type Banner struct {
	Enabled  bool
	Text     string
	LinkText string
}

// NewsletterBlock is the signup box shown on article pages.
type NewsletterBlock struct {
	Enabled     bool
	Heading     string
	Text        string
	PreviewText string // link text to the latest issue's web preview
	ConsentText string // e.g. "Subscribers agree to the"
	PolicySlug  string // static page the consent refers to
}

// Frequencies lists the frequencies in the order the appeal shows them.
func Frequencies() []Frequency { return []Frequency{Once, Monthly, Annual} }

// Validate checks settings an editor may have changed. Field names are
// those of the desk's settings and mirrors forms.
func (s *Settings) Validate() error {
	f := map[string]string{}
	if strings.TrimSpace(s.SiteName) == "" {
		f["site_name"] = "Give the site a name; it appears at the top of every page and in page titles."
	}
	if !ValidLanguage(s.Language) {
		f["language"] = fmt.Sprintf("%q is not a language code; give one such as en, ru, uk or pt-BR.", s.Language)
	}
	if !ValidTimeZone(s.TimeZone) {
		f["time_zone"] = fmt.Sprintf("%q is not a time zone this server knows; give its IANA name, such as Europe/Moscow or UTC.", s.TimeZone)
	}
	if s.Banner.Enabled {
		if strings.TrimSpace(s.Banner.Text) == "" {
			f["banner_text"] = "The banner shows a sentence, such as Support " + s.SiteName + "!; write one or turn the banner off."
		}
		if strings.TrimSpace(s.Banner.LinkText) == "" {
			f["banner_link_text"] = "The banner's link to the donation page needs words, such as Contribute today."
		}
	}
	if s.Newsletter.Enabled {
		if strings.TrimSpace(s.Newsletter.Heading) == "" {
			f["newsletter_heading"] = "The signup block needs a heading; write one or turn the block off."
		}
		if strings.TrimSpace(s.Newsletter.ConsentText) == "" {
			f["newsletter_consent_text"] = "Say what readers agree to when they sign up, such as Subscribers agree to the."
		}
		if strings.TrimSpace(s.Newsletter.PolicySlug) == "" {
			f["newsletter_policy_slug"] = "Choose the page with the privacy policy readers agree to."
		}
	}
	if s.OnionURL != "" {
		if msg := checkOnionURL(s.OnionURL); msg != "" {
			f["onion_url"] = msg
		}
	}
	seen := map[string]bool{}
	for i, m := range s.Mirrors {
		key := fmt.Sprintf("mirrors[%d]", i)
		u, err := url.Parse(m.URL)
		switch {
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
			f[key] = fmt.Sprintf("%q is not a mirror address; give an http:// or https:// URL such as https://mirror.example/news/", m.URL)
		case !MirrorTypes[m.Type]:
			f[key] = fmt.Sprintf("mirror type %q is unknown; use mirror, static or proxy", m.Type)
		case seen[strings.ToLower(u.Host+u.Path)]:
			f[key] = fmt.Sprintf("%s is listed twice", m.URL)
		}
		if err == nil {
			seen[strings.ToLower(u.Host+u.Path)] = true
		}
	}
	if len(f) > 0 {
		return &ValidationError{Fields: f}
	}
	return nil
}

// MirrorTypes are the kinds of mirror the mirror list knows.
var MirrorTypes = map[string]bool{"mirror": true, "static": true, "proxy": true}

// checkOnionURL explains what is wrong with an onion service address, or
// returns "" when it is a version 3 address (56 base32 characters).
func checkOnionURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Sprintf("%q is not an onion address; give it as http://<56 characters>.onion", raw)
	}
	name, ok := strings.CutSuffix(strings.ToLower(u.Hostname()), ".onion")
	if !ok || len(name) != 56 || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz234567") != "" {
		return fmt.Sprintf("%q is not a version 3 onion address (56 letters and digits 2-7, then .onion)", raw)
	}
	return ""
}

// DefaultSettings returns the settings of a new site, before anyone edits
// them: every reader-facing block on, with neutral wording that names the
// site.
func DefaultSettings(siteName string) Settings {
	return Settings{
		SiteName:        siteName,
		SiteDescription: "Independent news, funded by its readers.",
		Language:        "en",
		TimeZone:        "UTC",
		Banner: Banner{
			Enabled:  true,
			Text:     "Support " + siteName + "!",
			LinkText: "Contribute today",
		},
		Newsletter: NewsletterBlock{
			Enabled:     true,
			Heading:     "Sign up for our free weekly newsletter",
			Text:        "Our weekly newsletter contains a hand-picked selection of news, features, analysis and more from " + siteName + ". You will receive it in your mailbox every Friday.",
			PreviewText: "Preview",
			ConsentText: "Subscribers agree to the",
			PolicySlug:  "privacy-policy",
		},
	}
}
