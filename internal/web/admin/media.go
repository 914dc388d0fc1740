package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/media"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web"
)

const (
	// uploadSlack is what an upload's body may hold besides the file: part
	// headers, the form token and the alternative text.
	uploadSlack = 64 << 10
	// uploadMemory is how much of an uploaded file is parsed in memory;
	// the rest is spooled to a temporary file, so that concurrent uploads
	// do not each hold the file twice in memory.
	uploadMemory = 1 << 20
	// uploadTime is how long an upload may take to arrive once the session
	// is checked: 20 MB over a poor connection, where the server's usual
	// read timeout would cut it off.
	uploadTime = 10 * time.Minute
	// mediaPage is how many uploads the library shows at once.
	mediaPage = 60
	// thumbWidth and previewWidth are the widths, in CSS pixels, of an
	// image in the library and on its own page.
	thumbWidth, previewWidth = 120, 800
	// auditMediaDeleted is the audit action of deleting an upload.
	auditMediaDeleted = "media_deleted"
)

// errNoMedia answers media routes on a desk built without a media service.
var errNoMedia = &web.Error{Status: http.StatusServiceUnavailable, Message: "Image uploads are not set up on this server."}

// bodyLimit is the most bytes a route's request body may carry: a file
// upload besides a long text when the route takes both (the article form).
func (a *Admin) bodyLimit(acc Access) int64 {
	text := int64(maxForm)
	if acc.LongText {
		text = maxTextForm
	}
	switch {
	case acc.Upload && a.media != nil && acc.LongText:
		return text + a.media.MaxBytes() + uploadSlack
	case acc.Upload && a.media != nil:
		return a.media.MaxBytes() + uploadSlack
	}
	return text
}

// readUpload prepares an upload for the guard's form-token check, after
// the session was checked: it refuses a body declared too large before
// reading any of it, gives the body time to arrive, and parses the form
// (whose token a multipart body carries). The returned function removes
// the spooled file.
func (a *Admin) readUpload(w http.ResponseWriter, r *http.Request, acc Access) (func(), error) {
	limit := a.bodyLimit(acc)
	if r.ContentLength > limit {
		return nil, a.uploadTooLarge()
	}
	// Not supported by every ResponseWriter (tests'); the server's own
	// timeout then applies.
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadTime))
	err := r.ParseMultipartForm(uploadMemory)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, a.uploadTooLarge()
	case err != nil && !errors.Is(err, http.ErrNotMultipart):
		return nil, &web.Error{Status: http.StatusBadRequest, Message: "The upload could not be read. Try again.", Cause: err}
	}
	return func() {
		if r.MultipartForm != nil {
			r.MultipartForm.RemoveAll()
		}
	}, nil
}

func (a *Admin) uploadTooLarge() error {
	if a.media == nil {
		return errNoMedia
	}
	rej := a.media.TooLarge()
	return &web.Error{Status: http.StatusRequestEntityTooLarge, Message: rej.Message, Cause: rej}
}

type mediaLibraryView struct {
	Layout
	Items   []mediaRow
	All     bool // the library lists everyone's uploads, not only the caller's
	Error   string
	Alt     string
	MaxSize string
	// Newer and Older are the neighbouring pages' numbers; -1 when none.
	Newer, Older int
}

type mediaRow struct {
	ID, Label, Alt, Size, When, By string
	Thumb                          displayed
}

// displayed is an image file with the size to show it at.
type displayed struct {
	URL           string
	Width, Height int
}

// fit picks the smallest file of m at least width pixels wide (or the
// largest there is) and scales its shown size down to width.
func fit(m store.Media, width int) displayed {
	vs := media.Variants(m)
	v := vs[len(vs)-1]
	for i := len(vs) - 1; i >= 0 && vs[i].Width >= width; i-- {
		v = vs[i]
	}
	w := min(width, m.Width)
	return displayed{URL: v.URL, Width: w, Height: max(1, m.Height*w/m.Width)}
}

// mediaLibrary shows the upload form and the uploads: everyone's to
// editors, one's own to contributors and authors.
func (a *Admin) mediaLibrary(w http.ResponseWriter, r *http.Request) error {
	return a.renderLibrary(w, r, http.StatusOK, "", "")
}

