package media

import (
	"html/template"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

func TestSrcset(t *testing.T) {
	t.Parallel()
	key := "ab" + strings.Repeat("0", 30)
	m := store.Media{Key: key, Format: "jpeg", Width: 1000, Height: 500, Sizes: []int{480, 800}}
	want := "/media/ab/" + key + "-480.jpg 480w, /media/ab/" + key + "-800.jpg 800w, /media/ab/" + key + ".jpg 1000w"
	if got := Srcset(m); got != want {
		t.Errorf("Srcset = %q, want %q", got, want)
	}
	if got := URL(m); got != "/media/ab/"+key+".jpg" {
		t.Errorf("URL = %q", got)
	}
	if got := ImageSrcset("../", Image(m)); got != strings.ReplaceAll(want, "/media/", "../media/") {
		t.Errorf("ImageSrcset with a relative root = %q", got)
	}

	// The site knows only the lead image's URL and width: what it derives
	// must be what the upload stored, for every size of original.
	for _, width := range []int{300, 480, 481, 800, 1599, 1600, 1601, 4000} {
		var sizes []int
		for _, w := range Widths {
			if w < width {
				sizes = append(sizes, w)
			}
		}
		for _, format := range []string{"jpeg", "png"} {
			m := store.Media{Key: key, Format: format, Width: width, Height: 100, Sizes: sizes}
			if diff := cmp.Diff(Variants(m), ImageVariants(Image(m))); diff != "" {
				t.Errorf("%d-wide %s: ImageVariants differs from the stored files (-stored +derived):\n%s", width, format, diff)
			}
		}
	}

	for _, img := range []model.Image{
		{URL: "/media/2025/03/lavrov.jpg", Width: 1600},                   // a demo image
		{URL: "https://example.org/media/ab/" + key + ".jpg", Width: 800}, // another site
		{URL: "/media/ab/" + key + "-480.jpg", Width: 480},                // already a copy
		{URL: "/media/ab/" + key + ".jpg"},                                // width unknown
	} {
		if vs := ImageVariants(img); vs != nil {
			t.Errorf("ImageVariants(%+v) = %v, want nil", img, vs)
		}
		if s := ImageSrcset("/", img); s != "" {
			t.Errorf("ImageSrcset(%+v) = %q, want empty", img, s)
		}
	}
}

// TestSrcsetInTemplate renders the lead image the way the site's article
// template should (see ImageSrcset): html/template must pass the value
// through unharmed, from the *model.Image an article holds.
func TestSrcsetInTemplate(t *testing.T) {
	t.Parallel()
	tmpl := template.Must(template.New("img").Funcs(template.FuncMap{"srcset": ImageSrcset}).Parse(
		`{{with .Image}}<img src="{{$.Root}}x"{{with srcset $.Root .}} srcset="{{.}}"{{end}}>{{end}}`))
	key := "cd" + strings.Repeat("1", 30)
	for _, tc := range []struct {
		root string
		img  *model.Image
		want string
	}{
		{"../", &model.Image{URL: "/media/cd/" + key + ".png", Width: 900},
			`srcset="../media/cd/` + key + `-480.png 480w, ../media/cd/` + key + `-800.png 800w, ../media/cd/` + key + `.png 900w"`},
		{"./", &model.Image{URL: "/media/2025/03/lavrov.jpg", Width: 1600}, `<img src="./x">`},
	} {
		var out strings.Builder
		if err := tmpl.Execute(&out, struct {
			Root  string
			Image *model.Image
		}{tc.root, tc.img}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), tc.want) {
			t.Errorf("rendered %s, want it to contain %s", out.String(), tc.want)
		}
	}
}
