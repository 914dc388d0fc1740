package related

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var day0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func day(n int) time.Time { return day0.AddDate(0, 0, n) }

// filler makes documents that share nothing with anything else, to give
// tags and terms realistic document frequencies.
func filler(n int, tags ...string) []Doc {
	docs := make([]Doc, n)
	for i := range docs {
		docs[i] = Doc{
			ID:          fmt.Sprintf("filler-%04d", i),
			TagIDs:      tags,
			Text:        fmt.Sprintf("unrelated%d words%d", i, i),
			PublishedAt: day(-100 - i),
		}
	}
	return docs
}

func TestRelated(t *testing.T) {
	tests := []struct {
		name string
		docs []Doc
		id   string
		n    int
		want []string
	}{
		{
			name: "shared rare tag beats shared common tag",
			docs: append(filler(6, "ukraine-war"),
				Doc{ID: "q", TagIDs: []string{"ukraine-war", "lavrov"}, Text: "alpha", PublishedAt: day(0)},
				Doc{ID: "rare", TagIDs: []string{"lavrov", "other"}, Text: "beta", PublishedAt: day(-5)},
				Doc{ID: "common", TagIDs: []string{"ukraine-war"}, Text: "gamma", PublishedAt: day(-1)},
				Doc{ID: "rare2", TagIDs: []string{"lavrov"}, Text: "delta", PublishedAt: day(-9)},
			),
			id: "q", n: 3,
			want: []string{"rare", "rare2", "common"},
		},
		{
			name: "any shared tag beats text similarity",
			docs: append(filler(4),
				Doc{ID: "q", TagIDs: []string{"sanctions"}, Text: "central bank key rate inflation", PublishedAt: day(0)},
				Doc{ID: "same-text", Text: "central bank key rate inflation", PublishedAt: day(-1)},
				Doc{ID: "same-tag", TagIDs: []string{"sanctions"}, Text: "oil tanker fleet", PublishedAt: day(-2)},
				Doc{ID: "more", Text: "oil tanker fleet", PublishedAt: day(-3)},
			),
			id: "q", n: 2,
			want: []string{"same-tag", "same-text"},
		},
		{
			name: "text similarity breaks tag ties, before recency",
			docs: append(filler(4),
				Doc{ID: "q", TagIDs: []string{"diplomacy"}, Text: "Rubio Lavrov Riyadh ceasefire talks", PublishedAt: day(0)},
				Doc{ID: "similar", TagIDs: []string{"diplomacy"}, Text: "Lavrov and Rubio met in Riyadh", PublishedAt: day(-30)},
				Doc{ID: "recent", TagIDs: []string{"diplomacy"}, Text: "embassy staffing visas", PublishedAt: day(-1)},
				Doc{ID: "also", Text: "embassy staffing visas", PublishedAt: day(-2)},
			),
			id: "q", n: 2,
			want: []string{"similar", "recent"},
		},
		{
			name: "recency then ID break exact ties",
			docs: append(filler(4),
				Doc{ID: "q", TagIDs: []string{"t"}, PublishedAt: day(0)},
				Doc{ID: "b-old", TagIDs: []string{"t"}, PublishedAt: day(-3)},
				Doc{ID: "c-new", TagIDs: []string{"t"}, PublishedAt: day(-1)},
				Doc{ID: "a-new", TagIDs: []string{"t"}, PublishedAt: day(-1)},
			),
			id: "q", n: 3,
			want: []string{"a-new", "c-new", "b-old"},
		},
		{
			name: "Cyrillic text similarity, case and ё insensitive",
			docs: append(filler(4),
				Doc{ID: "q", Text: "Лавров и Рубио обсудили перемирие в Эр-Рияде. Королёв", PublishedAt: day(0)},
				Doc{ID: "similar", Text: "ЛАВРОВ назвал встречу с Рубио в Эр-Рияде полезной. КОРОЛЕВ", PublishedAt: day(-20)},
				Doc{ID: "other", Text: "Центробанк сохранил ключевую ставку", PublishedAt: day(-1)},
				Doc{ID: "other2", Text: "Центробанк повысил ключевую ставку", PublishedAt: day(-2)},
			),
			id: "q", n: 1,
			want: []string{"similar"},
		},
		{
			name: "only stop words shared means nothing shared: most recent fill",
			docs: []Doc{
				{ID: "q", Text: "The talks and the war, и это не всё", PublishedAt: day(0)},
				{ID: "old", Text: "The weather and the sea, и это не всё", PublishedAt: day(-9)},
				{ID: "new", Text: "A concert in the park", PublishedAt: day(-1)},
				{ID: "mid", Text: "Football results", PublishedAt: day(-5)},
			},
			id: "q", n: 3,
			want: []string{"new", "mid", "old"},
		},
		{
			name: "related first, then the most recent of the rest",
			docs: []Doc{
				{ID: "q", TagIDs: []string{"t"}, PublishedAt: day(0)},
				{ID: "tagged-old", TagIDs: []string{"t"}, PublishedAt: day(-50)},
				{ID: "new", PublishedAt: day(-1)},
				{ID: "newer", PublishedAt: day(1)},
				{ID: "old", PublishedAt: day(-9)},
			},
			id: "q", n: 3,
			want: []string{"tagged-old", "newer", "new"},
		},
		{
			name: "n larger than the corpus returns every other document once",
			docs: []Doc{
				{ID: "q", TagIDs: []string{"t"}, PublishedAt: day(0)},
				{ID: "x", TagIDs: []string{"t"}, PublishedAt: day(-2)},
				{ID: "y", PublishedAt: day(-1)},
			},
			id: "q", n: 50,
			want: []string{"x", "y"},
		},
		{
			name: "alone in the corpus",
			docs: []Doc{{ID: "q", TagIDs: []string{"t"}, Text: "words words"}},
			id:   "q", n: 5,
			want: []string{},
		},
		{
			name: "duplicate IDs: the last one wins",
			docs: []Doc{
				{ID: "q", TagIDs: []string{"t"}, PublishedAt: day(0)},
				{ID: "x", TagIDs: []string{"t"}, PublishedAt: day(-2)},
				{ID: "y", PublishedAt: day(-1)},
				{ID: "x", PublishedAt: day(-2)},
				{ID: "y", TagIDs: []string{"t"}, PublishedAt: day(-1)},
			},
			id: "q", n: 5,
			want: []string{"y", "x"},
		},
		{"unknown id", []Doc{{ID: "a"}, {ID: "b"}}, "zzz", 5, nil},
		{"zero n", []Doc{{ID: "a"}, {ID: "b"}}, "a", 0, nil},
		{"empty index", nil, "a", 5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Build(tt.docs).Related(tt.id, tt.n)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Related(%q, %d) mismatch (-want +got):\n%s", tt.id, tt.n, diff)
			}
		})
	}
}

