package site

import (
	"context"
	"time"

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
		b.Add(related.Doc{
			ID:          e.ID,
			TagIDs:      e.TagIDs,
			Text:        e.Title + "\n" + e.Summary + "\n" + e.BodyText,
			PublishedAt: e.PublishedAt,
		})
		cards[e.ID] = Card{
			URL:            "articles/" + e.Slug,
			Title:          e.Title,
			Summary:        e.Summary,
			ReadingMinutes: e.ReadingMinutes,
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &relatedIndex{index: b.Build(), cardByID: cards}, nil
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
