package related

import (
	"cmp"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
)

// Builder builds an Index from documents added one at a time, so that the
// caller never has to hold every article's text at once: Add reduces a
// document's text to term counts straight away. A Builder is not safe for
// concurrent use.
type Builder struct {
	docs []entry
	byID map[string]int // position in docs

	tagNumber map[string]int32

	// termNumber interns term strings to numbers, with stop words as -1 so
	// that one map lookup per word does both jobs. The strings themselves,
	// in terms, are needed only to break weight ties the same way whatever
	// the numbering.
	termNumber map[string]int32
	terms      []string

	// Scratch space for Add.
	tf    []int32 // occurrences by term, in the document being added
	seen  []int32 // terms of the document being added
	words []byte
}

// entry is what a Builder keeps of a document: everything but its text,
// which is reduced to term counts as soon as the document is added.
type entry struct {
	id        string
	tags      []int32    // distinct, in the document's order
	published int64      // Unix nanoseconds
	counts    []weighted // (term, occurrences), in order of first occurrence
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder {
	b := &Builder{
		byID:       map[string]int{},
		tagNumber:  map[string]int32{},
		termNumber: make(map[string]int32, len(stopWords)),
	}
	for _, w := range stopWords {
		b.termNumber[w] = -1
	}
	return b
}

// Build indexes docs. Documents with an empty ID are ignored; when IDs
// repeat, the last document with that ID wins. The result does not depend
// on the order of docs. Reading the texts, most of the work, is shared out
// among the CPUs.
func Build(docs []Doc) *Index {
	return BuildFunc(len(docs), func(i int) Doc { return docs[i] })
}

// BuildFunc is Build of the n documents that doc returns for 0 to n-1,
// which it asks for one at a time, from several goroutines at once: a
// caller that makes each document's text when asked holds only a few at a
// time.
func BuildFunc(n int, doc func(i int) Doc) *Index {
	return build(n, doc, min(runtime.GOMAXPROCS(0), n/minDocsPerPart))
}

// minDocsPerPart keeps Build from starting goroutines for a handful of
// documents.
const minDocsPerPart = 256

// build indexes n documents in parts, consecutive runs of documents each
// read by a Builder of its own on its own goroutine, then merged in order.
func build(n int, doc func(i int) Doc, parts int) *Index {
	parts = max(parts, 1)
	builders := make([]*Builder, parts)
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() {
			b := NewBuilder()
			for i := p * n / parts; i < (p+1)*n/parts; i++ {
				b.Add(doc(i))
			}
			builders[p] = b
		})
	}
	wg.Wait()
	for _, b := range builders[1:] {
		builders[0].merge(b)
	}
	return builders[0].Build()
}

// Add adds d to the index being built, replacing an earlier document with
// the same ID. A document with an empty ID is ignored. Add keeps no
// reference to d's text or tag slice.
func (b *Builder) Add(d Doc) {
	if d.ID == "" {
		return
	}
	b.put(entry{id: d.ID, tags: b.tagNumbers(d.TagIDs), published: d.PublishedAt.UnixNano(), counts: b.countTerms(d.Text)})
}

// put adds e, replacing an earlier document with the same ID.
func (b *Builder) put(e entry) {
	if i, ok := b.byID[e.id]; ok {
		b.docs[i] = e
		return
	}
	b.byID[e.id] = len(b.docs)
	b.docs = append(b.docs, e)
}

// merge adds the documents of other, which it empties, after those added
// so far, as if they had been added here in the same order.
func (b *Builder) merge(other *Builder) {
	terms := make([]int32, len(other.terms)) // other's term number → b's
	for i, term := range other.terms {
		t, ok := b.termNumber[term]
		if !ok {
			t = b.newTerm(term)
		}
		terms[i] = t
	}
	tags := make([]int32, len(other.tagNumber)) // likewise for tags
	for tag, t := range other.tagNumber {
		tags[t] = b.tagOf(tag)
	}
	for _, e := range other.docs {
		for i := range e.counts {
			e.counts[i].id = terms[e.counts[i].id]
		}
		for i := range e.tags {
			e.tags[i] = tags[e.tags[i]]
		}
		b.put(e)
	}
	*other = *NewBuilder()
}

