// Package api serves tamizdat's JSON APIs under /api/v1.
//
// # Content API
//
// /api/v1/content/… is public and read-only: what a reader can see on the
// site at the moment of the request, and nothing else. Drafts, scheduled
// articles, articles dated in the future, and tags and bylines that only
// such articles carry answer 404 like things that do not exist.
//
//	GET /api/v1/content/articles           newest first; ?tag= ?author= (slugs) ?lang= ?since= ?until= ?limit= ?cursor=
//	GET /api/v1/content/articles/{slug}    one article, with its plain text; a published article's former slug answers 301 to its current one
//	GET /api/v1/content/tags               tags with published articles, most used first
//	GET /api/v1/content/tags/{slug}
//	GET /api/v1/content/authors            bylines with published articles, by name
//	GET /api/v1/content/authors/{slug}
//	GET /api/v1/content/pages              static pages
//	GET /api/v1/content/pages/{slug}
//
// since and until are RFC 3339 dates (2025-03-14, a whole day in UTC) or
// date-times (2025-03-14T09:30:00+02:00); both bounds are inclusive. limit
// is 1 to 100 (default 15). Lists answer {"articles":[…],"meta":{"limit":15,
// "next":"…"}}: pass next back as cursor for the following page; it is
// null on the last. A cursor is a position (the publication time and ID of
// the last article seen), so pages neither skip nor repeat articles when
// new ones are published meanwhile.
//
// Answers allow any origin (CORS, with preflight), carry an ETag (a hash
// of the body) and Cache-Control: public, max-age=60; a request with a
// matching If-None-Match gets 304 Not Modified.
//
// # Admin API
//
// /api/v1/admin/… writes the same resources for programs. It answers only
// on the desk's host, and only to "Authorization: Bearer tzk_<id>_<secret>"
// with a key an admin made (tamizdat apikey create). A request with cookies
// is refused: the API never acts on a browser's session.
//
//	GET    /api/v1/admin/key                      the calling key: id, name, role, expiry, may_publish
//	GET    /api/v1/admin/articles                 every status, newest created first; ?status= ?limit= ?cursor=
//	POST   /api/v1/admin/articles                 create: title, slug, summary, markdown, language, time_zone,
//	                                              lead_image, authors and tags (slugs), status, published_at
//	GET    /api/v1/admin/articles/{id}
//	PATCH  /api/v1/admin/articles/{id}            change the members given; null lead_image removes it
//	DELETE /api/v1/admin/articles/{id}
//	POST   /api/v1/admin/articles/{id}/publish    optional {"published_at":…}: a future time schedules
//	POST   /api/v1/admin/articles/{id}/unpublish  back to draft
//	GET, POST /api/v1/admin/tags; PATCH, DELETE /api/v1/admin/tags/{id}
//	GET, POST /api/v1/admin/authors; PATCH, DELETE /api/v1/admin/authors/{id}
//	GET, POST /api/v1/admin/pages; PATCH, DELETE /api/v1/admin/pages/{id}
//
// A key's role scopes it as on the desk: contributor keys write and edit
// their own drafts; author keys also publish, schedule and unpublish their
// own articles; editor keys do that to every article and manage tags,
// bylines and pages. Keys are never admins. On the desk, publishing,
// scheduling, unpublishing and changing or deleting a public or scheduled
// article need a fresh second-factor proof, which a program cannot give:
// a key does them only if it was made with --may-publish (its may_publish
// is true); otherwise they answer 403 and the key writes drafts only.
// Markdown is rendered and sanitized exactly as the desk's is. Every
// write is in the audit log under the actor "apikey:<id>", every publish
// included. A PATCH applies its members to the record as it reads it;
// when someone else saves the record between that read and the PATCH's
// save, it answers 409 (conflict) and changes nothing: retry it.
//
// Articles follow the desk's rules (package publishing), and a refusal
// carries the desk's words. A slug asked for is made as the desk makes a
// typed one ("Выборы в Думе" becomes "vybory-v-dume") and must be free;
// without one, the headline makes one, numbered if taken. A lead image is
// a path under /media/ with alt text, and width and height both or
// neither. On create, a draft keeps published_at as its planned time;
// status published publishes now, or backdated to a past published_at,
// and a published_at still to come schedules the article, as /publish
// does; status scheduled needs a time to come. An edit of a published
// article keeps its time and sets updated_at.
//
// # Errors
//
// Every failure of either API answers with one JSON shape and a status
// that says what happened:
//
//	{"error":{"code":"validation_failed","message":"…","field":"title","fields":{"title":"…"}}}
//
// code is stable: bad_request (400, a parameter or body the client must
// fix, named in field), unauthorized (401), forbidden (403), not_found
// (404), method_not_allowed (405), conflict (409), payload_too_large
// (413), unsupported_media_type (415), validation_failed (422, with every
// problem in fields), too_many_requests (429, a key locked after failed
// attempts, with Retry-After), cookies_not_accepted (400) and
// internal_error (500). The message is safe to show to people and never
// carries an internal error. No answer of either API carries anything
// about staff accounts: bylines are their own records (requirement S8).
package api
