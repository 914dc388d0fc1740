// Package corpus generates the benchmark's synthetic news site: bylines,
// tags and Markdown articles, all drawn from a seeded PCG so that the same
// options always give the same site, byte for byte, apart from dates, which
// count back from Options.Now.
package corpus

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/model"
)

// The benchmark's standard site.
const (
	DefaultArticles = 10_000
	DefaultTags     = 200
	DefaultAuthors  = 30
)

// Span is how far back publication dates reach.
const Span = 3 * 365 * 24 * time.Hour

// Body length in words: each article draws a target in [minWords, maxWords].
const minWords, maxWords = 640, 760

// Options say what to generate.
type Options struct {
	Seed     uint64
	Articles int
	Tags     int // at most len(tagPlaces)+len(tagPlaces)*len(tagTopics)+len(tagTopics)
	Authors  int // at most len(firstNames)*len(lastNames)+len(agencies)
	// Now anchors the publication dates, which fall within Span before it.
	Now time.Time
}

// Corpus is a generated site. Articles refer to bylines and tags by index,
// so that each engine can load it with the IDs its store assigns.
type Corpus struct {
	Authors  []model.Author
	Tags     []model.Tag
	Articles []Article
}

// Article is a generated article before rendering.
type Article struct {
	Slug        string // unique within the corpus
	Title       string
	Summary     string
	Markdown    string
	PublishedAt time.Time // UTC, whole minutes
	Authors     []int     // indexes into Corpus.Authors, in byline order
	Tags        []int     // indexes into Corpus.Tags, distinct
}

// Generate builds the corpus opts describe.
func Generate(opts Options) *Corpus {
	rng := rand.New(rand.NewPCG(opts.Seed, 0x7461_6d69_7a64_6174))
	g := &generator{rng: rng}
	c := &Corpus{Authors: g.authors(opts.Authors), Tags: g.tags(opts.Tags)}
	popularity := newZipf(len(c.Tags))
	seen := make(map[string]bool, opts.Articles)
	c.Articles = make([]Article, opts.Articles)
	for i := range c.Articles {
		a := &c.Articles[i]
		a.Title, a.Slug = g.headline(seen)
		a.Summary = g.sentence(12+rng.IntN(10), false)
		if rng.IntN(2) == 0 {
			a.Summary += " " + g.sentence(8+rng.IntN(8), false)
		}
		a.Markdown = g.body(minWords + rng.IntN(maxWords-minWords+1))
		// At least an hour old, so every article is published by the time the
		// server starts.
		back := time.Hour + time.Duration(rng.Int64N(int64(Span-time.Hour)))
		a.PublishedAt = opts.Now.Add(-back).UTC().Truncate(time.Minute)
		a.Authors = distinct(1+oneIn(rng, 5), func() int { return rng.IntN(len(c.Authors)) })
		a.Tags = distinct(tagsPerArticle(rng), func() int { return popularity.draw(rng) })
	}
	return c
}

// TagCounts returns how many articles carry each tag, by tag index.
func (c *Corpus) TagCounts() []int {
	counts := make([]int, len(c.Tags))
	for _, a := range c.Articles {
		for _, t := range a.Tags {
			counts[t]++
		}
	}
	return counts
}

// PopularTag returns the index of the tag most articles carry.
func (c *Corpus) PopularTag() int {
	counts := c.TagCounts()
	best := 0
	for i, n := range counts {
		if n > counts[best] {
			best = i
		}
	}
	return best
}

// Newest returns the index of the most recently published article.
func (c *Corpus) Newest() int {
	best := 0
	for i, a := range c.Articles {
		if a.PublishedAt.After(c.Articles[best].PublishedAt) {
			best = i
		}
	}
	return best
}

type generator struct {
	rng *rand.Rand
}

// authors returns n bylines: people, some of them pseudonyms, and a few
// wire agencies at the end.
func (g *generator) authors(n int) []model.Author {
	nAgencies := min(len(agencies), n/7)
	people := g.pick(n-nAgencies, len(firstNames)*len(lastNames))
	out := make([]model.Author, 0, n)
	for i, p := range people {
		name := firstNames[p/len(lastNames)] + " " + lastNames[p%len(lastNames)]
		kind := model.AuthorStaff
		if i%6 == 5 {
			kind = model.AuthorPseudonym
		}
		out = append(out, model.Author{
			Slug: content.Slug(name), Name: name, Kind: kind,
			Bio: name + " covers " + strings.ToLower(tagTopics[g.rng.IntN(len(tagTopics))]) + ".",
		})
	}
	for _, a := range agencies[:nAgencies] {
		out = append(out, model.Author{Slug: content.Slug(a), Name: a, Kind: model.AuthorAgency})
	}
	return out
}

// tags returns n distinct tags in random order; the generator makes the
// first ones the most popular.
func (g *generator) tags(n int) []model.Tag {
	var names []string
	names = append(names, tagPlaces...)
	names = append(names, tagTopics...)
	for _, p := range tagPlaces {
		for _, t := range tagTopics {
			names = append(names, p+" "+t)
		}
	}
	out := make([]model.Tag, 0, n)
	for _, i := range g.pick(n, len(names)) {
		out = append(out, model.Tag{Slug: content.Slug(names[i]), Name: names[i], Description: "News about " + names[i] + "."})
	}
	return out
}

