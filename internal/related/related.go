// Package related ranks articles related to a given one, entirely in
// memory. An Index is built once from every published article and then
// queried by many concurrent readers; when articles change, build a new
// Index and swap it in.
//
// Ranking: each tag two articles share adds 1 + ln(N/df), where df counts
// the articles with that tag among all N, so a shared tag weighs at least
// as much as the closest textual match and rare tags ("Lavrov") outweigh
// common ones ("Ukraine war"). Text adds the cosine similarity (at most 1)
// of TF-IDF vectors over the title, summary and body, each reduced to its
// strongest terms. Equal scores go to the more recent article, then to the
// smaller ID. When fewer than n articles share anything with the article,
// the most recent other articles fill the list.
package related

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"sync"
	"time"
)

// Doc is what the index needs to know about an article.
type Doc struct {
	ID     string
	TagIDs []string
	// Text is the title, summary and body text, as one string.
	Text        string
	PublishedAt time.Time
}

const (
	// termsPerDoc bounds each article's vector, and so the memory per
	// article, to its most distinctive terms.
	termsPerDoc = 24
	// maxPostings caps how many articles a term leads to, keeping those
	// where the term weighs most. A term in more articles than this is
	// close to a stop word, and the cap bounds the work per query.
	maxPostings = 256
)

// Index answers Related queries. It is immutable and safe for concurrent
// use.
type Index struct {
	ids       []string // sorted; a document's number is its position
	byID      map[string]int32
	published []int64 // Unix nanoseconds
	recent    []int32 // documents, most recent first, for filling

	docTags   csr[int32] // document → tag numbers
	tagWeight []float32
	tagDocs   csr[int32] // tag → documents

	vectors  csr[weighted] // document → (term, weight), unit length
	postings csr[weighted] // term → (document, weight), capped

	scratch sync.Pool // *scratch
}

// weighted pairs a term with its weight in a document, or a document with
// the weight a term has in it.
type weighted struct {
	id     int32
	weight float32
}

// csr is a compact list of lists: list i is items[start[i]:start[i+1]].
type csr[T any] struct {
	start []int32
	items []T
}

func (c *csr[T]) row(i int32) []T { return c.items[c.start[i]:c.start[i+1]] }

// newCSR flattens lists into one allocation.
func newCSR[T any](lists [][]T) csr[T] {
	c := csr[T]{start: make([]int32, len(lists)+1)}
	total := 0
	for i, l := range lists {
		total += len(l)
		c.start[i+1] = int32(total)
	}
	c.items = make([]T, 0, total)
	for _, l := range lists {
		c.items = append(c.items, l...)
	}
	return c
}

type scratch struct {
	scores  []float32 // by document; zero means untouched
	touched []int32
}

// Build indexes docs. Documents with an empty ID are ignored; when IDs
// repeat, the last document with that ID wins. The result does not depend
// on the order of docs.
func Build(docs []Doc) *Index {
	docs = uniqueSorted(docs)
	n := len(docs)
	ix := &Index{
		ids:       make([]string, n),
		byID:      make(map[string]int32, n),
		published: make([]int64, n),
		recent:    make([]int32, n),
	}
	for i, d := range docs {
		ix.ids[i] = d.ID
		ix.byID[d.ID] = int32(i)
		ix.published[i] = d.PublishedAt.UnixNano()
		ix.recent[i] = int32(i)
	}
	slices.SortFunc(ix.recent, func(a, b int32) int {
		return cmp.Or(cmp.Compare(ix.published[b], ix.published[a]), cmp.Compare(a, b))
	})
	ix.indexTags(docs)
	ix.indexTerms(docs)
	ix.scratch.New = func() any { return &scratch{scores: make([]float32, n)} }
	return ix
}