func TestRelatedNeverReturnsItselfAndIsDeterministic(t *testing.T) {
	docs := syntheticDocs(300, 60)
	ix := Build(docs)
	shuffled := slices.Clone(docs)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) {
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	})
	other := Build(shuffled)
	for _, d := range docs {
		got := ix.Related(d.ID, 10)
		if len(got) != 10 {
			t.Fatalf("Related(%q, 10) returned %d", d.ID, len(got))
		}
		if slices.Contains(got, d.ID) {
			t.Fatalf("Related(%q) contains itself: %v", d.ID, got)
		}
		if again := ix.Related(d.ID, 10); !slices.Equal(got, again) {
			t.Fatalf("Related(%q) changed between calls: %v then %v", d.ID, got, again)
		}
		if fromShuffled := other.Related(d.ID, 10); !slices.Equal(got, fromShuffled) {
			t.Fatalf("Related(%q) depends on input order: %v vs %v", d.ID, got, fromShuffled)
		}
	}
}

func TestRelatedConcurrent(t *testing.T) {
	docs := syntheticDocs(200, 60)
	ix := Build(docs)
	want := make(map[string][]string, len(docs))
	for _, d := range docs {
		want[d.ID] = ix.Related(d.ID, 5)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range docs {
				d := docs[(i+g*50)%len(docs)]
				if got := ix.Related(d.ID, 5); !slices.Equal(got, want[d.ID]) {
					t.Errorf("concurrent Related(%q) = %v, want %v", d.ID, got, want[d.ID])
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestPostingsAreCapped(t *testing.T) {
	// Every document shares the same rare-ish word with all others; its
	// postings must stop at maxPostings so a query does not touch them all.
	docs := make([]Doc, maxPostings*3)
	for i := range docs {
		docs[i] = Doc{ID: string(rune(0x4e00 + i)), Text: "ceasefire " + string(rune(0x4e00+i)) + "x"}
	}
	docs = append(docs, filler(maxPostings*3)...) // so "ceasefire" is in half the corpus
	ix := Build(docs)
	for term := range int32(len(ix.postings.start) - 1) {
		if n := len(ix.postings.row(term)); n > maxPostings {
			t.Errorf("term %d has %d postings, cap %d", term, n, maxPostings)
		}
	}
	if got := ix.Related(docs[0].ID, 5); len(got) != 5 {
		t.Errorf("Related returned %d, want 5", len(got))
	}
}

func TestAppendWords(t *testing.T) {
	var got []string
	appendWords("The U.S.-Russia talks: Лавров, ЁЛКА и ёж; COVID-19 in 2025 — G7's x", nil, func(term []byte) {
		got = append(got, string(term))
	})
	// Single letters and numbers go; stop words are the index's business.
	want := []string{"the", "russia", "talks", "лавров", "елка", "еж", "covid", "in", "g7"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("terms mismatch (-want +got):\n%s", diff)
	}
}
