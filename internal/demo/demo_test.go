package demo

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/related"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

var testNow = time.Date(2026, time.November, 29, 12, 0, 0, 0, time.UTC)

// loaded returns a fresh store with the demo loaded as of testNow.
func loaded(t *testing.T) *store.Store {
	t.Helper()
	s := storetest.New(t)
	if err := Load(t.Context(), s, testNow); err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

func allArticles(t *testing.T, s *store.Store) []*model.Article {
	t.Helper()
	list, total, err := s.ListArticles(t.Context(), store.ArticleQuery{WithBody: true})
	if err != nil {
		t.Fatalf("ListArticles: %v", err)
	}
	if total != len(list) {
		t.Fatalf("ListArticles returned %d of %d articles", len(list), total)
	}
	return list
}

func articleBySlug(t *testing.T, s *store.Store, title string) *model.Article {
	t.Helper()
	a, err := s.ArticleBySlug(t.Context(), content.Slug(title))
	if err != nil {
		t.Fatalf("article %q: %v", title, err)
	}
	return a
}

func names[T any](xs []T, name func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = name(x)
	}
	return out
}

func tagNames(a *model.Article) []string {
	return names(a.Tags, func(t model.Tag) string { return t.Name })
}

func TestSeedArticleIsWordForWord(t *testing.T) {
	s := loaded(t)
	a := articleBySlug(t, s, seedTitle)

	if want := "Top U.S., Russian Diplomats Discuss Next Steps on Ukraine"; a.Title != want {
		t.Errorf("title = %q, want %q", a.Title, want)
	}
	if len(a.Authors) != 1 || a.Authors[0].Name != "AFP" || a.Authors[0].Kind != model.AuthorAgency {
		t.Errorf("byline = %+v, want the agency AFP alone", a.Authors)
	}
	wantImage := &model.Image{
		URL:     "/media/demo/diplomats.jpg",
		Alt:     a.LeadImage.Alt,
		Caption: "Top U.S. and Russian diplomats meet in Saudi Arabia on Feb. 18.",
		Credit:  "Russian Foreign Ministry/TASS",
		Width:   1200,
		Height:  800,
	}
	if diff := cmp.Diff(wantImage, a.LeadImage); diff != "" || a.LeadImage.Alt == "" {
		t.Errorf("lead image (-want +got, alt must be set):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"U.S.", "US-Russia", "Lavrov", "Diplomacy", "Ukraine war"}, tagNames(a)); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	// Copied from the model page, independently of seedParagraphs.
	for _, p := range []string{
		"U.S. Secretary of State Marco Rubio and Russia's Foreign Minister Sergei Lavrov spoke on Saturday to discuss the next stage in talks on ending Moscow's war against Ukraine.",
		`According to State Department spokeswoman Tammy Bruce, the top diplomats "agreed to continue working toward restoring communication between the United States and Russia."`,
		"The statement gave no details on when the next round of U.S.-Russia talks, which are being hosted by Saudi Arabia, would begin.",
		"Rubio also updated Lavrov on military activity in the Middle East, where U.S. forces carried out deadly strikes Saturday against Huthi rebel targets in Yemen, the statement said.",
		"Despite recent tensions between President Donald Trump and his Ukrainian counterpart Volodymyr Zelensky, Kyiv has agreed in principle to a U.S.-brokered 30-day unconditional ceasefire if Moscow halts its attacks in eastern Ukraine.",
		"Russia's President Vladimir Putin has not however agreed to any truce, instead setting conditions that were beyond what was called for in the U.S. agreement with Ukraine.",
	} {
		if !strings.Contains(a.BodyText, p) {
			t.Errorf("body text lacks the seed paragraph %q", p)
		}
	}
	if got := a.PublishedAt.In(a.Location()).Format("2006-01-02 15:04"); a.TimeZone != "Europe/Moscow" || got != "2025-03-16 14:05" {
		t.Errorf("published %s in %q, want 2025-03-16 14:05 in Europe/Moscow", got, a.TimeZone)
	}
	if a.Status != model.StatusPublished || a.Language != "en" || a.Summary == "" {
		t.Errorf("status %q, language %q, summary %q: want published, en and a summary", a.Status, a.Language, a.Summary)
	}
}

func TestRelatedArticles(t *testing.T) {
	s := loaded(t)
	tests := []struct {
		title, summary string
		minutes        int
	}{
		{"Zelensky Offers to Resign in Exchange for Ukrainian NATO Membership",
			"The Ukrainian president made the offer as news agencies reported that U.S. and Russian diplomats would meet next week.", 2},
		{"Russia Demands U.S. Withdraw ‘Soldiers and Equipment’ From Ukraine",
			"U.S. ambassador to Moscow Lynn Tracy was summoned to the Foreign Ministry on Tuesday over American military support for Kyiv.", 1},
		{"Russia Threatens U.S. Envoy With Expulsions Over Anti-War Posts",
			"The Russian Foreign Ministry warned the new U.S. ambassador to Moscow on Tuesday that it would begin expelling her staff if the embassy continued criticizing the war.", 1},
		{"U.S. Curbs Intelligence Sharing With Ukraine – WP",
			"The distinction between intelligence-sharing and “targeting information” can help the U.S show it is not a party to the conflict.", 1},
	}
	seedDay := seedPublishedAt()
	for _, tt := range tests {
		t.Run(tt.title, func(t *testing.T) {
			a := articleBySlug(t, s, tt.title)
			if a.Title != tt.title || a.Summary != tt.summary {
				t.Errorf("got %q / %q, want %q / %q", a.Title, a.Summary, tt.title, tt.summary)
			}
			if a.ReadingMinutes != tt.minutes {
				t.Errorf("reading minutes = %d (%d words), want %d", a.ReadingMinutes, content.WordCount(a.BodyText), tt.minutes)
			}
			if !strings.HasPrefix(a.BodyText, "This is demo text") {
				t.Errorf("body does not open by saying it is demo text: %.60q", a.BodyText)
			}
			if !a.PublishedAt.Before(seedDay) || a.PublishedAt.Before(seedDay.AddDate(0, 0, -7)) {
				t.Errorf("published %s, want within the week before the seed article", a.PublishedAt)
			}
		})
	}
}

// TestSeedReadMore checks that the related-articles ranking, run over the
// whole demo, picks exactly the four articles of the seed's "Read more".
func TestSeedReadMore(t *testing.T) {
	s := loaded(t)
	var docs []related.Doc
	err := s.Corpus(t.Context(), testNow, func(e store.CorpusEntry) error {
		docs = append(docs, related.Doc{ID: e.ID, TagIDs: e.TagIDs, Text: e.Title + "\n" + e.Summary + "\n" + e.BodyText, PublishedAt: e.PublishedAt})
		return nil
	})
	if err != nil {
		t.Fatalf("Corpus: %v", err)
	}
	var want []string
	for _, r := range relatedStories() {
		want = append(want, articleBySlug(t, s, r.title).ID)
	}
	got := related.Build(docs).Related(articleBySlug(t, s, seedTitle).ID, 4)
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("related to the seed article (-want +got IDs):\n%s", diff)
	}
}

func TestContentCounts(t *testing.T) {
	s := loaded(t)
	ctx := t.Context()
	articles := allArticles(t, s)

	byStatus := map[model.Status]int{}
	russian := 0
	for _, a := range articles {
		byStatus[a.Status]++
		if a.Language == "ru" {
			russian++
			if !strings.ContainsFunc(a.Title, func(r rune) bool { return unicode.Is(unicode.Cyrillic, r) }) {
				t.Errorf("Russian article %q has no Cyrillic title", a.Title)
			}
		}
		switch {
		case a.Status == model.StatusScheduled && !a.PublishedAt.After(testNow):
			t.Errorf("scheduled article %q is due at %s, not after now", a.Title, a.PublishedAt)
		case a.Status == model.StatusPublished && a.PublishedAt.After(testNow):
			t.Errorf("published article %q is dated in the future: %s", a.Title, a.PublishedAt)
		case a.Status == model.StatusPublished && !a.UpdatedAt.IsZero() && (a.UpdatedAt.Before(a.PublishedAt) || a.UpdatedAt.After(testNow)):
			t.Errorf("article %q updated at %s, outside [%s, now]", a.Title, a.UpdatedAt, a.PublishedAt)
		}
	}
	want := map[model.Status]int{model.StatusPublished: 5 + 117, model.StatusDraft: 2, model.StatusScheduled: 1}
	if diff := cmp.Diff(want, byStatus); diff != "" {
		t.Errorf("articles by status (-want +got):\n%s", diff)
	}
	if russian != 6 {
		t.Errorf("%d Russian articles, want 6", russian)
	}
	visible, _, err := s.ListArticles(ctx, store.ArticleQuery{PublishedAsOf: testNow, Limit: 1})
	if err != nil {
		t.Fatalf("ListArticles: %v", err)
	}
	if age := testNow.Sub(visible[0].PublishedAt); age > 14*24*time.Hour {
		t.Errorf("newest article is %s old; the demo front page should look current", age)
	}

	authors, err := s.ListAuthors(ctx)
	if err != nil {
		t.Fatalf("ListAuthors: %v", err)
	}
	if len(authors) != 8 {
		t.Errorf("%d authors, want 8", len(authors))
	}
	tags, err := s.ListTags(ctx, testNow)
	if err != nil {
		t.Fatalf("ListTags: %v", err)
	}
	if len(tags) != 25 {
		t.Errorf("%d tags, want 25", len(tags))
	}
	for _, tc := range tags {
		if tc.Count == 0 {
			t.Errorf("tag %q has no published article", tc.Name)
		}
	}
}

func TestGeneratedArticlesAreWellFormed(t *testing.T) {
	s := loaded(t)
	seeded := map[string]bool{seedTitle: true}
	for _, r := range relatedStories() {
		seeded[r.title] = true
	}
	for _, a := range allArticles(t, s) {
		if seeded[a.Title] {
			continue
		}
		if n := len(a.Tags); n < 1 || n > 4 {
			t.Errorf("%q has %d tags, want 1 to 4", a.Title, n)
		}
		if n := len(a.Authors); n < 1 || n > 2 {
			t.Errorf("%q has %d authors, want 1 or 2", a.Title, n)
		}
		shared := 0
		for _, name := range tagNames(a) {
			if slices.Contains(seedTags, name) {
				shared++
			}
		}
		if shared > 1 {
			t.Errorf("%q carries %d of the seed article's tags, want at most 1: it could push out a related article", a.Title, shared)
		}
		if !strings.HasPrefix(a.Body, generatedDisclaimer) && !strings.HasPrefix(a.Body, russianDisclaimer) {
			t.Errorf("%q does not open with the demo disclaimer: %.60q", a.Title, a.Body)
		}
		if a.BodyHTML == "" || a.ReadingMinutes < 1 || a.Slug == "" {
			t.Errorf("%q is not rendered: html %d bytes, %d minutes, slug %q", a.Title, len(a.BodyHTML), a.ReadingMinutes, a.Slug)
		}
	}
}

func TestSeasonalArticlesAreInSeason(t *testing.T) {
	months := map[string][]time.Month{} // generated title → its season
	for family, season := range seasons {
		i := slices.IndexFunc(headlines, func(h headline) bool { return h.title == family })
		if i < 0 {
			t.Errorf("seasons names %q, which is no headline family", family)
			continue
		}
		for _, o := range headlines[i].options {
			months[strings.ReplaceAll(family, "{}", o)] = season
		}
	}
	checked := 0
	for _, st := range generate(testNow) {
		season, ok := months[st.title]
		if !ok || st.status == model.StatusDraft {
			continue
		}
		checked++
		if m := st.published.Month(); !slices.Contains(season, m) {
			t.Errorf("%q is dated in %s, out of its season %v", st.title, m, season)
		}
	}
	if checked == 0 {
		t.Error("no seasonal article was generated")
	}
}

func TestSettingsAndPages(t *testing.T) {
	s := loaded(t)
	ctx := t.Context()
	set, err := s.Settings(ctx)
	if err != nil {
		t.Fatalf("Settings: %v", err)
	}
	if err := set.Validate(); err != nil {
		t.Errorf("settings are invalid: %v", err)
	}
	appeals, err := s.Appeals(ctx)
	if err != nil || len(appeals) != 1 || appeals[0].Target.Kind != model.TargetAll || !appeals[0].Active {
		t.Fatalf("Appeals = %+v, %v; want one active appeal for all articles", appeals, err)
	}
	ap := appeals[0]
	for field, text := range map[string]string{"appeal": ap.Message, "newsletter": set.Newsletter.Text, "banner": set.Banner.Text} {
		if !strings.Contains(text, SiteName) || strings.Contains(text, "Moscow Times") {
			t.Errorf("%s text should name %q and not the model outlet: %q", field, SiteName, text)
		}
	}
	if !strings.Contains(ap.Message, `"undesirable"`) || !strings.Contains(set.Newsletter.Text, "every Friday") {
		t.Errorf("appeal or newsletter text does not follow the model page")
	}
	for slug, want := range map[string]string{"about": "About", "privacy-policy": "Privacy Policy"} {
		p, err := s.PageBySlug(ctx, slug)
		if err != nil {
			t.Errorf("page %q: %v", slug, err)
			continue
		}
		if p.Title != want || p.BodyHTML == "" || !strings.Contains(p.Body, "demo") {
			t.Errorf("page %q: title %q, %d bytes of HTML; want %q, rendered, marked as demo", slug, p.Title, len(p.BodyHTML), want)
		}
	}
}

func TestLoadRefusesNonEmptyStore(t *testing.T) {
	s := loaded(t)
	if err := Load(t.Context(), s, testNow); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("second Load: got %v, want ErrNotEmpty", err)
	}
}

