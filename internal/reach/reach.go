// Package reach keeps the site reachable when its main address is blocked:
// it decides which host names the site answers on (the main one, the
// configured mirrors and the onion service), tells Tor Browser about the
// onion service with the Onion-Location header, and publishes the mirror
// list in the JSON shape circumvention tools already read.
package reach

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// Policy is the set of addresses the site answers on. Its mirrors and
// onion service come from the site settings and change at run time.
type Policy struct {
	main  *url.URL // from --base-url; nil in development, when any host is served
	admin string   // host of the desk, when it has its own
	state atomic.Pointer[state]
}

type state struct {
	settings     model.Settings
	onion        *url.URL
	alternatives []Alternative
	hosts        map[string]bool // lower-case host names the site answers on
}

// New builds a policy for the main site address and the desk address;
// either may be empty.
func New(baseURL, adminURL string) (*Policy, error) {
	p := &Policy{}
	if baseURL != "" {
		u, err := url.Parse(baseURL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("reach: base URL %q is not an absolute URL", baseURL)
		}
		p.main = u
	}
	if adminURL != "" {
		u, err := url.Parse(adminURL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("reach: admin URL %q is not an absolute URL", adminURL)
		}
		p.admin = strings.ToLower(u.Hostname())
	}
	p.Update(model.Settings{})
	return p, nil
}

// Update takes the mirrors and onion address from new settings.
func (p *Policy) Update(s model.Settings) {
	st := &state{settings: s, alternatives: Alternatives(s), hosts: map[string]bool{}}
	if p.main != nil {
		st.hosts[strings.ToLower(p.main.Hostname())] = true
	}
	if p.admin != "" {
		st.hosts[p.admin] = true
	}
	if s.OnionURL != "" {
		if u, err := url.Parse(s.OnionURL); err == nil {
			st.onion = u
			st.hosts[strings.ToLower(u.Hostname())] = true
		}
	}
	for _, m := range s.Mirrors {
		if u, err := url.Parse(m.URL); err == nil {
			st.hosts[strings.ToLower(u.Hostname())] = true
		}
	}
	p.state.Store(st)
}

// requestHost is the host name a request was addressed to, without port.
func requestHost(r *http.Request) string { return hostname(r.Host) }

// hostname is a host and port's name without port or trailing dot, in
// lower case.
func hostname(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		hostport = h
	}
	return strings.ToLower(strings.TrimSuffix(hostport, "."))
}

// RequestBase is the absolute site root as the reader reached it, without
// a trailing slash, for what must name absolute URLs on the host the reader
// came through (feeds, the mirror list). A host that mainURL or s name (the
// main site, the onion service or a mirror) gets its configured address,
// which knows the scheme a TLS-terminating proxy hides and the folder a
// mirror may serve the site under; any other host gets the scheme and host
// of the request.
func RequestBase(r *http.Request, mainURL string, s model.Settings) string {
	host := requestHost(r)
	configured := []string{mainURL, s.OnionURL}
	for _, m := range s.Mirrors {
		configured = append(configured, m.URL)
	}
	for _, c := range configured {
		if u, err := url.Parse(c); err == nil && u.Host != "" && hostname(u.Host) == host {
			return strings.TrimSuffix(c, "/")
		}
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + strings.ToLower(r.Host)
}

// IsOnion reports whether the request came through the onion service.
func IsOnion(r *http.Request) bool {
	return strings.HasSuffix(requestHost(r), ".onion")
}

// Middleware refuses requests for host names the site is not configured
// to answer on, and adds Onion-Location to responses on clearnet hosts. A
// refusal is 421 Misdirected Request: the site never redirects a reader to
// another address, which could be the blocked one.
func (p *Policy) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := p.state.Load()
		host := requestHost(r)
		// Health checks from a load balancer use whatever address it has.
		if p.main != nil && !st.hosts[host] && r.URL.Path != "/healthz" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusMisdirectedRequest)
			fmt.Fprintf(w, "This site is not served under the name %q. If you run a mirror of it, ask its editors to add your address to the mirror list.\n", host)
			return
		}
		if st.onion != nil && !strings.HasSuffix(host, ".onion") {
			w.Header().Set("Onion-Location", st.onion.Scheme+"://"+st.onion.Host+strings.TrimSuffix(st.onion.Path, "/")+r.URL.RequestURI())
		}
		next.ServeHTTP(w, r)
	})
}

// MirrorList is the published list of the site's addresses, in the
// version 2 shape of the mirror lists that circumvention tools (browser
// extensions, link rotators) read.
type MirrorList struct {
	Version string       `json:"version"`
	Sites   []MirrorSite `json:"sites"`
}

// MirrorSite is one site of a mirror list.
type MirrorSite struct {
	MainDomain   string        `json:"main_domain"`
	Alternatives []Alternative `json:"available_alternatives"`
	// ReachPage is the site's page on how to reach it (PagePath), on the
	// host the list was fetched through, for people reading the list; tools
	// that know only the version 2 fields pass over it.
	ReachPage string `json:"reach_page"`
}

// Alternative is one other address of the site.
type Alternative struct {
	Proto     string `json:"proto"` // https, http or tor
	Type      string `json:"type"`  // mirror, static, proxy, or eotk for an onion service
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	URL       string `json:"url"`
}

// Mirrors returns the configured mirrors, as Alternatives orders them.
func (p *Policy) Mirrors() []Alternative { return p.state.Load().alternatives }

// Alternatives lists the addresses in s other than the main one: the
// onion service first, then the mirrors in the order they were added.
func Alternatives(s model.Settings) []Alternative {
	var out []Alternative
	if s.OnionURL != "" {
		out = append(out, Alternative{Proto: "tor", Type: "eotk", URL: s.OnionURL})
	}
	mirrors := slices.Clone(s.Mirrors)
	slices.SortStableFunc(mirrors, func(a, b model.Mirror) int { return a.AddedAt.Compare(b.AddedAt) })
	for _, m := range mirrors {
		proto := "https"
		if strings.HasPrefix(m.URL, "http://") {
			proto = "http"
		}
		at := m.AddedAt.UTC().Format(time.RFC3339)
		out = append(out, Alternative{Proto: proto, Type: m.Type, CreatedAt: at, UpdatedAt: at, URL: m.URL})
	}
	return out
}

// MainDomain is the host name of the main site, or "" when none is set.
func (p *Policy) MainDomain() string {
	if p.main == nil {
		return ""
	}
	return p.main.Hostname()
}

// ServeMirrorList answers GET MirrorListPath.
func (p *Policy) ServeMirrorList(w http.ResponseWriter, r *http.Request) {
	main := ""
	if p.main != nil {
		main = p.main.String()
	}
	st := p.state.Load()
	page := RequestBase(r, main, st.settings) + PagePath
	list := MirrorList{Version: "2.0", Sites: []MirrorSite{{MainDomain: p.MainDomain(), Alternatives: st.alternatives, ReachPage: page}}}
	if list.Sites[0].Alternatives == nil {
		list.Sites[0].Alternatives = []Alternative{}
	}
	body, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		http.Error(w, "cannot encode the mirror list", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*") // tools read it from anywhere
	w.Write(append(body, '\n'))
}
