package newsletter

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	htmltemplate "html/template"
	"mime"
	"net/url"
	"strings"
	texttemplate "text/template"

	"github.com/tamizdat/tamizdat/internal/content"
	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/reach"
	"github.com/tamizdat/tamizdat/internal/store"
)

// issueContent is what an issue's email is made of.
type issueContent struct {
	SiteName, SiteURL string
	Language          string
	Newsletter        store.Newsletter
	Issue             store.Issue
	Articles          []*model.Article
}

// renderedIssue is an issue's email, rendered once for every recipient:
// each part is a template with slots for the recipient's manage and
// unsubscribe links.
type renderedIssue struct {
	subject    string
	text, html *tmail.Template
}

// manageMark and unsubscribeMark stand in for the recipient's links while
// the issue is rendered; they survive both templates' escaping unchanged.
const (
	manageMark      = "https://manage.invalid/RECIPIENT"
	unsubscribeMark = "https://unsubscribe.invalid/RECIPIENT"
)

// articleView is one article as the templates show it.
type articleView struct {
	Title, Summary, URL string
	// Paragraphs hold the full text when the newsletter carries it.
	Paragraphs []string
}

// issueView is the data of both templates.
type issueView struct {
	SiteName, SiteURL, Language string
	Newsletter, Subject         string
	// Note is the editor's note as text paragraphs; NoteHTML is the same
	// Markdown rendered as articles are.
	Note                []string
	NoteHTML            htmltemplate.HTML
	Articles            []articleView
	Manage, Unsubscribe string
	// Reach is the site's "How to reach us" page, for subscribers who
	// find the site blocked: email is often the one path still open.
	Reach string
}

// renderIssue renders the plain-text and HTML parts of an issue. The HTML
// loads nothing from anywhere: no images, no fonts, no tracking.
func renderIssue(c issueContent) (renderedIssue, error) {
	note, err := content.Render(c.Issue.Note)
	if err != nil {
		return renderedIssue{}, fmt.Errorf("newsletter: the editor's note: %w", err)
	}
	v := issueView{
		SiteName: c.SiteName, SiteURL: c.SiteURL, Language: c.Language,
		Newsletter: c.Newsletter.Name, Subject: c.Issue.Subject,
		Note: paragraphs(note.Text), NoteHTML: htmltemplate.HTML(note.HTML), // sanitized by content.Render
		Manage: manageMark, Unsubscribe: unsubscribeMark, Reach: c.SiteURL + reach.PagePath,
	}
	if v.Language == "" {
		v.Language = "en"
	}
	for _, a := range c.Articles {
		av := articleView{Title: a.Title, Summary: a.Summary, URL: c.SiteURL + "/articles/" + url.PathEscape(a.Slug)}
		if c.Newsletter.FullText {
			av.Paragraphs = paragraphs(a.BodyText)
		}
		v.Articles = append(v.Articles, av)
	}
	var text, page bytes.Buffer
	if err := textIssue.Execute(&text, v); err != nil {
		return renderedIssue{}, err
	}
	if err := htmlIssue.Execute(&page, v); err != nil {
		return renderedIssue{}, err
	}
	r := renderedIssue{subject: c.Issue.Subject}
	var ok1, ok2 bool
	r.text, ok1 = cutAtLinks(text.String())
	r.html, ok2 = cutAtLinks(page.String())
	if !ok1 || !ok2 {
		return renderedIssue{}, errors.New("newsletter: an issue template lacks the manage or unsubscribe link")
	}
	return r, nil
}

// cutAtLinks makes a rendered part a template with slots where the manage
// link and then the unsubscribe link go.
func cutAtLinks(part string) (*tmail.Template, bool) {
	head, rest, ok1 := strings.Cut(part, manageMark)
	middle, tail, ok2 := strings.Cut(rest, unsubscribeMark)
	return tmail.NewTemplate(head, middle, tail), ok1 && ok2
}

// message is the issue's email to one recipient, with their links.
func (r *renderedIssue) message(from, to, messageID, manage, unsubscribe string) *tmail.Message {
	return &tmail.Message{
		From: from, To: to, Subject: r.subject, MessageID: messageID,
		TextFill: r.text.Fill(manage, unsubscribe),
		HTMLFill: r.html.Fill(html.EscapeString(manage), html.EscapeString(unsubscribe)),
	}
}

// listID is the List-Id header (RFC 2919) of a newsletter: its name and
// slug under the sender's domain.
func listID(n store.Newsletter, domain string) string {
	name := mime.QEncoding.Encode("utf-8", n.Name)
	if name == n.Name {
		name = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(n.Name) + `"`
	}
	return name + " <" + n.Slug + "." + domain + ">"
}

// paragraphs splits text at blank lines, dropping empty paragraphs.
func paragraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

var textIssue = texttemplate.Must(texttemplate.New("text").Parse(`{{.Newsletter}} · {{.SiteName}}

{{.Subject}}
{{range .Note}}
{{.}}
{{end}}{{range $i, $a := .Articles}}
{{"—————"}}

{{$a.Title}}
{{with $a.Summary}}
{{.}}
{{end}}{{range $a.Paragraphs}}
{{.}}
{{end}}
Read on the site: {{$a.URL}}
{{end}}
{{"—————"}}
You receive {{.Newsletter}} because you subscribed at {{.SiteURL}}.
How to reach us if this site is blocked: {{.Reach}}
Change your newsletters, download or delete your data: {{.Manage}}
Unsubscribe: {{.Unsubscribe}}
`))

var htmlIssue = htmltemplate.Must(htmltemplate.New("html").Parse(`<!DOCTYPE html>
<html lang="{{.Language}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Subject}}</title>
</head>
<body style="margin:0;padding:0;background:#ffffff;">
<div style="max-width:640px;margin:0 auto;padding:16px;font-family:Georgia,'Times New Roman',serif;font-size:17px;line-height:1.5;color:#111111;">
<p style="margin:0 0 8px;font-family:Arial,sans-serif;font-size:13px;color:#555555;">{{.Newsletter}} · {{.SiteName}}</p>
<h1 style="margin:0 0 16px;font-size:26px;line-height:1.2;">{{.Subject}}</h1>
{{with .NoteHTML}}<div style="margin:0 0 12px;">{{.}}</div>
{{end}}{{range .Articles}}<hr style="border:0;border-top:1px solid #dddddd;margin:24px 0;">
<h2 style="margin:0 0 8px;font-size:21px;line-height:1.25;"><a href="{{.URL}}" style="color:#111111;">{{.Title}}</a></h2>
{{with .Summary}}<p style="margin:0 0 12px;color:#333333;"><em>{{.}}</em></p>
{{end}}{{range .Paragraphs}}<p style="margin:0 0 12px;">{{.}}</p>
{{end}}<p style="margin:0 0 12px;"><a href="{{.URL}}" style="color:#1a4d8f;">Read on the site</a></p>
{{end}}<hr style="border:0;border-top:1px solid #dddddd;margin:24px 0;">
<p style="font-family:Arial,sans-serif;font-size:13px;color:#555555;">You receive {{.Newsletter}} because you subscribed at <a href="{{.SiteURL}}" style="color:#555555;">{{.SiteName}}</a>. <a href="{{.Manage}}" style="color:#555555;">Change your newsletters, download or delete your data</a> · <a href="{{.Unsubscribe}}" style="color:#555555;">Unsubscribe</a>.</p>
<p style="font-family:Arial,sans-serif;font-size:13px;color:#555555;"><a href="{{.Reach}}" style="color:#555555;">How to reach us if this site is blocked</a></p>
</div>
</body>
</html>
`))
