package export

import (
	"slices"
	"sync"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// snapshot holds the published articles the inventory loaded, which are
// the ones the export publishes, and answers the site's list and article
// queries from them (see site.Snapshot). Without it every list page costs
// a count and a page query that walk the list from its start, and every
// article page a query for the article, its bylines and its tags.
type snapshot struct {
	articles []*model.Article // newest first, as the store lists them
	bySlug   map[string]*model.Article
	byTag    map[string][]*model.Article // by tag ID, in the order above
	byAuthor map[string][]*model.Article // by author ID, in the order above
	// related keeps the recommendations found for each article's
	// fingerprint, so that its page need not rank them again.
	related sync.Map // article ID → []string of relatedShown IDs
	memo    sync.Map // key → string; see Memo
}

func newSnapshot(articles []*model.Article) *snapshot {
	s := &snapshot{
		articles: articles,
		bySlug:   make(map[string]*model.Article, len(articles)),
		byTag:    map[string][]*model.Article{},
		byAuthor: map[string][]*model.Article{},
	}
	for _, a := range articles {
		s.bySlug[a.Slug] = a
		for _, t := range a.Tags {
			s.byTag[t.ID] = append(s.byTag[t.ID], a)
		}
		for _, au := range a.Authors {
			s.byAuthor[au.ID] = append(s.byAuthor[au.ID], a)
		}
	}
	return s
}

// ListArticles answers q as the store did when the inventory was taken:
// the articles q selects among the published ones, in the same order.
func (s *snapshot) ListArticles(q store.ArticleQuery) ([]*model.Article, int, bool) {
	if q.PublishedAsOf.IsZero() || q.Limit < 0 || q.Offset < 0 {
		return nil, 0, false // drafts, which the snapshot lacks, or an error the store reports
	}
	candidates := s.articles
	switch {
	case q.TagID != "":
		candidates = s.byTag[q.TagID]
	case q.AuthorID != "":
		candidates = s.byAuthor[q.AuthorID]
	}
	end := len(candidates)
	if q.Limit > 0 {
		end = min(end, q.Offset+q.Limit)
	}
	if q.From.IsZero() && q.To.IsZero() && (q.TagID == "" || q.AuthorID == "") {
		return slices.Clip(candidates[min(q.Offset, end):end]), len(candidates), true
	}
	// Bounds compare as the store compares them, to the microsecond.
	from, to := q.From.Truncate(time.Microsecond), q.To.Truncate(time.Microsecond)
	var page []*model.Article
	total := 0
	for _, a := range candidates {
		switch {
		case q.TagID != "" && q.AuthorID != "" && !slices.ContainsFunc(a.Authors, func(au model.Author) bool { return au.ID == q.AuthorID }):
		case !q.From.IsZero() && a.PublishedAt.Before(from):
		case !q.To.IsZero() && !a.PublishedAt.Before(to):
		default:
			if total >= q.Offset && (q.Limit == 0 || len(page) < q.Limit) {
				page = append(page, a)
			}
			total++
		}
	}
	return page, total, true
}

// ArticleBySlug returns the published article at slug.
func (s *snapshot) ArticleBySlug(slug string) (*model.Article, bool) {
	a, ok := s.bySlug[slug]
	return a, ok
}

// RelatedIDs returns the recommendations the fingerprint of the article id
// recorded, if n is the number it asked for.
func (s *snapshot) RelatedIDs(id string, n int) ([]string, bool) {
	if n != relatedShown {
		return nil, false
	}
	ids, ok := s.related.Load(id)
	if !ok {
		return nil, false
	}
	return ids.([]string), true
}

// Memo returns the fragment kept for key, made by make the first time.
// Two pages asking at once may both make it; both get the first kept.
func (s *snapshot) Memo(key string, make func() string) string {
	if v, ok := s.memo.Load(key); ok {
		return v.(string)
	}
	v, _ := s.memo.LoadOrStore(key, make())
	return v.(string)
}
