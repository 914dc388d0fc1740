package export

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/export/exporttest"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
	"github.com/tamizdat/tamizdat/internal/web/site"
)

// BenchmarkRenderPages renders and rewrites every page the test site
// lists, as an export's workers do, with a new snapshot each time so that
// nothing is kept from one round to the next. Its allocations, unlike its
// times, do not depend on how busy the machine is.
func BenchmarkRenderPages(b *testing.B) {
	ctx := context.Background()
	st := storetest.New(b)
	exporttest.Fill(b, st)
	src, err := NewSource(ctx, st, exporttest.BaseURL, nil, quietLog)
	if err != nil {
		b.Fatal(err)
	}
	inv, err := enumerate(ctx, src, time.Now(), "")
	if err != nil {
		b.Fatal(err)
	}
	base, _ := url.Parse(exporttest.BaseURL)
	rw := &rewriter{site: base, live: exporttest.BaseURL}
	c := newCrawl(src.Handler, base, rw, nil)
	b.ReportAllocs()
	for b.Loop() {
		snapCtx := site.WithSnapshot(ctx, newSnapshot(inv.snap.articles))
		for _, key := range inv.keys {
			res := c.fetch(snapCtx, key)
			out := newBuffer()
			rw.page(out, key, res.body.Bytes())
			releaseBuffer(out)
			releaseBuffer(res.body)
		}
	}
	b.ReportMetric(float64(len(inv.keys)), "pages/op")
}
