package site

import (
	"net/http"
	"net/url"

	"github.com/tamizdat/tamizdat/internal/reach"
)

// reachView is the "How to reach us" page: every address the site has,
// with what a reader needs to use each.
type reachView struct {
	Layout
	// MainHost is the main site's host name, shown as text: a link to it
	// from a mirror would send readers back to the blocked address.
	MainHost   string
	Onion      string
	Mirrors    []reach.Alternative // live copies and proxies
	Static     []reach.Alternative // exported copies
	Newsletter bool
}

// reachPage answers reach.PagePath. It shows the settings alone, so the page
// cache drops it when the mirror list changes, as for any other edit.
func (s *Site) reachPage(w http.ResponseWriter, r *http.Request) error {
	st := s.currentSettings()
	view := reachView{
		Layout:     s.layout(r, "How to reach us", "Other addresses, Tor, feeds and the newsletter: ways to read "+st.SiteName+" when it is blocked."),
		Newsletter: st.Newsletter.Enabled,
	}
	if u, err := url.Parse(s.baseURL); err == nil {
		view.MainHost = u.Host
	}
	for _, alt := range reach.Alternatives(*st) {
		switch alt.Type {
		case "eotk":
			view.Onion = alt.URL
		case "static":
			view.Static = append(view.Static, alt)
		default:
			view.Mirrors = append(view.Mirrors, alt)
		}
	}
	return s.write(w, http.StatusOK, "reach", view)
}