// An operator may list mirrors and an onion address with the command line
// before the first start; loading the demo then must not drop them.
func TestLoadKeepsAddresses(t *testing.T) {
	s := storetest.New(t)
	ctx := t.Context()
	before := model.DefaultSettings("tamizdat")
	before.OnionURL = "http://" + strings.Repeat("q7", 28) + ".onion"
	before.Mirrors = []model.Mirror{{URL: "https://mirror.example/news/", Type: "static", AddedAt: testNow.Add(-time.Hour)}}
	if err := s.SaveSettings(ctx, before); err != nil {
		t.Fatal(err)
	}
	if err := Load(ctx, s, testNow); err != nil {
		t.Fatalf("Load: %v", err)
	}
	got, err := s.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := settings()
	want.Mirrors, want.OnionURL = before.Mirrors, before.OnionURL
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settings after loading the demo (-want +got):\n%s", diff)
	}
}

func TestLoadRefusesClockBeforeSeed(t *testing.T) {
	s := storetest.New(t)
	if err := Load(t.Context(), s, time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("Load with now before the seed article succeeded, want an error")
	}
}

func TestLoadIsDeterministic(t *testing.T) {
	listing := func(s *store.Store) []string {
		var out []string
		for _, a := range allArticles(t, s) {
			out = append(out, strings.Join([]string{a.Slug, a.Title, a.PublishedAt.String(), a.Body, strings.Join(tagNames(a), ",")}, "|"))
		}
		return out
	}
	first, second := listing(loaded(t)), listing(loaded(t))
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("two loads with the same now differ (-first +second):\n%s", diff)
	}
}

func TestMedia(t *testing.T) {
	media := Media()
	for name, data := range media {
		t.Run(name, func(t *testing.T) {
			if len(data) >= 60<<10 {
				t.Errorf("%d bytes, want under 60 KB", len(data))
			}
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("not a JPEG: %v", err)
			}
			if cfg.Width != imageWidth || cfg.Height != imageHeight {
				t.Errorf("%dx%d, want %dx%d", cfg.Width, cfg.Height, imageWidth, imageHeight)
			}
		})
	}
	s := loaded(t)
	for _, a := range allArticles(t, s) {
		if a.LeadImage == nil {
			continue
		}
		if _, ok := media[strings.TrimPrefix(a.LeadImage.URL, "/media/")]; !ok {
			t.Errorf("%q has lead image %s, which Media does not provide", a.Title, a.LeadImage.URL)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		s := storetest.New(b)
		b.StartTimer()
		if err := Load(ctx, s, testNow); err != nil {
			b.Fatal(err)
		}
	}
}
