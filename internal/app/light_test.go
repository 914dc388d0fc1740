package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// longArticle writes a 2,000-word article whose paragraphs are all
// different, so compression cannot make it trivially small.
func longArticle(t *testing.T, st *store.Store) (slug, lastParagraph string) {
	t.Helper()
	words := strings.Fields("the ministry said on tuesday that talks would continue in riyadh next week although officials in kyiv and moscow gave differing accounts of what had been agreed during the long meeting between the two delegations who have met three times since february while fighting continued along the front line in the east of the country")
	var md strings.Builder
	n := 0
	for p := 0; n < 2000; p++ {
		var para []string
		for i := 0; i < 80 && n < 2000; i++ {
			para = append(para, words[(p*7+i*13+i*i)%len(words)])
			n++
		}
		para = append(para, fmt.Sprintf("(paragraph %d).", p+1))
		lastParagraph = strings.Join(para, " ")
		md.WriteString(lastParagraph + "\n\n")
	}
	r, err := content.Render(md.String())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	authors, err := st.ListAuthors(ctx)
	if err != nil || len(authors) == 0 {
		t.Fatal("no authors", err)
	}
	a := &model.Article{
		Slug: "a-long-read", Title: "A Long Read for Throttled Connections", Summary: "Two thousand words.",
		Body: md.String(), BodyHTML: r.HTML, BodyText: r.Text, ReadingMinutes: content.ReadingMinutes(r.Text),
		Status: model.StatusPublished, Language: "en", TimeZone: "UTC",
		PublishedAt: time.Now().Add(-time.Hour), Authors: authors[:1],
		LeadImage: &model.Image{URL: "/media/demo/diplomats.jpg", Alt: "A photo", Caption: "A caption.", Credit: "A credit", Width: 1200, Height: 800},
	}
	if err := st.CreateArticle(ctx, a); err != nil {
		t.Fatal(err)
	}
	return a.Slug, lastParagraph
}

// TestLightArticlePage checks requirement C8: the article page with its CSS
// is under 50 KB uncompressed, under 16 KB on the wire, and the last
// paragraph of a 2,000-word article arrives within the first 16 KB.
func TestLightArticlePage(t *testing.T) {
	st := storetest.New(t)
	h, refresh := demoSite(t, st)
	slug, last := longArticle(t, st)
	ctx := context.Background()
	v, err := st.ContentVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := refresh(ctx, v); err != nil {
		t.Fatal(err)
	}

	plain := get(h, "/articles/"+slug)
	if plain.Code != 200 {
		t.Fatalf("status %d", plain.Code)
	}
	css := regexp.MustCompile(`href="\.\./(static/[^"]+\.css)"`).FindStringSubmatch(plain.Body.String())
	if css == nil {
		t.Fatal("no stylesheet link")
	}
	sheet := get(h, "/"+css[1])
	if total := plain.Body.Len() + sheet.Body.Len(); total > 50*1024 {
		t.Errorf("HTML %d + CSS %d = %d bytes uncompressed, over 50 KB", plain.Body.Len(), sheet.Body.Len(), total)
	}

	for _, enc := range []string{"gzip", "br"} {
		t.Run(enc, func(t *testing.T) {
			w := get(h, "/articles/"+slug, "Accept-Encoding", enc)
			var head bytes.Buffer
			fmt.Fprintf(&head, "HTTP/1.1 200 OK\r\n")
			w.Result().Header.Write(&head)
			head.WriteString("\r\n")
			wire := head.Len() + w.Body.Len()
			t.Logf("%s: %d header + %d body = %d bytes on the wire (%d uncompressed)", enc, head.Len(), w.Body.Len(), wire, plain.Body.Len())
			if wire > 16*1024 {
				t.Errorf("%d bytes on the wire, over 16 KB", wire)
			}
			if enc != "gzip" {
				return
			}
			// What a connection cut after 16 KB delivers must hold the end of the text.
			budget := 16*1024 - head.Len()
			zr, err := gzip.NewReader(bytes.NewReader(w.Body.Bytes()[:min(budget, w.Body.Len())]))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(zr) // a truncated stream ends in an error after what it could decode
			if !strings.Contains(string(got), last) {
				t.Error("the last paragraph does not arrive within the first 16 KB")
			}
		})
	}

	css2 := get(h, "/"+css[1], "Accept-Encoding", "gzip")
	if css2.Header().Get("Content-Encoding") != "gzip" {
		t.Error("the stylesheet is not served compressed")
	}
}
