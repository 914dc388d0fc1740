package publishing

import (
	"context"
	"fmt"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// ListPageSize is how many articles the desk lists at once.
const ListPageSize = 30

// ListQuery filters the desk's list of articles.
type ListQuery struct {
	Status   model.Status // "" for every status
	AuthorID string       // byline
	TagID    string
	Title    string // words in the headline
	Page     int    // from 1
}

// Listing is one page of the desk's list of articles.
type Listing struct {
	Rows []Row
	// Total counts the articles the query selects; Page and Pages place
	// this page among them.
	Total, Page, Pages int
	// OnlyOwn is set when the actor sees only the articles they created.
	OnlyOwn bool
	// Tags and Authors are what the filters offer.
	Tags    []model.Tag
	Authors []model.Author
}

// Row is a listed article and whether the actor may change it.
type Row struct {
	Article *model.Article
	MayEdit bool
}

// List returns the page of articles q selects: every article for editors,
// the actor's own for everyone else. An unknown status lists them all.
func (s *Service) List(ctx context.Context, act Actor, q ListQuery) (Listing, error) {
	if !act.WriteOwn {
		return Listing{}, ErrForbidden
	}
	if !q.Status.Valid() {
		q.Status = ""
	}
	q.Page = max(q.Page, 1)
	dq := store.DeskQuery{Status: q.Status, AuthorID: q.AuthorID, TagID: q.TagID, Title: q.Title,
		Limit: ListPageSize, Offset: (q.Page - 1) * ListPageSize}
	out := Listing{Page: q.Page, OnlyOwn: !act.EditAll}
	if out.OnlyOwn {
		dq.CreatedBy = act.UserID
	}
	records, total, err := s.store.DeskArticles(ctx, dq)
	if err != nil {
		return Listing{}, fmt.Errorf("publishing: list: %w", err)
	}
	out.Total, out.Pages = total, max(1, (total+ListPageSize-1)/ListPageSize)
	for _, rec := range records {
		out.Rows = append(out.Rows, Row{Article: rec.Article, MayEdit: act.mayEdit(rec)})
	}
	l, err := s.lists(ctx)
	if err != nil {
		return Listing{}, err
	}
	out.Tags, out.Authors = l.tags, l.authors
	return out, nil
}
