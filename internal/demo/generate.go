package demo

import (
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// The shape of the generated articles, besides the model article and its
// four related articles: how many, and what share of the published ones
// were updated later or carry a lead image.
const (
	englishArticles   = 114
	draftArticles     = 2 // taken from the English ones
	scheduledArticles = 1 // taken from the English ones
	updatedPercent    = 15
	imagePercent      = 35
)

// The generator's fixed seed: content depends only on the tables and on
// the time the demo is loaded.
const randSeed1, randSeed2 = 0x7a6d, 0x2025_0316

// spec is a generated article before it is given a date.
type spec struct {
	title, summary string
	tags           []string
	family         *headline // nil for Russian articles
}

// season lists the months the article fits in, or nil for any month.
func (sp spec) season() []time.Month {
	if sp.family == nil {
		return nil
	}
	return seasons[sp.family.title]
}

// generate returns the generated articles: English and Russian, published
// over the months before now, plus drafts and one scheduled article.
func generate(now time.Time) []story {
	rng := rand.New(rand.NewPCG(randSeed1, randSeed2))
	// Drafts and the scheduled article have no date to be in season for.
	var specs, drafts, pending []spec
	for _, sp := range englishSpecs(rng) {
		switch {
		case len(drafts) < draftArticles && sp.season() == nil:
			drafts = append(drafts, sp)
		case len(pending) < scheduledArticles && sp.season() == nil:
			pending = append(pending, sp)
		default:
			specs = append(specs, sp)
		}
	}
	for _, r := range russianStories {
		specs = append(specs, spec{title: r.title, summary: r.summary, tags: r.tags})
	}
	times := publicationTimes(rng, now, len(specs))
	specs = arrange(rng, specs, times)

	var out []story
	for i, t := range times {
		st := newStory(rng, specs[i], model.StatusPublished, t)
		st.created = t.Add(-time.Duration(30+rng.IntN(300)) * time.Minute)
		if rng.IntN(100) < updatedPercent {
			if u := t.Add(time.Duration(1+rng.IntN(30)) * time.Hour); !u.After(now) {
				st.updated = u
				st.body += "\n\n**Update:** This article has been updated with additional details."
			}
		}
		out = append(out, st)
	}
	for _, sp := range drafts {
		st := newStory(rng, sp, model.StatusDraft, time.Time{})
		st.created = now.Add(-time.Duration(1+rng.IntN(240)) * time.Hour).Truncate(time.Minute)
		out = append(out, st)
	}
	// The scheduled article goes out at nine in the morning, two days on.
	next := now.In(mustZone(seedZone)).AddDate(0, 0, 2)
	at := time.Date(next.Year(), next.Month(), next.Day(), 9, 0, 0, 0, next.Location())
	for _, sp := range pending {
		st := newStory(rng, sp, model.StatusScheduled, at)
		st.created = now.Add(-26 * time.Hour).Truncate(time.Minute)
		out = append(out, st)
	}
	return out
}

// englishSpecs draws englishArticles distinct headlines from the families,
// in random order.
func englishSpecs(rng *rand.Rand) []spec {
	var all []spec
	for i := range headlines {
		h := &headlines[i]
		options := h.options
		if len(options) == 0 {
			options = []string{""}
		}
		for _, o := range options {
			all = append(all, spec{
				title:   strings.ReplaceAll(h.title, "{}", o),
				summary: strings.ReplaceAll(h.summary, "{}", o),
				tags:    tagsFor(h, o),
				family:  h,
			})
		}
	}
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	return all[:min(englishArticles, len(all))]
}

// tagsFor returns a family's tags plus the place an option names, when the
// place has a tag of its own.
func tagsFor(h *headline, option string) []string {
	tags := slices.Clone(h.tags)
	isTag := slices.ContainsFunc(tagTable, func(t model.Tag) bool { return t.Name == option })
	if isTag && !slices.Contains(tags, option) {
		tags = append(tags, option)
	}
	return tags
}

// arrange orders specs to match times: seasonal articles first take random
// slots in their season, then the others fill the remaining slots in random
// order.
func arrange(rng *rand.Rand, specs []spec, times []time.Time) []spec {
	out := make([]spec, len(times))
	taken := make([]bool, len(times))
	var rest []spec
	for _, sp := range specs {
		var fits []int
		for i, t := range times {
			if !taken[i] && slices.Contains(sp.season(), t.Month()) {
				fits = append(fits, i)
			}
		}
		if len(fits) == 0 {
			rest = append(rest, sp)
			continue
		}
		i := pick(rng, fits)
		out[i], taken[i] = sp, true
	}
	rng.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	for i := range out {
		if !taken[i] {
			out[i], rest = rest[0], rest[1:]
		}
	}
	return out
}

// publicationTimes spreads n times evenly but irregularly from seven months
// before the model article up to now, during the newsroom's working day,
// oldest first.
func publicationTimes(rng *rand.Rand, now time.Time, n int) []time.Time {
	start := seedPublishedAt().AddDate(0, -7, 0)
	step := now.Sub(start) / time.Duration(n)
	out := make([]time.Time, n)
	for i := range out {
		day := start.Add(time.Duration((float64(i) + 0.1 + 0.8*rng.Float64()) * float64(step))).In(mustZone(seedZone))
		t := time.Date(day.Year(), day.Month(), day.Day(), 7+rng.IntN(14), rng.IntN(60), 0, 0, day.Location())
		if t.After(now) {
			t = now.Add(-time.Duration(1+rng.IntN(120)) * time.Minute).Truncate(time.Minute)
		}
		out[i] = t
	}
	return out
}

func newStory(rng *rand.Rand, sp spec, status model.Status, published time.Time) story {
	st := story{
		title:     sp.title,
		summary:   sp.summary,
		tags:      sp.tags,
		status:    status,
		published: published,
	}
	if sp.family == nil {
		st.language, st.zone = "ru", seedZone
		st.authors = []string{pick(rng, russianWriters)}
		st.body = russianBody(rng)
		return st
	}
	st.language, st.zone = "en", pickZone(rng)
	st.authors = byline(rng, slices.Contains(sp.tags, "Opinion"))
	st.body = englishBody(rng)
	if rng.IntN(100) < imagePercent {
		st.image = &model.Image{
			URL:     "/media/" + pick(rng, generatedImages),
			Alt:     "An abstract colour gradient (placeholder image).",
			Caption: "Illustration for the demo site.",
			Credit:  SiteName,
			Width:   imageWidth,
			Height:  imageHeight,
		}
	}
	return st
}

// pickZone dates most articles in Moscow time and some in the cities where
// exiled newsrooms work.
func pickZone(rng *rand.Rand) string {
	switch n := rng.IntN(10); {
	case n < 7:
		return seedZone
	case n < 9:
		return "Europe/Riga"
	default:
		return "Europe/Amsterdam"
	}
}

// byline is mostly one staff writer, sometimes two, an agency for short
// news, or a pseudonym. Opinion columns are never agency copy.
func byline(rng *rand.Rand, opinion bool) []string {
	n := rng.IntN(10)
	switch {
	case n < 3 && !opinion:
		return []string{pick(rng, agencies)}
	case n < 5:
		return []string{pick(rng, pseudonyms)}
	case n < 8:
		return []string{pick(rng, staffWriters)}
	default:
		first := pick(rng, staffWriters)
		second := pick(rng, append(slices.Clone(staffWriters), pseudonyms...))
		if second == first {
			return []string{first}
		}
		return []string{first, second}
	}
}

// englishBody is a disclaimer and 2–11 more paragraphs: prose drawn from the
// sentence pool, and sometimes a quotation, a list, a link or emphasis.
func englishBody(rng *rand.Rand) string {
	n := 2 + rng.IntN(10)
	var extras []string
	if rng.IntN(10) < 3 {
		extras = append(extras, pick(rng, quotes))
	}
	if rng.IntN(4) == 0 {
		items := slices.Clone(bullets)
		rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
		extras = append(extras, bulletIntro+"\n\n- "+strings.Join(items[:3], "\n- "))
	}
	if rng.IntN(10) < 3 {
		extras = append(extras, pick(rng, linkParagraphs))
	}
	if rng.IntN(4) == 0 {
		extras = append(extras, pick(rng, emphasisParagraphs))
	}
	extras = extras[:min(len(extras), n)]
	ps := append(prose(rng, sentences, n-len(extras)), extras...)
	rng.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	return paragraphs(append([]string{generatedDisclaimer}, ps...))
}

func russianBody(rng *rand.Rand) string {
	return paragraphs(append([]string{russianDisclaimer}, prose(rng, russianSentences, 2+rng.IntN(4))...))
}

// prose returns n paragraphs of one to three sentences from pool, using
// each sentence once before repeating any.
func prose(rng *rand.Rand, pool []string, n int) []string {
	order := rng.Perm(len(pool))
	next := 0
	out := make([]string, n)
	for i := range out {
		k := 1 + rng.IntN(3)
		var b strings.Builder
		for j := range k {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(pool[order[next%len(order)]])
			next++
		}
		out[i] = b.String()
	}
	return out
}

func paragraphs(ps []string) string { return strings.Join(ps, "\n\n") }

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }
