// Package layout is the frame every reader-facing page shares — the news
// site, the newsletter pages and the donation pages: the head, the
// masthead with the site's name and navigation, the donation banner and the
// footer with the link to the "How to reach us" page. There is one
// template, so the sections cannot drift apart; each section parses it with
// its own templates (render.New's base) and embeds a Frame in its views.
//
// The template needs an "asset" function (assets.Set.Path). A section may
// fill three blocks: "meta", written before the referrer policy; "head",
// written last in the head; and "note", the footer's line on what the
// section keeps about its readers.
package layout

import (
	"embed"
	"io/fs"
	"strings"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/reach"
)

//go:embed _layout.html
var files embed.FS

// Files holds the layout's template, defining "page".
var Files fs.FS = files

// Link is a link in the masthead or the footer.
type Link struct {
	Path string // from the site root; "" is the front page
	Text string
}

// FeedLink is a feed a page advertises in its head.
type FeedLink struct {
	Href  string // relative to the page
	Type  string // the MIME type without parameters
	Title string
}

// Frame is what the layout shows around a page's content.
type Frame struct {
	// Root is the relative path from the page to the site root ("./",
	// "../", …). Every link is written relative to it, so the same page
	// works under any host name and any folder: mirrors, onion services and
	// static copies never send a reader back to a blocked address.
	Root     string
	Title    string
	Lang     string
	Settings *model.Settings
	Feeds    []FeedLink // advertised in the head for feed readers
	// Private pages (those reached by a subscriber's link) ask search
	// engines not to index them.
	Private bool
	// Script loads support.js, which the donation forms and appeals use.
	Script bool
	// Banner shows the donation banner: BannerAppeal when one runs, else
	// the settings' banner when they turn it on.
	Banner       bool
	BannerAppeal *model.Appeal
	// Return is the page's own address relative to the site root, where
	// the banner's "Remind me later" sends the reader back to.
	Return string
	Nav    []Link
	Footer []Link // the last is always the "How to reach us" page
}

// LayoutFrame returns f. Every view embeds a Frame, and the template reads
// it through this method, once a page: text/template finds a field of an
// embedded struct by searching the view's fields anew each time, which
// for the frame's dozens of uses a page was a noticeable part of
// rendering one.
func (f Frame) LayoutFrame() Frame { return f }

// Site is the frame of a news site page at urlPath.
func Site(urlPath, title string, settings *model.Settings) Frame {
	f := siteFrame(urlPath, title, settings)
	f.Banner = true
	return f
}

// Support is the frame of a donation page: the news site's, without the
// banner that would ask a reader already on the donation page to donate.
func Support(urlPath, title string, settings *model.Settings) Frame {
	return siteFrame(urlPath, title, settings)
}

func siteFrame(urlPath, title string, settings *model.Settings) Frame {
	return Frame{
		Root: RootFor(urlPath), Title: title, Lang: settings.Language, Settings: settings, Script: true,
		Nav:    []Link{{"", "Latest"}, {"archive", "Archive"}, {"about", "About"}},
		Footer: withReach(Link{"about", "About"}, Link{"privacy-policy", "Privacy Policy"}, Link{"archive", "Archive"}),
	}
}

// Newsletter is the frame of a newsletter page at urlPath; private is set
// for the pages a subscriber's link leads to.
func Newsletter(urlPath, title string, settings *model.Settings, private bool) Frame {
	return Frame{
		Root: RootFor(urlPath), Title: title, Lang: settings.Language, Settings: settings, Private: private,
		Nav: []Link{{"", "Latest"}, {"archive", "Archive"}, {"newsletter", "Newsletters"}},
		Footer: withReach(Link{"newsletter", "Newsletters"}, Link{"newsletter/archive", "Past issues"},
			Link{settings.Newsletter.PolicySlug, "Privacy Policy"}),
	}
}

// withReach ends a footer with the "How to reach us" page, which every
// page links to: a reader who finds one address blocked learns the others.
func withReach(links ...Link) []Link {
	return append(links, Link{strings.TrimPrefix(reach.PagePath, "/"), "How to reach us"})
}

// RootFor returns the relative path from a page at urlPath to the site
// root.
func RootFor(urlPath string) string {
	depth := strings.Count(strings.TrimPrefix(urlPath, "/"), "/")
	if depth == 0 {
		return "./"
	}
	return strings.Repeat("../", depth)
}
