package publishing

import (
	"context"
	"errors"

	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/media"
	"github.com/tamizdat/tamizdat/internal/model"
)

// renderFunc renders an article's or page's Markdown.
type renderFunc func(markdown string) (content.Rendered, error)

// renderer returns Render bound to ctx.
func (s *Service) renderer(ctx context.Context) renderFunc {
	return func(markdown string) (content.Rendered, error) { return s.Render(ctx, markdown) }
}

// Render renders an article's or page's Markdown as content.Render does,
// with every upload shown in the text given its responsive sizes and
// dimensions from the media library, so readers' browsers fetch the copy
// that fits their screen. The desk and the Admin API both render with it.
func (s *Service) Render(ctx context.Context, markdown string) (content.Rendered, error) {
	return content.RenderWith(markdown, func(src string) (content.Image, bool) {
		key, ok := media.KeyOf(src)
		if !ok {
			return content.Image{}, false
		}
		m, err := s.store.MediaByKey(ctx, key)
		if err != nil {
			if !errors.Is(err, model.ErrNotFound) {
				s.log.WarnContext(ctx, "look up an image in the text", "src", src, "err", err)
			}
			return content.Image{}, false // an unknown upload stays as written
		}
		return content.Image{Srcset: media.Srcset(m), Sizes: media.ColumnSizes, Width: m.Width, Height: m.Height}, true
	})
}
