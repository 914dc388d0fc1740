package site

import (
	"context"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/related"
	"github.com/tamizdat/tamizdat/internal/store"
)

// relatedIndex answers "Read more" for an article from memory: the ranking
// index plus the card of every published article, so an article page needs
// no database query for its related articles.
type relatedIndex struct {
	index    *related.Index
	cardByID map[string]Card
}

// buildRelated streams the published articles into the index builder, so
// that only one article's text is in memory at a time.
func buildRelated(ctx context.Context, st *store.Store, asOf time.Time) (*relatedIndex, error) {
	b := related.NewBuilder()
	cards := map[string]Card{}
	err := st.Corpus(ctx, asOf, func(e store.CorpusEntry) error {
		b.Add(relatedDoc(e))
		cards[e.ID] = relatedCard(e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &relatedIndex{index: b.Build(), cardByID: cards}, nil
}

// indexArticles builds the index from articles held in memory, with their
// text.
func indexArticles(articles []*model.Article) *relatedIndex {
	cards := make(map[string]Card, len(articles))
	for _, a := range articles {
		cards[a.ID] = relatedCard(corpusEntry(a))
	}
	// Each document's text is put together when the index asks for it,
	// so that only a few are held at once.
	index := related.BuildFunc(len(articles), func(i int) related.Doc { return relatedDoc(corpusEntry(articles[i])) })
	return &relatedIndex{index: index, cardByID: cards}
}

// corpusEntry is what the index needs of a.
func corpusEntry(a *model.Article) store.CorpusEntry {
	e := store.CorpusEntry{ID: a.ID, Slug: a.Slug, Title: a.Title, ReadingMinutes: a.ReadingMinutes,
		Summary: a.Summary, BodyText: a.BodyText, PublishedAt: a.PublishedAt}
	for _, t := range a.Tags {
		e.TagIDs = append(e.TagIDs, t.ID)
	}
	return e
}

// relatedDoc is what the index keeps of an article.
func relatedDoc(e store.CorpusEntry) related.Doc {
	return related.Doc{
		ID:          e.ID,
		TagIDs:      e.TagIDs,
		Text:        e.Title + "\n" + e.Summary + "\n" + e.BodyText,
		PublishedAt: e.PublishedAt,
	}
}

// relatedCard is the article's card under "Read more".
func relatedCard(e store.CorpusEntry) Card {
	return Card{
		URL:            "articles/" + e.Slug,
		Title:          e.Title,
		Summary:        e.Summary,
		ReadingMinutes: e.ReadingMinutes,
	}
}

// cards returns up to n cards of articles related to the article id.
func (r *relatedIndex) cards(id string, n int) []Card {
	if r.index == nil {
		return nil
	}
	var out []Card
	for _, rid := range r.index.Related(id, n) {
		out = append(out, r.cardByID[rid])
	}
	return out
}
