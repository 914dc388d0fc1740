package site

import (
	"context"
	"strings"
	"time"

	"golang.org/x/net/html"

	"github.com/tamizdat/tamizdat/internal/model"
)

// inlineAfterParagraphs is how many of the article's top-level paragraphs
// an inline appeal follows; a shorter article has it at the end.
const inlineAfterParagraphs = 3

// appealOn places the appeal that runs on the article of v, if any, with
// the part of its section that does not name the page rendered: a form
// of a dozen choices, most of an article page's template work. A
// request's snapshot keeps it for the export's other article pages.
func (s *Site) appealOn(ctx context.Context, v *articleView) error {
	ap := s.appealFor(v.Article)
	if ap != nil {
		key := "appeal\x00" + ap.ID + "\x00" + ap.UpdatedAt.Format(time.RFC3339Nano) + "\x00" + v.Root
		top, err := s.fragment(ctx, key, "article", "appeal-top", appealArgs(v.Root, "", ap))
		if err != nil {
			return err
		}
		ap.Top = top
	}
	v.placeAppeal(ap)
	return nil
}

// placeAppeal puts ap on the page at its placement; an inline appeal
// splits the body after its first paragraphs.
func (v *articleView) placeAppeal(ap *appealView) {
	v.Appeal = ap
	if ap == nil || ap.Placement != model.PlacementInline {
		return
	}
	at := afterParagraphs(string(v.Body), inlineAfterParagraphs)
	v.Body, v.BodyRest = v.Body[:at], v.Body[at:]
}

// afterParagraphs returns the offset in body just after its n-th
// top-level </p>, or len(body) when it has fewer.
func afterParagraphs(body string, n int) int {
	z := html.NewTokenizer(strings.NewReader(body))
	depth, seen, pos := 0, 0, 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return len(body)
		}
		pos += len(z.Raw())
		name, _ := z.TagName()
		switch {
		case tt == html.StartTagToken && !voidElements[string(name)]:
			depth++
		case tt == html.EndTagToken:
			depth--
			if depth == 0 && string(name) == "p" {
				if seen++; seen == n {
					return pos
				}
			}
		}
	}
}

// voidElements have no end tag, so they do not nest.
var voidElements = map[string]bool{"area": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}

// appealTemplateData is what the "appeal" template needs: the page's way
// back to the site root and what to return to after "Remind me later".
type appealTemplateData struct {
	Root   string
	Return string
	Appeal *appealView
}

func appealArgs(root, ret string, ap *appealView) appealTemplateData {
	return appealTemplateData{Root: root, Return: ret, Appeal: ap}
}
