package related

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// syntheticDocs makes a deterministic corpus shaped like a newsroom's:
// words drawn from a Zipf distribution (so a few words are everywhere and
// most are rare), each article leaning on one of many topics that bring
// their own words and tags, half of it in Cyrillic.
func syntheticDocs(count, words int) []Doc {
	return slices.AppendSeq(make([]Doc, 0, count), syntheticStream(count, words))
}

// syntheticStream yields the documents of syntheticDocs, making each one
// only when it is asked for, as rows come from a database.
func syntheticStream(count, words int) iter.Seq[Doc] {
	return func(yield func(Doc) bool) {
		r := rand.New(rand.NewPCG(42, uint64(count)))
		latin := syntheticVocabulary(r, 15000, strings.Fields("ka lo mi ne ru sa to vi zo pe da gu bre sta ink ol ar en"))
		cyrillic := syntheticVocabulary(r, 15000, strings.Fields("ка ло ми не ру са то ви зо пе да гу бре ста инк ол ар ен"))
		general := rand.NewZipf(r, 1.1, 2, uint64(len(latin)-1))
		commonTags := rand.NewZipf(r, 1.3, 1, 299)

		type topic struct {
			words []int
			tags  []string
		}
		topics := make([]topic, 400)
		for i := range topics {
			for range 40 {
				topics[i].words = append(topics[i].words, r.IntN(len(latin)))
			}
			topics[i].tags = []string{fmt.Sprintf("topic-%d", i), fmt.Sprintf("person-%d", r.IntN(2000))}
		}

		var text strings.Builder
		for i := range count {
			vocab := latin
			if i%2 == 1 {
				vocab = cyrillic
			}
			tp := topics[r.IntN(len(topics))]
			text.Reset()
			for w := range words {
				if w > 0 {
					text.WriteByte(' ')
				}
				if r.IntN(10) < 3 {
					text.WriteString(vocab[tp.words[r.IntN(len(tp.words))]])
				} else {
					text.WriteString(vocab[general.Uint64()])
				}
			}
			tags := append([]string{}, tp.tags[:1+r.IntN(len(tp.tags))]...)
			for range 1 + r.IntN(3) {
				tags = append(tags, fmt.Sprintf("tag-%d", commonTags.Uint64()))
			}
			d := Doc{
				ID:          fmt.Sprintf("%08x", r.Uint32()),
				TagIDs:      tags,
				Text:        text.String(),
				PublishedAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(int64(5 * 365 * 24 * time.Hour)))),
			}
			if !yield(d) {
				return
			}
		}
	}
}

func syntheticVocabulary(r *rand.Rand, n int, syllables []string) []string {
	vocab := make([]string, n)
	for i := range vocab {
		var b strings.Builder
		for range 2 + r.IntN(3) {
			b.WriteString(syllables[r.IntN(len(syllables))])
		}
		vocab[i] = b.String()
	}
	return vocab
}

var corpus10k = sync.OnceValue(func() []Doc { return syntheticDocs(10000, 700) })

func BenchmarkBuild10k(b *testing.B) {
	docs := corpus10k()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Build(docs)
	}
	b.StopTimer()
	// What an index keeps once built, beyond the documents themselves.
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ix := Build(docs)
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB-retained")
	runtime.KeepAlive(ix)
}

func BenchmarkRelated10k(b *testing.B) {
	docs := corpus10k()
	ix := Build(docs)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		ix.Related(docs[i%len(docs)].ID, 6)
		i++
	}
}

// BenchmarkBuilder10k builds the index of 10,000 articles made one at a
// time, and reports the peak live heap while doing so: "streamed" feeds
// each article to a Builder as it is made, as the server does with the
// rows of a database query; "collected" makes them all first and calls
// Build, for comparison. Both include making the articles.
func BenchmarkBuilder10k(b *testing.B) {
	builds := []struct {
		name  string
		build func() *Index
	}{
		{"streamed", func() *Index {
			builder := NewBuilder()
			for d := range syntheticStream(10000, 700) {
				builder.Add(d)
			}
			return builder.Build()
		}},
		{"collected", func() *Index { return Build(syntheticDocs(10000, 700)) }},
	}
	for _, bb := range builds {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bb.build()
			}
			b.StopTimer()
			b.ReportMetric(float64(peakLiveHeap(func() { runtime.KeepAlive(bb.build()) }))/(1<<20), "MiB-peak-live")
		})
	}
}

// peakLiveHeap runs fn and returns the most heap it had live, beyond what
// was live before, sampled by collecting garbage every few milliseconds
// while fn runs.
func peakLiveHeap(fn func()) uint64 {
	live := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	base := live()
	done := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		var most uint64
		for {
			most = max(most, live())
			select {
			case <-done:
				peak <- most
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	fn()
	close(done)
	return max(<-peak, base) - base
}