// uniqueSorted returns docs with non-empty, unique IDs (last wins), sorted
// by ID so that document numbers are the same whatever the input order.
func uniqueSorted(docs []Doc) []Doc {
	last := make(map[string]int, len(docs))
	for i, d := range docs {
		if d.ID != "" {
			last[d.ID] = i
		}
	}
	out := make([]Doc, 0, len(last))
	for i, d := range docs {
		if d.ID != "" && last[d.ID] == i {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b Doc) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func (ix *Index) indexTags(docs []Doc) {
	number := map[string]int32{}
	perDoc := make([][]int32, len(docs))
	var perTag [][]int32
	for i, d := range docs {
		for _, tag := range d.TagIDs {
			t, ok := number[tag]
			if !ok {
				t = int32(len(perTag))
				number[tag] = t
				perTag = append(perTag, nil)
			}
			if !slices.Contains(perDoc[i], t) {
				perDoc[i] = append(perDoc[i], t)
				perTag[t] = append(perTag[t], int32(i))
			}
		}
	}
	ix.docTags = newCSR(perDoc)
	ix.tagDocs = newCSR(perTag)
	ix.tagWeight = make([]float32, len(perTag))
	for t, ds := range perTag {
		ix.tagWeight[t] = float32(1 + math.Log(float64(len(docs))/float64(len(ds))))
	}
}

func (ix *Index) indexTerms(docs []Doc) {
	// Count terms per document, interning term strings to numbers. The
	// strings are needed only here, to break weight ties the same way
	// whatever the numbering. Stop words are interned as -1, so one map
	// lookup per word does both jobs.
	number := make(map[string]int32, len(stopWords))
	for _, w := range stopWords {
		number[w] = -1
	}
	var terms []string
	var df []int32
	counts := make([][]weighted, len(docs)) // (term, occurrences)
	tf := []int32{}                         // by term, for the current document
	var buf []byte
	var seen []int32 // terms of the current document
	for i, d := range docs {
		seen = seen[:0]
		buf = appendWords(d.Text, buf, func(word []byte) {
			t, ok := number[string(word)]
			if !ok {
				t = int32(len(terms))
				term := string(word)
				number[term] = t
				terms = append(terms, term)
				df = append(df, 0)
				tf = append(tf, 0)
			}
			if t < 0 {
				return
			}
			if tf[t] == 0 {
				seen = append(seen, t)
			}
			tf[t]++
		})
		counts[i] = make([]weighted, len(seen))
		for j, t := range seen {
			counts[i][j] = weighted{t, float32(tf[t])}
			df[t]++
			tf[t] = 0
		}
	}

	// Keep each document's strongest terms, renumbering the kept terms
	// densely so postings take no room for the rest of the vocabulary.
	idf := make([]float64, len(terms))
	for t, f := range df {
		idf[t] = math.Log(float64(len(docs)) / float64(f))
	}
	kept := map[int32]int32{}
	ix.vectors = csr[weighted]{start: make([]int32, len(docs)+1)}
	var postings [][]weighted
	stronger := func(a, b weighted) bool {
		return a.weight > b.weight || a.weight == b.weight && terms[a.id] < terms[b.id]
	}
	top := make([]weighted, 0, termsPerDoc+1)
	for i, cs := range counts {
		vec := top[:0] // the strongest terms so far, strongest first
		for _, c := range cs {
			// A term in one document only cannot relate it to another.
			if df[c.id] < 2 {
				continue
			}
			w := weighted{c.id, float32((1 + math.Log(float64(c.weight))) * idf[c.id])}
			if w.weight <= 0 || len(vec) == termsPerDoc && !stronger(w, vec[termsPerDoc-1]) {
				continue
			}
			at := sort.Search(len(vec), func(j int) bool { return stronger(w, vec[j]) })
			vec = slices.Insert(vec, at, w)[:min(len(vec)+1, termsPerDoc)]
		}
		var norm float64
		for _, v := range vec {
			norm += float64(v.weight) * float64(v.weight)
		}
		norm = math.Sqrt(norm)
		for j := range vec {
			t, ok := kept[vec[j].id]
			if !ok {
				t = int32(len(postings))
				kept[vec[j].id] = t
				postings = append(postings, nil)
			}
			vec[j] = weighted{t, float32(float64(vec[j].weight) / norm)}
			postings[t] = append(postings[t], weighted{int32(i), vec[j].weight})
		}
		ix.vectors.items = append(ix.vectors.items, vec...)
		ix.vectors.start[i+1] = int32(len(ix.vectors.items))
		counts[i] = nil
	}
	for t, ps := range postings {
		if len(ps) > maxPostings {
			slices.SortStableFunc(ps, func(a, b weighted) int { return cmp.Compare(b.weight, a.weight) })
			postings[t] = ps[:maxPostings]
		}
	}
	ix.vectors.items = slices.Clone(ix.vectors.items) // drop the growth slack
	ix.postings = newCSR(postings)
}

// Related returns the IDs of up to n documents most related to the one
// with the given ID, best first, never including that document itself. It
// returns nil for an unknown ID or n < 1.
func (ix *Index) Related(id string, n int) []string {
	q, ok := ix.byID[id]
	if !ok || n < 1 {
		return nil
	}
	n = min(n, len(ix.ids)-1)
	s := ix.scratch.Get().(*scratch)
	defer ix.scratch.Put(s)
	add := func(d int32, w float32) {
		if d == q || w <= 0 {
			return
		}
		if s.scores[d] == 0 {
			s.touched = append(s.touched, d)
		}
		s.scores[d] += w
	}
	for _, t := range ix.docTags.row(q) {
		for _, d := range ix.tagDocs.row(t) {
			add(d, ix.tagWeight[t])
		}
	}
	for _, qt := range ix.vectors.row(q) {
		for _, p := range ix.postings.row(qt.id) {
			add(p.id, qt.weight*p.weight)
		}
	}

	top := ix.best(s, n)
	// Every scored document is in top when it is short, so the fill only
	// has to skip scored ones.
	for _, d := range ix.recent {
		if len(top) >= n {
			break
		}
		if d != q && s.scores[d] == 0 {
			top = append(top, d)
		}
	}
	for _, d := range s.touched {
		s.scores[d] = 0
	}
	s.touched = s.touched[:0]

	out := make([]string, len(top))
	for i, d := range top {
		out[i] = ix.ids[d]
	}
	return out
}

// best returns the n best-scored documents in rank order.
func (ix *Index) best(s *scratch, n int) []int32 {
	rank := func(a, b int32) int { // negative when a ranks before b
		switch {
		case s.scores[a] != s.scores[b]:
			return cmp.Compare(s.scores[b], s.scores[a])
		case ix.published[a] != ix.published[b]:
			return cmp.Compare(ix.published[b], ix.published[a])
		}
		return cmp.Compare(a, b) // document numbers follow IDs
	}
	if len(s.touched) <= 4*n {
		top := slices.Clone(s.touched)
		slices.SortFunc(top, rank)
		return top[:min(n, len(top))]
	}
	// Few wanted from many: keep a sorted window of the best n.
	top := make([]int32, 0, n+1)
	for _, d := range s.touched {
		if len(top) == n && rank(d, top[n-1]) > 0 {
			continue
		}
		i := sort.Search(len(top), func(i int) bool { return rank(d, top[i]) < 0 })
		top = slices.Insert(top, i, d)[:min(len(top)+1, n)]
	}
	return top
}
