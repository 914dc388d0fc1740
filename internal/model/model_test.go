package model

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSettingsValidate(t *testing.T) {
	onion := "http://" + strings.Repeat("a2", 28) + ".onion"
	tests := []struct {
		name   string
		change func(*Settings)
		field  string // "" when valid
	}{
		{"defaults", func(*Settings) {}, ""},
		{"no name", func(s *Settings) { s.SiteName = "  " }, "site_name"},
		{"regional language", func(s *Settings) { s.Language = "pt-BR" }, ""},
		{"no language", func(s *Settings) { s.Language = "" }, "language"},
		{"language name", func(s *Settings) { s.Language = "Russian language" }, "language"},
		{"zone", func(s *Settings) { s.TimeZone = "Asia/Tbilisi" }, ""},
		{"unknown zone", func(s *Settings) { s.TimeZone = "Mars/Olympus" }, "time_zone"},
		{"no zone", func(s *Settings) { s.TimeZone = "" }, "time_zone"},
		{"server's zone", func(s *Settings) { s.TimeZone = "Local" }, "time_zone"},
		{"banner without text", func(s *Settings) { s.Banner.Text = " " }, "banner_text"},
		{"banner without link", func(s *Settings) { s.Banner.LinkText = "" }, "banner_link_text"},
		{"banner off, empty", func(s *Settings) { s.Banner = Banner{} }, ""},
		{"signup without heading", func(s *Settings) { s.Newsletter.Heading = "" }, "newsletter_heading"},
		{"signup without consent", func(s *Settings) { s.Newsletter.ConsentText = "" }, "newsletter_consent_text"},
		{"signup without policy", func(s *Settings) { s.Newsletter.PolicySlug = "" }, "newsletter_policy_slug"},
		{"signup off, empty", func(s *Settings) { s.Newsletter = NewsletterBlock{} }, ""},
		{"onion v3", func(s *Settings) { s.OnionURL = onion }, ""},
		{"onion too short", func(s *Settings) { s.OnionURL = "http://abc.onion" }, "onion_url"},
		{"onion not onion", func(s *Settings) { s.OnionURL = "http://" + strings.Repeat("a", 56) + ".com" }, "onion_url"},
		{"onion bad letters", func(s *Settings) { s.OnionURL = "http://" + strings.Repeat("a1", 28) + ".onion" }, "onion_url"},
		{"mirror ok", func(s *Settings) { s.Mirrors = []Mirror{{URL: "https://m.example/news/", Type: "static"}} }, ""},
		{"mirror not a URL", func(s *Settings) { s.Mirrors = []Mirror{{URL: "m.example", Type: "mirror"}} }, "mirrors[0]"},
		{"mirror ftp", func(s *Settings) { s.Mirrors = []Mirror{{URL: "ftp://m.example/", Type: "mirror"}} }, "mirrors[0]"},
		{"mirror bad type", func(s *Settings) { s.Mirrors = []Mirror{{URL: "https://m.example/", Type: "cdn"}} }, "mirrors[0]"},
		{"mirror twice", func(s *Settings) {
			s.Mirrors = []Mirror{{URL: "https://m.example/a/", Type: "mirror"}, {URL: "https://M.example/a/", Type: "mirror"}}
		}, "mirrors[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultSettings("Test News")
			tt.change(&s)
			err := s.Validate()
			wantInvalid(t, err, tt.field)
		})
	}
}

// wantInvalid fails the test unless err is nil when field is "", or a
// *ValidationError naming field.
func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var ve *ValidationError
	switch {
	case field == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case field != "" && !errors.As(err, &ve):
		t.Fatalf("error %v, want a ValidationError on %s", err, field)
	case field != "" && ve.Fields[field] == "":
		t.Fatalf("error %v does not name %s", err, field)
	}
}

func TestArticlePublicAt(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		status Status
		at     time.Time
		want   bool
	}{
		{StatusPublished, now.Add(-time.Hour), true},
		{StatusPublished, now, true},
		{StatusPublished, now.Add(time.Second), false}, // dated in the future
		{StatusScheduled, now.Add(-time.Hour), false},  // PublishDue has not run yet
		{StatusDraft, now.Add(-time.Hour), false},
	} {
		a := Article{Status: tc.status, PublishedAt: tc.at}
		if got := a.PublicAt(now); got != tc.want {
			t.Errorf("%s at %v: PublicAt = %v, want %v", tc.status, tc.at, got, tc.want)
		}
	}
}