// tagNumbers interns tags, dropping repeats.
func (b *Builder) tagNumbers(tags []string) []int32 {
	var out []int32
	for _, tag := range tags {
		if t := b.tagOf(tag); !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// tagOf returns the number of tag, interning it.
func (b *Builder) tagOf(tag string) int32 {
	t, ok := b.tagNumber[tag]
	if !ok {
		t = int32(len(b.tagNumber))
		b.tagNumber[tag] = t
	}
	return t
}

// countTerms returns how often each term other than a stop word occurs in
// text, interning new terms.
func (b *Builder) countTerms(text string) []weighted {
	b.seen = b.seen[:0]
	b.words = appendWords(text, b.words, func(word []byte) {
		t, ok := b.termNumber[string(word)]
		if !ok {
			t = b.newTerm(string(word))
		}
		if t < 0 {
			return
		}
		if b.tf[t] == 0 {
			b.seen = append(b.seen, t)
		}
		b.tf[t]++
	})
	counts := make([]weighted, len(b.seen))
	for j, t := range b.seen {
		counts[j] = weighted{t, float32(b.tf[t])}
		b.tf[t] = 0
	}
	return counts
}

// newTerm interns a term the Builder has not seen.
func (b *Builder) newTerm(term string) int32 {
	t := int32(len(b.terms))
	b.termNumber[term] = t
	b.terms = append(b.terms, term)
	b.tf = append(b.tf, 0)
	return t
}

// Build returns the index of the documents added so far and empties the
// Builder, which can then build another index.
func (b *Builder) Build() *Index {
	docs, tags, terms := b.docs, len(b.tagNumber), b.terms
	*b = *NewBuilder()
	// Sorting by ID makes document numbers the same whatever the order of
	// Add calls.
	slices.SortFunc(docs, func(a, b entry) int { return cmp.Compare(a.id, b.id) })
	n := len(docs)
	ix := &Index{
		ids:       make([]string, n),
		byID:      make(map[string]int32, n),
		published: make([]int64, n),
		recent:    make([]int32, n),
	}
	for i, d := range docs {
		ix.ids[i] = d.id
		ix.byID[d.id] = int32(i)
		ix.published[i] = d.published
		ix.recent[i] = int32(i)
	}
	slices.SortFunc(ix.recent, func(a, b int32) int {
		return cmp.Or(cmp.Compare(ix.published[b], ix.published[a]), cmp.Compare(a, b))
	})
	ix.indexTags(docs, tags)
	ix.indexTerms(docs, terms)
	ix.scratch.New = func() any { return &scratch{scores: make([]float32, n)} }
	return ix
}

// indexTags indexes the tags of docs, numbered below tags. A tag left only
// on replaced documents gets an empty row, which no query reaches.
func (ix *Index) indexTags(docs []entry, tags int) {
	perDoc := make([][]int32, len(docs))
	perTag := make([][]int32, tags)
	for i, d := range docs {
		perDoc[i] = d.tags
		for _, t := range d.tags {
			perTag[t] = append(perTag[t], int32(i))
		}
	}
	ix.docTags = newCSR(perDoc)
	ix.tagDocs = newCSR(perTag)
	ix.tagWeight = make([]float32, len(perTag))
	for t, ds := range perTag {
		ix.tagWeight[t] = float32(1 + math.Log(float64(len(docs))/float64(len(ds))))
	}
}

// indexTerms turns the term counts of docs into weighted vectors and
// postings, releasing the counts as it goes.
func (ix *Index) indexTerms(docs []entry, terms []string) {
	// Document frequencies count only the documents kept, not the ones
	// replaced by a later Add.
	df := make([]int32, len(terms))
	for _, d := range docs {
		for _, c := range d.counts {
			df[c.id]++
		}
	}
	idf := make([]float64, len(terms))
	for t, f := range df {
		idf[t] = math.Log(float64(len(docs)) / float64(f))
	}

	// Keep each document's strongest terms, renumbering the kept terms
	// densely so postings take no room for the rest of the vocabulary.
	kept := map[int32]int32{}
	ix.vectors = csr[weighted]{start: make([]int32, len(docs)+1)}
	var postings [][]weighted
	stronger := func(a, b weighted) bool {
		return a.weight > b.weight || a.weight == b.weight && terms[a.id] < terms[b.id]
	}
	top := make([]weighted, 0, termsPerDoc+1)
	for i := range docs {
		vec := top[:0] // the strongest terms so far, strongest first
		for _, c := range docs[i].counts {
			// A term in one document only cannot relate it to another.
			if df[c.id] < 2 {
				continue
			}
			w := weighted{c.id, float32(logTF(c.weight) * idf[c.id])}
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
		docs[i].counts = nil
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

// logTF is the term-frequency factor of a term that occurs count times in
// a document: 1 + ln(count), from a table for the counts most terms have.
func logTF(count float32) float64 {
	if n := int(count); n < len(logTFs) {
		return logTFs[n]
	}
	return 1 + math.Log(float64(count))
}

// logTFs holds 1 + ln(n) by n, as logTF computes it.
var logTFs = func() (t [64]float64) {
	for n := range t {
		t[n] = 1 + math.Log(float64(n))
	}
	return t
}()
