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
		doc, card := relatedEntry(e)
		b.Add(doc)
		cards[e.ID] = card
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
	docs := make([]related.Doc, len(articles))
	cards := make(map[string]Card, len(articles))
	for i, a := range articles {
		e := store.CorpusEntry{ID: a.ID, Slug: a.Slug, Title: a.Title, ReadingMinutes: a.ReadingMinutes,
			Summary: a.Summary, BodyText: a.BodyText, PublishedAt: a.PublishedAt}
		for _, t := range a.Tags {
			e.TagIDs = append(e.TagIDs, t.ID)
		}
		docs[i], cards[a.ID] = relatedEntry(e)
	}
	return &relatedIndex{index: related.Build(docs), cardByID: cards}
}

// relatedEntry is what the index and the "Read more" cards keep of an
// article.
func relatedEntry(e store.CorpusEntry) (related.Doc, Card) {
	doc := related.Doc{
		ID:          e.ID,
		TagIDs:      e.TagIDs,
		Text:        e.Title + "\n" + e.Summary + "\n" + e.BodyText,
		PublishedAt: e.PublishedAt,
	}
	card := Card{
		URL:            "articles/" + e.Slug,
		Title:          e.Title,
		Summary:        e.Summary,
		ReadingMinutes: e.ReadingMinutes,
	}
	return doc, card
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
