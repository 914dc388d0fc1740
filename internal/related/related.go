// Package related ranks articles related to a given one, entirely in
// memory. An Index is built once from every published article (by a
// Builder fed one article at a time, or by Build from a slice) and then
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
	// Few wanted from many: keep a sorted window of the best n. Most
	// documents score below the window's last, which a comparison of
	// scores alone rules out.
	top := make([]int32, 0, n+1)
	for _, d := range s.touched {
		if len(top) == n && (s.scores[d] < s.scores[top[n-1]] || rank(d, top[n-1]) > 0) {
			continue
		}
		i := sort.Search(len(top), func(i int) bool { return rank(d, top[i]) < 0 })
		top = slices.Insert(top, i, d)[:min(len(top)+1, n)]
	}
	return top
}
