package site

import (
	"fmt"
	"html/template"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/web"
	"github.com/tamizdat/tamizdat/internal/web/layout"
)

// Layout is what every page's frame needs: the frame all reader pages
// share, and what the site adds to its head.
type Layout struct {
	layout.Frame
	Description string
	Canonical   string // absolute URL on the main site, when configured
	// AbsRoot is the absolute site root, ending in a slash, for the few
	// places that need absolute URLs (sharing metadata): the main site
	// when configured, else the host the request came through.
	AbsRoot string
}

// Card is an article in a list: headline, summary and reading time.
type Card struct {
	URL            string // relative to the site root
	Title          string
	Summary        string
	Date           Date
	ReadingMinutes int
	Authors        []model.Author
	Lang           string
	// Image is the lead image of the first article on a list's first
	// page, the lead story; nil on other cards, which stay text only.
	Image *model.Image
}

// Date is a moment shown to readers in the newsroom's time zone.
type Date struct {
	ISO  string // for <time datetime>
	Text string
}

// Pager links to neighbouring pages of a list.
type Pager struct {
	Page, Pages int
	Prev, Next  string // query strings, "" when there is none
}

type listView struct {
	Layout
	Heading string
	Intro   string
	Cards   []template.HTML // see renderCards
	Pager   Pager
}

type articleView struct {
	Layout
	Article   *model.Article
	Published Date
	Updated   *Date
	// Body is the article's text; with an inline appeal, the part before
	// it, and BodyRest the part after.
	Body     template.HTML
	BodyRest template.HTML
	Related  []template.HTML // see renderCards
	Appeal   *appealView     // nil when no appeal runs on the article
}

type pageView struct {
	Layout
	Page *model.Page
	Body template.HTML
}

type archiveView struct {
	Layout
	Years []archiveYear
}

type archiveYear struct {
	Year   int
	Months []archiveMonth
}

type archiveMonth struct {
	URL   string
	Name  string
	Count int
}

type errorView struct {
	Layout
	Status  int
	Message string
}

// layout fills the frame for a request to r.
func (s *Site) layout(r *http.Request, title, description string) Layout {
	st := s.currentSettings()
	l := Layout{
		Frame:       layout.Site(r.URL.Path, title, st),
		Description: description,
		AbsRoot:     s.canonicalBase(r) + "/",
	}
	l.Feeds = feedLinks(l.Root, "", st.SiteName)
	l.BannerAppeal = s.bannerFor(nil)
	l.Return = strings.TrimPrefix(r.URL.EscapedPath(), "/") // percent-encoded, as returnPath expects
	if q := r.URL.Query().Get("page"); q != "" && q != "1" && strings.Trim(q, "0123456789") == "" {
		l.Return += "?page=" + q
	}
	if s.baseURL != "" {
		l.Canonical = s.baseURL + r.URL.EscapedPath()
		if q := r.URL.Query().Get("page"); q != "" && q != "1" {
			l.Canonical += "?page=" + q
		}
	}
	if l.Description == "" {
		l.Description = st.SiteDescription
	}
	return l
}

func dateIn(t time.Time, loc *time.Location) Date {
	lt := t.In(loc)
	return Date{ISO: lt.Format(time.RFC3339), Text: lt.Format("January 2, 2006, 15:04 MST")}
}

func cardOf(a *model.Article) Card {
	return Card{
		URL:            "articles/" + a.Slug,
		Title:          a.Title,
		Summary:        a.Summary,
		Date:           dateIn(a.PublishedAt, a.Location()),
		ReadingMinutes: a.ReadingMinutes,
		Authors:        a.Authors,
		Lang:           a.Language,
	}
}

// maxPage bounds the page parameter so no arithmetic on it can overflow.
const maxPage = 100000

// pageParam reads ?page=N. An absent parameter is page 1; anything but a
// whole number from 1 to maxPage is the reader's mistake, told plainly.
func pageParam(r *http.Request) (int, error) {
	v := r.URL.Query().Get("page")
	if v == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPage {
		return 0, web.BadRequest(fmt.Sprintf("%q is not a page number. Use a whole number from 1 up, for example ?page=2.", v))
	}
	return n, nil
}

// pager checks page against the number of items and builds the links for
// the list at urlPath.
func pager(urlPath string, page, total int) (Pager, error) {
	pages := max(1, (total+PageSize-1)/PageSize)
	if page > pages {
		return Pager{}, web.NotFound(fmt.Sprintf("There is no page %d here; the last page is %d.", page, pages))
	}
	p := Pager{Page: page, Pages: pages}
	if page > 1 {
		p.Prev = "?page=" + strconv.Itoa(page-1)
		if page == 2 {
			// The first page's address has no query. Relative to
			// /tags/lavrov that is "lavrov"; only the front page is "./".
			p.Prev = "./"
			if base := path.Base(urlPath); base != "/" && base != "." {
				p.Prev = base
			}
		}
	}
	if page < pages {
		p.Next = "?page=" + strconv.Itoa(page+1)
	}
	return p, nil
}

var currencySymbols = map[string]string{"USD": "$", "EUR": "€", "GBP": "£"}

// money formats a whole amount in a currency: "$2", "€10", "500 CHF".
func money(currency string, amount int) string {
	if sym, ok := currencySymbols[currency]; ok {
		return sym + strconv.Itoa(amount)
	}
	return strconv.Itoa(amount) + " " + currency
}

func frequencyLabel(f model.Frequency) string {
	switch f {
	case model.Once:
		return "Once"
	case model.Monthly:
		return "Monthly"
	case model.Annual:
		return "Annual"
	}
	return string(f)
}

// byline joins names as a reader expects: "A", "A and B", "A, B and C".
func byline(authors []model.Author) []bylinePart {
	parts := make([]bylinePart, len(authors))
	for i, a := range authors {
		parts[i] = bylinePart{Author: a}
		switch {
		case i == len(authors)-1:
		case i == len(authors)-2:
			parts[i].Sep = " and "
		default:
			parts[i].Sep = ", "
		}
	}
	return parts
}

type bylinePart struct {
	Author model.Author
	Sep    string
}

// withOwnFeeds adds the feeds of a tag or author page to its head.
func (l Layout) withOwnFeeds(r *http.Request) Layout {
	page := strings.TrimPrefix(r.URL.EscapedPath(), "/")
	l.Feeds = append(l.Feeds, feedLinks(l.Root, page, l.Title+" — "+l.Settings.SiteName)...)
	return l
}
