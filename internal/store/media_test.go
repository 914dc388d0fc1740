package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func TestMedia(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		anna := mustUser(t, s, "anna@example.org", "editor")
		boris := mustUser(t, s, "boris@example.org", "contributor")

		first := store.Media{Key: "0123456789abcdef0123456789abcdef", Format: "jpeg", Width: 4000, Height: 3000,
			Sizes: []int{480, 800, 1200, 1600}, Bytes: 123456, Alt: "A square", Label: "IMG_0001.jpg", CreatedBy: anna.ID}
		if err := s.CreateMedia(ctx, &first); err != nil {
			t.Fatal(err)
		}
		if first.ID == "" || !first.CreatedAt.Equal(t0) {
			t.Fatalf("created = %+v", first)
		}
		clock.Advance(time.Minute)
		second := store.Media{Key: "fedcba9876543210fedcba9876543210", Format: "png", Width: 300, Height: 200,
			Bytes: 999, CreatedBy: boris.ID}
		if err := s.CreateMedia(ctx, &second); err != nil {
			t.Fatal(err)
		}

		got, err := s.Media(ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first, got); diff != "" {
			t.Errorf("Media (-created +read):\n%s", diff)
		}
		if got, err := s.MediaByKey(ctx, second.Key); err != nil || got.ID != second.ID || got.Sizes != nil {
			t.Errorf("MediaByKey = %+v, %v", got, err)
		}
		wantErr(t, func() error { _, err := s.Media(ctx, "no-such-id"); return err }(), model.ErrNotFound)

		for _, tc := range []struct {
			name string
			q    store.MediaQuery
			want []string
		}{
			{"all, newest first", store.MediaQuery{}, []string{second.ID, first.ID}},
			{"one uploader", store.MediaQuery{CreatedBy: anna.ID}, []string{first.ID}},
			{"paged", store.MediaQuery{Limit: 1, Offset: 1}, []string{first.ID}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				list, err := s.ListMedia(ctx, tc.q)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, m := range list {
					ids = append(ids, m.ID)
				}
				if diff := cmp.Diff(tc.want, ids); diff != "" {
					t.Errorf("ids (-want +got):\n%s", diff)
				}
			})
		}

		if err := s.SetMediaAlt(ctx, second.ID, "A chart"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Media(ctx, second.ID); got.Alt != "A chart" {
			t.Errorf("alt after SetMediaAlt = %q", got.Alt)
		}
		wantErr(t, s.SetMediaAlt(ctx, "no-such-id", "x"), model.ErrNotFound)

		dup := second
		wantErr(t, s.CreateMedia(ctx, &dup), model.ErrConflict)

		if err := s.DeleteMedia(ctx, second.ID); err != nil {
			t.Fatal(err)
		}
		wantErr(t, func() error { _, err := s.Media(ctx, second.ID); return err }(), model.ErrNotFound)
		wantErr(t, s.DeleteMedia(ctx, second.ID), model.ErrNotFound)
	})
}

func TestCreateMediaValidates(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	u := mustUser(t, s, "anna@example.org", "editor")
	valid := func() store.Media {
		return store.Media{Key: "0123456789abcdef0123456789abcdef", Format: "jpeg", Width: 1000, Height: 500,
			Sizes: []int{480, 800}, CreatedBy: u.ID}
	}
	for _, tc := range []struct {
		field  string
		change func(m *store.Media)
	}{
		{"key", func(m *store.Media) { m.Key = "" }},
		{"created_by", func(m *store.Media) { m.CreatedBy = "" }},
		{"format", func(m *store.Media) { m.Format = "svg" }},
		{"size", func(m *store.Media) { m.Height = 0 }},
		{"sizes", func(m *store.Media) { m.Sizes = []int{800, 480} }},
		{"sizes", func(m *store.Media) { m.Sizes = []int{480, 1000} }},
	} {
		t.Run(tc.field, func(t *testing.T) {
			m := valid()
			tc.change(&m)
			wantValidation(t, s.CreateMedia(t.Context(), &m), tc.field)
		})
	}
	m := valid()
	m.CreatedBy = "no-such-user"
	wantErr(t, s.CreateMedia(t.Context(), &m), model.ErrConflict)
}

func TestMediaUses(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		const lead, inBody, onPage, unused = "11111111111111111111111111111111", "22222222222222222222222222222222",
			"33333333333333333333333333333333", "44444444444444444444444444444444"
		a := published("story", t0)
		a.Authors = []model.Author{mustAuthor(t, s, "anna", "Anna")}
		a.LeadImage = &model.Image{URL: "/media/11/" + lead + ".jpg", Width: 10, Height: 10}
		a.Body = "![chart](/media/22/" + inBody + "-800.png)"
		if err := s.CreateArticle(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := s.CreatePage(ctx, &model.Page{Slug: "about", Title: "About", Body: "![](/media/33/" + onPage + ".jpg)"}); err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]int{lead: 1, inBody: 1, onPage: 1, unused: 0} {
			if n, err := s.MediaUses(ctx, key); err != nil || n != want {
				t.Errorf("MediaUses(%s) = %d, %v; want %d", key, n, err, want)
			}
		}
	})
}
