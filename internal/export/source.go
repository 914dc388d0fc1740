package export

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/tamizdat/tamizdat/internal/assets"
	"github.com/tamizdat/tamizdat/internal/demo"
	"github.com/tamizdat/tamizdat/internal/media"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/reach"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web/site"
)

// Source is the site an export copies.
type Source struct {
	// Store lists what the site holds: every article, tag, byline, month
	// and static page must be in the export, linked or not.
	Store *store.Store
	// Handler renders every address as the server answers it.
	Handler http.Handler
	// BaseURL is the main site's address, e.g. https://news.example:
	// requests carry its host and scheme, and links to it in content are
	// made relative. Empty means http://localhost.
	BaseURL string
	// Related returns the IDs of the n articles an article's page
	// recommends, in order, as the handler ranks them: the export hands
	// its answers to the handler, which then need not rank them again.
	// With it, an export after an edit renders only the article pages
	// whose recommendations changed; without it, an edit to any article
	// renders them all again.
	Related func(articleID string, n int) []string
	// Prepare, when set, is given the articles the export lists, before
	// any page is rendered: every article published as of the export,
	// with its HTML and plain text but not its Markdown source. The site
	// builds its related-articles index from them, rather than loading
	// them all a second time.
	Prepare func(ctx context.Context, articles []*model.Article) error
}

// NewSource returns what the server publishes for readers over st, as the
// server composes it — the site, its media and the mirror list — minus the
// page cache: an export asks for each page once, so the cache's
// ahead-of-time gzip and brotli would be work thrown away. The bytes of
// every response are the same. uploads serves the newsroom's uploaded
// images (see media.Service); nil means the site has none. The site reads
// its settings and builds its related-articles index in Prepare, which Run
// calls.
func NewSource(ctx context.Context, st *store.Store, baseURL string, uploads http.Handler, log *slog.Logger) (*Source, error) {
	if uploads == nil {
		uploads = http.NotFoundHandler()
	}
	set, err := assets.Load()
	if err != nil {
		return nil, err
	}
	s, err := site.New(site.Options{Store: st, Assets: set, Media: media.WithFiles(demo.Media, uploads), BaseURL: baseURL, Log: log})
	if err != nil {
		return nil, err
	}
	hosts, err := reach.New(baseURL, "")
	if err != nil {
		return nil, err
	}
	settings, err := st.Settings(ctx)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	hosts.Update(settings)
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+reach.MirrorListPath, hosts.ServeMirrorList)
	mux.Handle("/", s.Routes(func(h http.Handler) http.Handler { return h }))
	return &Source{Store: st, Handler: mux, BaseURL: baseURL, Related: s.RelatedIDs, Prepare: s.RefreshWith}, nil
}
