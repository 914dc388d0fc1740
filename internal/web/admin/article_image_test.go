package admin_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/media"
	"github.com/tamizdat/tamizdat/internal/store"
)

// sendArticle posts the article form as a browser does, multipart, with
// the page's form token, form's fields and, when data is not nil, a file
// in image_file.
func (b *browser) sendArticle(path string, form url.Values, fileName string, data []byte) *httptest.ResponseRecorder {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", b.csrf())
	for name, values := range form {
		for _, v := range values {
			mw.WriteField(name, v)
		}
	}
	if data != nil {
		fw, err := mw.CreateFormFile("image_file", fileName)
		if err != nil {
			b.t.Fatal(err)
		}
		fw.Write(data)
	}
	if err := mw.Close(); err != nil {
		b.t.Fatal(err)
	}
	return b.send(path, &buf, mw.FormDataContentType(), int64(buf.Len()))
}

// TestLeadImageFromTheArticleForm: the article form takes a lead image
// uploaded with it or picked from the library, with caption and credit; a
// refused file saves nothing; an image in the text gets its srcset from
// the library; the media library is in the menu.
func TestLeadImageFromTheArticleForm(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		b, _ := d.readyBrowser(t, "c@example.org", accounts.Contributor)
		if page := b.get("/admin/articles/new").Body.String(); !strings.Contains(page, `<a href="/admin/media">Media</a>`) ||
			!strings.Contains(page, `enctype="multipart/form-data"`) || !strings.Contains(page, `name="image_file"`) {
			t.Fatalf("the article form lacks the menu's Media entry or the image upload:\n%s", page)
		}

		// A refused file: nothing is stored, the text is kept.
		form := articleForm("Rescuers reach the village")
		form.Set("image_caption", "Rescuers on Tuesday.")
		w := b.sendArticle("/admin/articles", form, "photo.jpg", []byte("\x7fELF not an image"))
		wantStatus(t, w, http.StatusUnprocessableEntity)
		if !strings.Contains(w.Body.String(), "not a JPEG, PNG or WebP image") || !strings.Contains(w.Body.String(), "Rescuers on Tuesday.") {
			t.Errorf("the refused upload's page:\n%s", w.Body)
		}
		if items, err := d.store.ListMedia(t.Context(), store.MediaQuery{}); err != nil || len(items) != 0 {
			t.Fatalf("after a refused upload the library holds %v, %v", items, err)
		}

		// Uploaded with the form.
		form.Set("image_alt", "Two rescuers carry a boat")
		form.Set("image_credit", "Photo: A. Reader")
		w = b.sendArticle("/admin/articles", form, "boat.jpg", gpsJPEG(t, 1200, 800))
		m := savedArticle.FindStringSubmatch(w.Header().Get("Location"))
		if w.Code != http.StatusSeeOther || m == nil {
			t.Fatalf("saving with an upload: %d\n%s", w.Code, w.Body)
		}
		items, err := d.store.ListMedia(t.Context(), store.MediaQuery{})
		if err != nil || len(items) != 1 {
			t.Fatalf("the library holds %v, %v; want the upload", items, err)
		}
		upload := items[0]
		img := d.article(t, m[1]).Article.LeadImage
		if img == nil || img.URL != media.URL(upload) || img.Width != 1200 || img.Height != 800 ||
			img.Alt != "Two rescuers carry a boat" || img.Caption != "Rescuers on Tuesday." || img.Credit != "Photo: A. Reader" {
			t.Fatalf("the lead image is %+v; want the upload with the typed alt, caption and credit", img)
		}
		if upload.Alt != "Two rescuers carry a boat" || upload.Label != "boat.jpg" {
			t.Errorf("the library's record: %+v", upload)
		}

		// Picked from the library for a second article, which shows the
		// image in its text too.
		page := b.get("/admin/articles/new").Body.String()
		markdown := "![Two rescuers carry a boat](" + media.URL(upload) + ")"
		if !strings.Contains(page, `value="`+upload.ID+`"`) || !strings.Contains(page, markdown) {
			t.Fatalf("the picker lacks the upload or its Markdown:\n%s", page)
		}
		second := articleForm("The river falls")
		second.Set("image_pick", upload.ID)
		second.Set("body", "Before the text.\n\n"+markdown)
		w = b.sendArticle("/admin/articles", second, "", nil)
		m = savedArticle.FindStringSubmatch(w.Header().Get("Location"))
		if w.Code != http.StatusSeeOther || m == nil {
			t.Fatalf("saving with a picked image: %d\n%s", w.Code, w.Body)
		}
		rec := d.article(t, m[1]).Article
		if rec.LeadImage == nil || rec.LeadImage.URL != media.URL(upload) || rec.LeadImage.Alt != "Two rescuers carry a boat" {
			t.Errorf("the picked lead image is %+v", rec.LeadImage)
		}
		want := `srcset="` + media.Srcset(upload) + `" sizes="` + media.ColumnSizes + `" width="1200" height="800" loading="lazy"`
		if !strings.Contains(rec.BodyHTML, want) {
			t.Errorf("the image in the text is rendered as\n%s\nwant %s", rec.BodyHTML, want)
		}

		// Another contributor cannot pick it: the library is one's own.
		other, _ := d.readyBrowser(t, "other@example.org", accounts.Contributor)
		third := articleForm("Someone else's photo")
		third.Set("image_pick", upload.ID)
		other.get("/admin/articles/new")
		w = other.sendArticle("/admin/articles", third, "", nil)
		wantStatus(t, w, http.StatusUnprocessableEntity)
		if !strings.Contains(w.Body.String(), "no longer in the library") {
			t.Errorf("picking another's image:\n%s", w.Body)
		}
	})
}