func (a *Admin) renderLibrary(w http.ResponseWriter, r *http.Request, status int, problem, alt string) error {
	if a.media == nil {
		return errNoMedia
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = min(max(page, 0), 100_000) // bounded, so the offset cannot overflow
	q, all := libraryQuery(r, mediaPage+1, page*mediaPage)
	items, err := a.media.List(r.Context(), q)
	if err != nil {
		return err
	}
	view := mediaLibraryView{Layout: a.layout(r, "Media library"), All: all, Error: problem, Alt: alt,
		MaxSize: a.media.MaxSize(), Newer: page - 1, Older: -1}
	if len(items) > mediaPage {
		view.Older = page + 1
	}
	emails := map[string]string{}
	if all {
		if emails, err = a.userEmails(r); err != nil {
			return err
		}
	}
	for _, m := range items[:min(len(items), mediaPage)] {
		view.Items = append(view.Items, mediaRow{ID: m.ID, Thumb: fit(m, thumbWidth), Label: m.Label, Alt: m.Alt,
			Size: fmt.Sprintf("%d × %d", m.Width, m.Height), When: when(m.CreatedAt), By: emails[m.CreatedBy]})
	}
	return a.write(w, status, "media", view)
}

// userEmails maps every desk account's ID to its email, for pages that
// name who did something.
func (a *Admin) userEmails(r *http.Request) (map[string]string, error) {
	users, err := a.store.ListUsers(r.Context())
	if err != nil {
		return nil, err
	}
	emails := map[string]string{}
	for _, u := range users {
		emails[u.ID] = u.Email
	}
	return emails, nil
}

// uploadMedia takes one image from the upload form. The guard has parsed
// the multipart body (readUpload).
func (a *Admin) uploadMedia(w http.ResponseWriter, r *http.Request) error {
	if a.media == nil {
		return errNoMedia
	}
	alt := r.PostFormValue("alt")
	file, header, err := r.FormFile("file")
	if err != nil {
		return a.renderLibrary(w, r, http.StatusBadRequest, "Choose a JPEG, PNG or WebP image to upload.", alt)
	}
	defer file.Close()
	m, err := a.media.Upload(r.Context(), media.Upload{Body: file, Name: header.Filename, Alt: alt, By: principal(r).User.ID})
	var rej *media.Rejection
	if errors.As(err, &rej) {
		return a.renderLibrary(w, r, rejectionStatus(rej), rej.Message, alt)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/admin/media/"+m.ID)
}

func rejectionStatus(rej *media.Rejection) int {
	switch {
	case errors.Is(rej, media.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(rej, media.ErrUnsupported):
		return http.StatusUnsupportedMediaType
	case errors.Is(rej, media.ErrInUse):
		return http.StatusConflict
	}
	return http.StatusUnprocessableEntity
}

type mediaItemView struct {
	Layout
	Item      store.Media
	Preview   displayed
	URL       string
	Srcset    string
	Variants  []media.Variant
	CanDelete bool
	Error     string
	Markdown  string // shows the image in an article's text
}

// ownMedia loads the upload named in the path if the caller may see it:
// editors see every upload, others only their own.
func (a *Admin) ownMedia(r *http.Request) (store.Media, error) {
	if a.media == nil {
		return store.Media{}, errNoMedia
	}
	m, err := a.media.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return store.Media{}, userError(err)
	}
	if p := principal(r); m.CreatedBy != p.User.ID && !p.Can(accounts.PermEditAll) {
		// As if it did not exist: IDs of others' uploads reveal nothing.
		return store.Media{}, userError(model.ErrNotFound)
	}
	return m, nil
}

func (a *Admin) mediaItem(w http.ResponseWriter, r *http.Request) error {
	m, err := a.ownMedia(r)
	if err != nil {
		return err
	}
	return a.renderItem(w, r, http.StatusOK, m, "")
}

func (a *Admin) renderItem(w http.ResponseWriter, r *http.Request, status int, m store.Media, problem string) error {
	title := m.Label
	if title == "" {
		title = "Image"
	}
	view := mediaItemView{Layout: a.layout(r, title), Item: m, Preview: fit(m, previewWidth), URL: media.URL(m), Srcset: media.Srcset(m),
		Variants: media.Variants(m), CanDelete: principal(r).Can(accounts.PermEditAll), Error: problem, Markdown: imageMarkdown(m)}
	return a.write(w, status, "media_item", view)
}

// setMediaAlt changes an upload's default alternative text.
func (a *Admin) setMediaAlt(w http.ResponseWriter, r *http.Request) error {
	m, err := a.ownMedia(r)
	if err != nil {
		return err
	}
	if err := a.store.SetMediaAlt(r.Context(), m.ID, strings.TrimSpace(r.PostFormValue("alt"))); err != nil {
		return userError(err)
	}
	return redirect(w, r, "/admin/media/"+m.ID)
}

// deleteMedia deletes an upload no article or page uses, and records it
// in the audit log.
func (a *Admin) deleteMedia(w http.ResponseWriter, r *http.Request) error {
	m, err := a.ownMedia(r)
	if err != nil {
		return err
	}
	_, err = a.media.Delete(r.Context(), m.ID)
	var rej *media.Rejection
	if errors.As(err, &rej) {
		return a.renderItem(w, r, rejectionStatus(rej), m, rej.Message)
	}
	if err != nil {
		return userError(err)
	}
	err = a.audit.Append(r.Context(), audit.Entry{Actor: principal(r).User.ID, Action: auditMediaDeleted, Target: m.ID,
		Detail: map[string]any{"key": m.Key, "label": m.Label}})
	if err != nil {
		return err
	}
	return redirect(w, r, "/admin/media")
}
