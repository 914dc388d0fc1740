package api

import (
	"net/http"

	"github.com/tamizdat/tamizdat/internal/accounts"
)

// Public is the access of Content API routes: anyone, without a key.
const Public accounts.Permission = "public"

// Route is one endpoint and the permission a key needs for it. Finer rules
// (a contributor's key edits only the drafts it wrote) are in editorial.go.
type Route struct {
	Pattern string
	Perm    accounts.Permission
	handler handlerFunc
}

// table lists every endpoint of both APIs with its access on the same line.
// Anything not listed does not exist, except that every Content API path
// also answers CORS preflight (OPTIONS) requests.
func (a *API) table() []Route {
	const c, ad = "GET " + ContentPrefix, AdminPrefix
	return []Route{
		{c + "articles", Public, a.contentArticles},
		{c + "articles/{slug}", Public, a.contentArticle},
		{c + "tags", Public, a.contentTags},
		{c + "tags/{slug}", Public, a.contentTag},
		{c + "authors", Public, a.contentAuthors},
		{c + "authors/{slug}", Public, a.contentAuthor},
		{c + "pages", Public, a.contentPages},
		{c + "pages/{slug}", Public, a.contentPage},

		{"GET " + ad + "key", accounts.PermWriteOwn, a.adminKey},
		{"GET " + ad + "articles", accounts.PermWriteOwn, a.adminArticles},
		{"POST " + ad + "articles", accounts.PermWriteOwn, a.adminCreateArticle},
		{"GET " + ad + "articles/{id}", accounts.PermWriteOwn, a.adminArticle},
		{"PATCH " + ad + "articles/{id}", accounts.PermWriteOwn, a.adminUpdateArticle},
		{"DELETE " + ad + "articles/{id}", accounts.PermWriteOwn, a.adminDeleteArticle},
		{"POST " + ad + "articles/{id}/publish", accounts.PermPublishOwn, a.adminPublishArticle},
		{"POST " + ad + "articles/{id}/unpublish", accounts.PermPublishOwn, a.adminUnpublishArticle},
		{"GET " + ad + "tags", accounts.PermWriteOwn, a.adminTags},
		{"POST " + ad + "tags", accounts.PermManageTags, a.adminCreateTag},
		{"PATCH " + ad + "tags/{id}", accounts.PermManageTags, a.adminUpdateTag},
		{"DELETE " + ad + "tags/{id}", accounts.PermManageTags, a.adminDeleteTag},
		{"GET " + ad + "authors", accounts.PermWriteOwn, a.adminAuthors},
		{"POST " + ad + "authors", accounts.PermManageAuthors, a.adminCreateAuthor},
		{"PATCH " + ad + "authors/{id}", accounts.PermManageAuthors, a.adminUpdateAuthor},
		{"DELETE " + ad + "authors/{id}", accounts.PermManageAuthors, a.adminDeleteAuthor},
		{"GET " + ad + "pages", accounts.PermWriteOwn, a.adminPages},
		{"POST " + ad + "pages", accounts.PermManagePages, a.adminCreatePage},
		{"PATCH " + ad + "pages/{id}", accounts.PermManagePages, a.adminUpdatePage},
		{"DELETE " + ad + "pages/{id}", accounts.PermManagePages, a.adminDeletePage},
	}
}

// guard serves an Admin API route to a key whose role has the route's
// permission; serveAdmin has authenticated the key already.
func (a *API) guard(rt Route) http.Handler {
	h := a.handle(rt.handler)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !keyOf(r).Role.Can(rt.Perm) {
			a.fail(w, r, &Error{Status: http.StatusForbidden, Code: "forbidden",
				Message: "This key's role (" + string(keyOf(r).Role) + ") may not do this."})
			return
		}
		h.ServeHTTP(w, r)
	})
}
