package corpus

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/model"
)

var now = time.Date(2025, 3, 16, 12, 0, 0, 0, time.UTC)

func small(seed uint64) *Corpus {
	return Generate(Options{Seed: seed, Articles: 500, Tags: DefaultTags, Authors: DefaultAuthors, Now: now})
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := small(7), small(7)
	first, last := 0, len(a.Articles)-1
	t.Run("same seed, same slugs", func(t *testing.T) {
		for _, i := range []int{first, last} {
			if a.Articles[i].Slug != b.Articles[i].Slug {
				t.Errorf("article %d: slug %q, then %q", i, a.Articles[i].Slug, b.Articles[i].Slug)
			}
		}
	})
	t.Run("same seed, same tag counts", func(t *testing.T) {
		if diff := cmp.Diff(a.TagCounts(), b.TagCounts()); diff != "" {
			t.Errorf("tag counts differ (-first +second):\n%s", diff)
		}
	})
	t.Run("same seed, same corpus", func(t *testing.T) {
		if diff := cmp.Diff(a, b); diff != "" {
			t.Errorf("corpora differ (-first +second):\n%s", diff)
		}
	})
	t.Run("other seed, other corpus", func(t *testing.T) {
		c := small(8)
		if c.Articles[first].Slug == a.Articles[first].Slug && c.Articles[last].Slug == a.Articles[last].Slug {
			t.Errorf("seeds 7 and 8 gave the same first and last slugs %q, %q", c.Articles[first].Slug, c.Articles[last].Slug)
		}
	})
}

func TestGenerateShape(t *testing.T) {
	c := small(1)
	if len(c.Articles) != 500 || len(c.Tags) != DefaultTags || len(c.Authors) != DefaultAuthors {
		t.Fatalf("got %d articles, %d tags, %d authors; want 500, %d, %d",
			len(c.Articles), len(c.Tags), len(c.Authors), DefaultTags, DefaultAuthors)
	}
	t.Run("unique slugs", func(t *testing.T) {
		for what, slugs := range map[string][]string{
			"article": collect(c.Articles, func(a Article) string { return a.Slug }),
			"tag":     collect(c.Tags, func(tg model.Tag) string { return tg.Slug }),
			"author":  collect(c.Authors, func(a model.Author) string { return a.Slug }),
		} {
			seen := map[string]bool{}
			for _, s := range slugs {
				if s == "" || seen[s] {
					t.Errorf("%s slug %q is empty or repeated", what, s)
				}
				seen[s] = true
			}
		}
	})
	t.Run("tags, bylines and dates", func(t *testing.T) {
		for i, a := range c.Articles {
			if n := len(a.Tags); n < 1 || n > 5 || hasDuplicates(a.Tags) {
				t.Errorf("article %d has tags %v; want 1–5 distinct", i, a.Tags)
			}
			if n := len(a.Authors); n < 1 || n > 2 || hasDuplicates(a.Authors) {
				t.Errorf("article %d has bylines %v; want 1–2 distinct", i, a.Authors)
			}
			if !a.PublishedAt.Before(now) || a.PublishedAt.Before(now.Add(-Span)) {
				t.Errorf("article %d published %v; want within %v before %v", i, a.PublishedAt, Span, now)
			}
		}
	})
	t.Run("some tags are popular", func(t *testing.T) {
		counts := slices.Sorted(slices.Values(c.TagCounts()))
		top, median := counts[len(counts)-1], counts[len(counts)/2]
		if top < 10*max(median, 1) {
			t.Errorf("top tag on %d articles, median tag on %d; want a skew of at least 10×", top, median)
		}
		if got := c.TagCounts()[c.PopularTag()]; got != top {
			t.Errorf("PopularTag is on %d articles; the most popular is on %d", got, top)
		}
	})
	t.Run("Markdown features", func(t *testing.T) {
		all := strings.Join(collect(c.Articles, func(a Article) string { return a.Markdown }), "\n\n")
		for name, marker := range map[string]string{"paragraphs": "\n\n", "links": "](https://", "emphasis": "*", "strong": "**", "blockquotes": "\n\n> "} {
			if !strings.Contains(all, marker) {
				t.Errorf("no article has %s (%q)", name, marker)
			}
		}
	})
	t.Run("about 700 words", func(t *testing.T) {
		for i, a := range c.Articles[:20] {
			r, err := content.Render(a.Markdown)
			if err != nil {
				t.Fatal(err)
			}
			if n := content.WordCount(r.Text); n < 600 || n > 800 {
				t.Errorf("article %d has %d words; want 600–800", i, n)
			}
		}
	})
	t.Run("newest", func(t *testing.T) {
		newest := c.Articles[c.Newest()].PublishedAt
		for i, a := range c.Articles {
			if a.PublishedAt.After(newest) {
				t.Fatalf("article %d (%v) is newer than Newest (%v)", i, a.PublishedAt, newest)
			}
		}
	})
}

func collect[T any](xs []T, f func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

func hasDuplicates(xs []int) bool {
	s := slices.Sorted(slices.Values(xs))
	return len(slices.Compact(s)) != len(xs)
}
