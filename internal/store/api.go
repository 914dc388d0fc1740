package store

import (
	"time"
)

// ArticleQuery selects articles for a list page. The zero value lists every
// article of every status, newest first.
type ArticleQuery struct {
	// PublishedAsOf, when set, restricts the list to articles a reader may
	// see at that instant: status published and PublishedAt <= PublishedAsOf.
	PublishedAsOf time.Time
	TagID         string
	AuthorID      string
	// From and To bound PublishedAt to [From, To) when non-zero.
	From, To time.Time
	Limit    int // 0 means no limit
	Offset   int
	// WithBody loads Body, BodyHTML and BodyText; lists usually leave them out.
	WithBody bool
	// WithoutSource, with WithBody, leaves Body, the Markdown source, out:
	// no public page shows it, and it is a third of an article's text.
	WithoutSource bool
}

// MonthCount is one line of the archive: how many articles a month has.
type MonthCount struct {
	Year  int
	Month time.Month
	Count int
}

// CorpusEntry is what the related-articles index needs of one published
// article.
type CorpusEntry struct {
	ID             string
	Slug           string
	Title          string
	ReadingMinutes int
	Summary        string
	BodyText       string
	PublishedAt    time.Time
	TagIDs         []string
}

// TagCount is a tag with the number of published articles carrying it.
type TagCount struct {
	Slug  string
	Name  string
	Count int
}
