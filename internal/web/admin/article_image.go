package admin

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/media"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/store"
)

const (
	// pickerSize is how many of the newest images the article form offers.
	pickerSize = 24
	// previewThumb is the width, in CSS pixels, the form shows the lead
	// image at.
	previewThumb = 240
)

// pickRow is an image the article form offers as its lead image or for
// its text.
type pickRow struct {
	ID, Label, Alt string
	Thumb          displayed
	// Markdown shows the image in an article's text.
	Markdown string
}

// libraryQuery is the media query of what r's account sees in the library:
// everyone's uploads for editors, one's own for others.
func libraryQuery(r *http.Request, limit, offset int) (q store.MediaQuery, all bool) {
	p := principal(r)
	q = store.MediaQuery{Limit: limit, Offset: offset}
	all = p.Can(accounts.PermEditAll)
	if !all {
		q.CreatedBy = p.User.ID
	}
	return q, all
}

// pickable lists the newest images the article form offers.
func (a *Admin) pickable(r *http.Request) ([]pickRow, error) {
	if a.media == nil {
		return nil, nil
	}
	q, _ := libraryQuery(r, pickerSize, 0)
	items, err := a.media.List(r.Context(), q)
	if err != nil {
		return nil, err
	}
	rows := make([]pickRow, 0, len(items))
	for _, m := range items {
		rows = append(rows, pickRow{ID: m.ID, Label: m.Label, Alt: m.Alt, Thumb: fit(m, thumbWidth), Markdown: imageMarkdown(m)})
	}
	return rows, nil
}

// imageMarkdown is the Markdown that shows the upload m in a text, with
// its alternative text; the site adds its sizes when it renders the text.
func imageMarkdown(m store.Media) string {
	alt := strings.NewReplacer("[", "", "]", "", "\n", " ").Replace(m.Alt)
	return "![" + alt + "](" + media.URL(m) + ")"
}

// chooseImage applies the lead image the article form chose to d: a file
// sent with the form, which is added to the media library first (only
// when upload is set: previews store nothing), or an image picked from
// the library. The typed alternative text, caption and credit stay; the
// library's alternative text fills an empty one. It returns what is wrong
// by field; nothing is changed then.
func (a *Admin) chooseImage(r *http.Request, d *publishing.Draft, upload bool) (map[string]string, error) {
	var m store.Media
	switch file, header, err := r.FormFile("image_file"); {
	case err == nil && header.Size > 0 && upload:
		defer file.Close()
		if a.media == nil {
			return map[string]string{"image_file": errNoMedia.Message}, nil
		}
		m, err = a.media.Upload(r.Context(), media.Upload{Body: file, Name: header.Filename, Alt: strings.TrimSpace(d.Image.Alt),
			By: principal(r).User.ID})
		var rej *media.Rejection
		if errors.As(err, &rej) {
			return map[string]string{"image_file": rej.Message + " Nothing was saved."}, nil
		}
		if err != nil {
			return nil, err
		}
	case err == nil:
		file.Close()
		fallthrough
	default:
		id := r.PostFormValue("image_pick")
		if id == "" {
			return nil, nil
		}
		if a.media == nil {
			return map[string]string{"image_file": errNoMedia.Message}, nil
		}
		m, err = a.media.Get(r.Context(), id)
		if p := principal(r); errors.Is(err, model.ErrNotFound) || (err == nil && m.CreatedBy != p.User.ID && !p.Can(accounts.PermEditAll)) {
			return map[string]string{"image_file": "The picked image is no longer in the library. Pick another, or upload one."}, nil
		}
		if err != nil {
			return nil, err
		}
	}
	img := media.Image(m)
	d.Image.URL, d.Image.Width, d.Image.Height = img.URL, strconv.Itoa(img.Width), strconv.Itoa(img.Height)
	if strings.TrimSpace(d.Image.Alt) == "" {
		d.Image.Alt = img.Alt
	}
	return nil, nil
}

// shownImage is how the article form shows the lead image d names, at
// most a thumbnail wide and from the smallest copy that is wide enough;
// nil when there is none or it is not on our own /media/.
func shownImage(d publishing.ImageDraft) *displayed {
	if !strings.HasPrefix(d.URL, media.Prefix) || strings.Contains(d.URL, "..") {
		return nil
	}
	shown := &displayed{URL: d.URL, Width: previewThumb}
	w, errW := strconv.Atoi(d.Width)
	h, errH := strconv.Atoi(d.Height)
	if errW != nil || errH != nil || w <= 0 || h <= 0 {
		return shown
	}
	shown.Width = min(w, previewThumb)
	shown.Height = max(1, h*shown.Width/w)
	for _, v := range media.ImageVariants(model.Image{URL: d.URL, Width: w}) {
		if v.Width >= shown.Width {
			shown.URL = v.URL
			break
		}
	}
	return shown
}