// pick returns n distinct numbers below limit in random order.
func (g *generator) pick(n, limit int) []int {
	return g.rng.Perm(limit)[:n]
}

// headline returns a title whose slug is not in seen, and that slug.
func (g *generator) headline(seen map[string]bool) (title, slug string) {
	for {
		parts := []string{
			subjects[g.rng.IntN(len(subjects))],
			verbs[g.rng.IntN(len(verbs))],
			objects[g.rng.IntN(len(objects))],
		}
		if g.rng.IntN(10) < 7 {
			parts = append(parts, complements[g.rng.IntN(len(complements))])
		}
		title = strings.Join(parts, " ")
		if slug = content.Slug(title); !seen[slug] {
			seen[slug] = true
			return title, slug
		}
	}
}

// body returns Markdown paragraphs of about words words, with links,
// emphasis and blockquotes.
func (g *generator) body(words int) string {
	var b strings.Builder
	b.Grow(words * 8)
	for written := 0; written < words; {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		if written > 0 && g.rng.IntN(8) == 0 {
			n := 10 + g.rng.IntN(12)
			b.WriteString("> \u201c")
			b.WriteString(strings.TrimSuffix(g.sentence(n, true), "."))
			b.WriteString(",\u201d said ")
			b.WriteString(g.name())
			b.WriteString(".")
			written += n + 3
			continue
		}
		for j := range 3 + g.rng.IntN(4) {
			n := 8 + g.rng.IntN(13)
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(g.sentence(n, true))
			written += n
		}
	}
	return b.String()
}

// sentence returns n words ending in a full stop; with markup it may carry a
// link, emphasis or strong emphasis.
func (g *generator) sentence(n int, markup bool) string {
	words := make([]string, n)
	for i := range words {
		if g.rng.IntN(20) == 0 {
			words[i] = g.properNoun()
		} else {
			// Squaring skews the draw towards the common words at the start.
			u := g.rng.Float64()
			words[i] = vocabulary[int(u*u*float64(len(vocabulary)))]
		}
	}
	words[0] = strings.ToUpper(words[0][:1]) + words[0][1:]
	if n > 6 && g.rng.IntN(4) == 0 {
		words[2+g.rng.IntN(n-4)] += ","
	}
	if markup && n > 5 {
		switch g.rng.IntN(14) {
		case 0, 1:
			i, k := 1+g.rng.IntN(n-4), 2+g.rng.IntN(3)
			words[i] = "[" + words[i]
			words[i+k-1] += "](https://" + linkHosts[g.rng.IntN(len(linkHosts))] + "/" +
				content.Slug(words[i+k-1]) + "-" + string(rune('a'+g.rng.IntN(26))) + ")"
		case 2, 3:
			i := 1 + g.rng.IntN(n-2)
			words[i] = "*" + strings.TrimSuffix(words[i], ",") + "*"
		case 4:
			i := 1 + g.rng.IntN(n-3)
			words[i] = "**" + strings.TrimSuffix(words[i], ",")
			words[i+1] = strings.TrimSuffix(words[i+1], ",") + "**"
		}
	}
	return strings.Join(words, " ") + "."
}

func (g *generator) properNoun() string {
	if g.rng.IntN(2) == 0 {
		return tagPlaces[g.rng.IntN(len(tagPlaces))]
	}
	return lastNames[g.rng.IntN(len(lastNames))]
}

func (g *generator) name() string {
	return firstNames[g.rng.IntN(len(firstNames))] + " " + lastNames[g.rng.IntN(len(lastNames))]
}

// tagsPerArticle draws 1–5, mostly 2 or 3.
func tagsPerArticle(rng *rand.Rand) int {
	weights := [...]int{15, 30, 30, 15, 10}
	r := rng.IntN(100)
	for i, w := range weights {
		if r < w {
			return i + 1
		}
		r -= w
	}
	return len(weights)
}

// oneIn returns 1 with probability 1/n, else 0.
func oneIn(rng *rand.Rand, n int) int {
	if rng.IntN(n) == 0 {
		return 1
	}
	return 0
}

// distinct returns n distinct values of draw, in the order first drawn.
func distinct(n int, draw func() int) []int {
	out := make([]int, 0, n)
	for len(out) < n {
		if v := draw(); !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// zipf draws ranks 0…n-1 with probability proportional to 1/(rank+1), so a
// few tags are on thousands of articles and most on a handful.
type zipf struct {
	cumulative []float64
}

func newZipf(n int) zipf {
	z := zipf{cumulative: make([]float64, n)}
	sum := 0.0
	for i := range n {
		sum += 1 / float64(i+1)
		z.cumulative[i] = sum
	}
	for i := range z.cumulative {
		z.cumulative[i] /= sum
	}
	return z
}

func (z zipf) draw(rng *rand.Rand) int {
	i := sort.SearchFloat64s(z.cumulative, rng.Float64())
	return min(i, len(z.cumulative)-1)
}
