package related

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBuilderReplacedDocumentsLeaveNoTrace(t *testing.T) {
	tests := []struct {
		name string
		adds []Doc
		want []string
	}{
		{
			// x and y share one tag each with q, equally rare, so the more
			// recent x comes first, unless the replaced y made t1 commoner.
			name: "tag frequencies",
			adds: []Doc{
				{ID: "y", TagIDs: []string{"t1"}, PublishedAt: day(-2)},
				{ID: "q", TagIDs: []string{"t1", "t2"}, PublishedAt: day(0)},
				{ID: "x", TagIDs: []string{"t1"}, PublishedAt: day(-1)},
				{ID: "y", TagIDs: []string{"t2"}, PublishedAt: day(-2)},
			},
			want: []string{"x", "y"},
		},
		{
			// The same with words: counting the replaced y would put
			// "alpha" in every document and so weigh it zero.
			name: "term frequencies",
			adds: []Doc{
				{ID: "y", Text: "alpha", PublishedAt: day(-2)},
				{ID: "q", Text: "alpha beta", PublishedAt: day(0)},
				{ID: "x", Text: "alpha", PublishedAt: day(-1)},
				{ID: "y", Text: "beta", PublishedAt: day(-2)},
			},
			want: []string{"x", "y"},
		},
		{
			name: "replaced publication date",
			adds: []Doc{
				{ID: "x", PublishedAt: day(5)},
				{ID: "q", PublishedAt: day(0)},
				{ID: "y", PublishedAt: day(-1)},
				{ID: "x", PublishedAt: day(-2)},
			},
			want: []string{"y", "x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder()
			for _, d := range tt.adds {
				b.Add(d)
			}
			if diff := cmp.Diff(tt.want, b.Build().Related("q", 2)); diff != "" {
				t.Errorf("Related(q, 2) mismatch (-want +got):\n%s", diff)
			}
			// Built in parts, a replaced document and its replacement
			// may be read by different Builders.
			for parts := 2; parts <= len(tt.adds); parts++ {
				if diff := cmp.Diff(tt.want, buildInParts(tt.adds, parts).Related("q", 2)); diff != "" {
					t.Errorf("in %d parts: Related(q, 2) mismatch (-want +got):\n%s", parts, diff)
				}
			}
		})
	}
}

func TestBuilderDoesNotDependOnOrder(t *testing.T) {
	docs := syntheticDocs(300, 60)
	// Same-day articles, so that ties between them fall to the ID.
	for i := range docs {
		if i%3 == 0 {
			docs[i].PublishedAt = day(0)
		}
	}
	want := Build(docs)

	// Earlier versions of some documents, with another document's words
	// and tags plus some of their own, to be replaced by docs.
	var stale []Doc
	for i := range 30 {
		d := docs[100+i]
		d.ID = docs[i].ID
		d.TagIDs = append(slices.Clone(d.TagIDs), "stale")
		d.Text += " stalemate stalemate"
		stale = append(stale, d)
	}
	reversed := slices.Clone(docs)
	slices.Reverse(reversed)
	shuffled := slices.Clone(docs)
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(shuffled), func(i, j int) {
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	})
	// Each stale version right before its replacement, wherever that is.
	var interleaved []Doc
	for _, d := range shuffled {
		if i := slices.IndexFunc(stale, func(s Doc) bool { return s.ID == d.ID }); i >= 0 {
			interleaved = append(interleaved, stale[i])
		}
		interleaved = append(interleaved, d)
	}
	orders := []struct {
		name string
		adds []Doc
	}{
		{"stale versions first, then in order", slices.Concat(stale, docs)},
		{"stale versions first, then reversed", slices.Concat(stale, reversed)},
		{"stale versions interleaved, shuffled, with an empty ID", slices.Concat([]Doc{{Text: "stalemate", TagIDs: []string{"stale"}}}, interleaved)},
	}
	for _, o := range orders {
		t.Run(o.name, func(t *testing.T) {
			b := NewBuilder()
			for _, d := range o.adds {
				b.Add(d)
			}
			got := b.Build()
			for _, d := range docs {
				if w, g := want.Related(d.ID, 10), got.Related(d.ID, 10); !slices.Equal(w, g) {
					t.Fatalf("Related(%q, 10) = %v, want %v as from Build without stale versions", d.ID, g, w)
				}
			}
			inParts := buildInParts(o.adds, 3)
			for _, d := range docs {
				if w, g := want.Related(d.ID, 10), inParts.Related(d.ID, 10); !slices.Equal(w, g) {
					t.Fatalf("in 3 parts: Related(%q, 10) = %v, want %v as from Build without stale versions", d.ID, g, w)
				}
			}
		})
	}
}

func TestBuilderIsEmptyAfterBuild(t *testing.T) {
	b := NewBuilder()
	b.Add(Doc{ID: "a", TagIDs: []string{"t"}, Text: "common words"})
	b.Add(Doc{ID: "b", TagIDs: []string{"t"}, Text: "common words"})
	first := b.Build()
	b.Add(Doc{ID: "c", TagIDs: []string{"t"}, Text: "common words"})
	b.Add(Doc{ID: "d", TagIDs: []string{"t"}, Text: "other text"})
	second := b.Build()

	if diff := cmp.Diff([]string{"b"}, first.Related("a", 5)); diff != "" {
		t.Errorf("first index: Related(a) mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"d"}, second.Related("c", 5)); diff != "" {
		t.Errorf("second index: Related(c) mismatch (-want +got):\n%s", diff)
	}
	if got := second.Related("a", 5); got != nil {
		t.Errorf("second index knows a document added before the first Build: Related(a) = %v", got)
	}
}

// buildInParts builds docs as BuildFunc does on as many CPUs as parts.
func buildInParts(docs []Doc, parts int) *Index {
	return build(len(docs), func(i int) Doc { return docs[i] }, parts)
}
