package store_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func TestAppeals(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		if list, err := s.Appeals(ctx); err != nil || len(list) != 0 {
			t.Fatalf("Appeals of a new site = %v, %v; want none", list, err)
		}
		ap := model.DefaultAppeal("The Outlet")
		ap.Currencies, ap.Minimums = []string{"USD", "EUR"}, map[string]int{"USD": 2, "EUR": 3}
		ap.Amounts[model.Monthly] = []int{3, 5}
		ap.RiskNotice = "Giving from Russia **may be prosecuted**."
		if err := s.SaveAppeal(ctx, &ap); err != nil {
			t.Fatal(err)
		}
		if ap.ID == "" || !ap.CreatedAt.Equal(t0) || !ap.UpdatedAt.Equal(t0) {
			t.Fatalf("a saved appeal has ID %q, created %v, updated %v", ap.ID, ap.CreatedAt, ap.UpdatedAt)
		}
		got, err := s.Appeal(ctx, ap.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(ap, got); diff != "" {
			t.Errorf("stored appeal (-saved +read):\n%s", diff)
		}
		v := contentVersion(t, s)

		clock.Advance(time.Hour)
		war := model.Tag{Slug: "war", Name: "War"}
		if err := s.CreateTag(ctx, &war); err != nil {
			t.Fatal(err)
		}
		v = contentVersion(t, s)
		tagged := model.DefaultAppeal("The Outlet")
		tagged.Heading, tagged.Placement, tagged.Target = "For our war coverage", model.PlacementInline, model.Target{Kind: model.TargetTag, Value: war.ID}
		if err := s.SaveAppeal(ctx, &tagged); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
		ap.Active, ap.Heading = false, "A new headline"
		if err := s.SaveAppeal(ctx, &ap); err != nil {
			t.Fatal(err)
		}
		if v2 := contentVersion(t, s); v2 != v+2 {
			t.Errorf("content version after two more saves = %d, want %d: pages would not change", v2, v+2)
		}
		list, err := s.Appeals(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != ap.ID || list[0].Heading != "A new headline" || list[0].Active || !list[0].UpdatedAt.Equal(t0.Add(2*time.Hour)) ||
			list[1].Target != tagged.Target || list[1].Placement != model.PlacementInline {
			t.Errorf("Appeals = %+v; want the edited one first, then the tagged one", list)
		}

		bad := ap
		bad.Heading, bad.Currencies, bad.Target = " ", []string{"USD", "JPY"}, model.Target{Kind: model.TargetTag}
		bad.Amounts = map[model.Frequency][]int{model.Once: {1}}
		err = s.SaveAppeal(ctx, &bad)
		for _, field := range []string{"heading", "currencies", "target", "amounts_once", "amounts_monthly"} {
			wantValidation(t, err, field)
		}
		if got, _ := s.Appeal(ctx, ap.ID); got.Heading != "A new headline" {
			t.Errorf("a rejected save changed the appeal: %+v", got)
		}
		missing := model.DefaultAppeal("x")
		missing.ID = "no-such-appeal"
		wantErr(t, s.SaveAppeal(ctx, &missing), model.ErrNotFound)

		if err := s.DeleteAppeal(ctx, tagged.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.Appeal(ctx, tagged.ID)
		wantErr(t, err, model.ErrNotFound)
		wantErr(t, s.DeleteAppeal(ctx, tagged.ID), model.ErrNotFound)
	})
}

func TestCountAppealView(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		on, off := model.DefaultAppeal("x"), model.DefaultAppeal("x")
		off.Active = false
		for _, ap := range []*model.Appeal{&on, &off} {
			if err := s.SaveAppeal(ctx, ap); err != nil {
				t.Fatal(err)
			}
		}
		v := contentVersion(t, s)
		day := time.Date(2026, 3, 15, 23, 59, 0, 0, time.UTC)
		for _, tc := range []struct {
			id   string
			at   time.Time
			want bool
		}{
			{on.ID, day, true}, {on.ID, day, true}, {on.ID, day.Add(time.Minute), true},
			{off.ID, day, false}, {"no-such-appeal", day, false},
		} {
			if counted, err := s.CountAppealView(ctx, tc.id, tc.at); err != nil || counted != tc.want {
				t.Errorf("CountAppealView(%s, %v) = %v, %v; want %v", tc.id, tc.at, counted, err, tc.want)
			}
		}
		if contentVersion(t, s) != v {
			t.Error("counting a view changed the content version, which would empty the page cache")
		}
		f, err := s.DonationFigures(ctx, day.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		views := map[string]int64{}
		for _, a := range f.Appeals {
			views[a.ID] = a.Views
		}
		if views[on.ID] != 3 || views[off.ID] != 0 {
			t.Errorf("views = %v; want 3 for the active appeal (two days) and 0 for the inactive one", views)
		}
	})
}

// migratedBefore opens a new database of engine migrated up to, not
// including, the migration whose file name starts with version, and
// returns it with every migration, to be set when the test has stored
// what that migration must carry over.
func migratedBefore(t *testing.T, engine, version string) (*store.Store, fstest.MapFS) {
	t.Helper()
	before, all := fstest.MapFS{}, fstest.MapFS{}
	files, err := filepath.Glob(filepath.Join("migrations", engine, "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		all[name] = &fstest.MapFile{Data: data}
		if name < version {
			before[name] = &fstest.MapFile{Data: data}
		}
	}
	s := storetest.Open(t, engine, store.Options{})
	store.SetMigrations(s, before)
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s, all
}

// TestLegacyAppealMigration checks that migration 0010 turns the appeal
// the site settings held, with the risk notice of its own row, into the
// first appeal record.
func TestLegacyAppealMigration(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		ctx := t.Context()
		s, all := migratedBefore(t, engine, "0010")
		legacy := `{"SiteName":"Old News","Language":"ru","Appeal":{"Enabled":true,"Heading":"A Message from Old News:",` +
			`"Message":"Dear readers,\n\nHelp us.","Currency":"EUR","MinimumAmount":3,"DefaultFrequency":"once",` +
			`"Amounts":{"once":[10,20],"monthly":[3,5],"annual":[30]},"ButtonText":"Give","PaymentMethods":"Cards.",` +
			`"DismissQuestion":"Not now?","DismissText":"Later.","RemindAfterDays":9}}`
		if err := store.Exec(s, `INSERT INTO settings (key, value) VALUES ('site', ?), ('donation_page', ?)`,
			legacy, `{"RiskNotice":"Giving **is dangerous**."}`); err != nil {
			t.Fatal(err)
		}
		store.SetMigrations(s, all)
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		list, err := s.Appeals(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("Appeals after migrating = %+v, %v; want the one from the settings", list, err)
		}
		got := list[0]
		got.ID, got.CreatedAt, got.UpdatedAt = "", time.Time{}, time.Time{}
		want := model.Appeal{Active: true, Heading: "A Message from Old News:", Message: "Dear readers,\n\nHelp us.",
			Placement: model.PlacementAfter, Target: model.Target{Kind: model.TargetAll}, Currencies: []string{"EUR"}, Currency: "EUR",
			Minimums: map[string]int{"EUR": 3}, DefaultFrequency: model.Once,
			Amounts:    map[model.Frequency][]int{model.Once: {10, 20}, model.Monthly: {3, 5}, model.Annual: {30}},
			ButtonText: "Give", PaymentMethods: "Cards.", DismissQuestion: "Not now?", DismissText: "Later.", RemindAfterDays: 9,
			RiskNotice: "Giving **is dangerous**."}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("migrated appeal (-want +got):\n%s", diff)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("the migrated appeal does not validate: %v", err)
		}
		set, err := s.Settings(ctx)
		if err != nil || set.SiteName != "Old News" || set.Language != "ru" {
			t.Errorf("settings after migrating = %+v, %v; want the rest kept", set, err)
		}
		var doc string
		if err := store.ReaderDB(s).QueryRow(store.Rebind(s, `SELECT value FROM settings WHERE key = ?`), "site").Scan(&doc); err != nil {
			t.Fatal(err)
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(doc), &raw); err != nil || raw["Appeal"] != nil {
			t.Errorf("the settings still hold the old appeal: %s", doc)
		}
		var rows int
		if err := store.ReaderDB(s).QueryRow(`SELECT COUNT(*) FROM settings WHERE key = 'donation_page'`).Scan(&rows); err != nil || rows != 0 {
			t.Errorf("the donation page's settings row is left (%d rows, %v)", rows, err)
		}
		if !strings.Contains(doc, "Old News") {
			t.Errorf("settings lost the site name: %s", doc)
		}
	})
}

// TestAppealTagTarget checks that an appeal for a tag follows the tag by
// its ID: through a change of the tag's slug, and to nowhere once the tag
// is deleted; an appeal cannot be saved for a tag that does not exist.
func TestAppealTagTarget(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		tag := model.Tag{Slug: "war", Name: "War"}
		if err := s.SaveTag(ctx, &tag, "", true, 0); err != nil {
			t.Fatal(err)
		}
		ap := model.DefaultAppeal("x")
		ap.Target = model.Target{Kind: model.TargetTag, Value: tag.ID}
		if err := s.SaveAppeal(ctx, &ap); err != nil {
			t.Fatal(err)
		}
		tag.Slug, tag.Name = "war-in-ukraine", "War in Ukraine"
		if err := s.SaveTag(ctx, &tag, "", true, 1); err != nil {
			t.Fatal(err)
		}
		list, err := s.Appeals(ctx)
		if err != nil {
			t.Fatal(err)
		}
		article := &model.Article{Language: "en", Tags: []model.Tag{tag}}
		if got := model.PickAppeal(list, article); got == nil || got.ID != ap.ID || got.Target.Value != tag.ID {
			t.Errorf("after the tag's slug changed, PickAppeal = %+v; want the tag's appeal", got)
		}

		ghost := model.DefaultAppeal("x")
		ghost.Target = model.Target{Kind: model.TargetTag, Value: "no-such-tag"}
		wantValidation(t, s.SaveAppeal(ctx, &ghost), "target")
		if ghost.ID != "" {
			t.Errorf("an appeal for a missing tag was stored as %s", ghost.ID)
		}

		v := contentVersion(t, s)
		if err := s.DeleteTag(ctx, tag.ID, 0); err != nil {
			t.Fatal(err)
		}
		got, err := s.Appeal(ctx, ap.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Target != (model.Target{Kind: model.TargetTag}) {
			t.Errorf("after the tag was deleted, the appeal's target is %+v; want a tag target naming none", got.Target)
		}
		if contentVersion(t, s) == v {
			t.Error("deleting the tag did not move the content version, so pages would keep the appeal")
		}
		if picked := model.PickAppeal([]model.Appeal{got}, article); picked != nil {
			t.Errorf("an appeal whose tag was deleted still runs: %+v", picked)
		}
	})
}

// TestAppealTagMigration checks that migration 0017 moves appeals for a
// tag from its slug to its ID, and leaves one whose slug no tag has
// running nowhere.
func TestAppealTagMigration(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		ctx := t.Context()
		s, all := migratedBefore(t, engine, "0017")
		at := "2026-03-01T00:00:00.000000000Z"
		if engine == "postgres" {
			at = "2026-03-01T00:00:00Z"
		}
		if err := store.Exec(s, `INSERT INTO tags (id, slug, name, description, created_at) VALUES ('tag-1', 'war', 'War', '', ?)`, at); err != nil {
			t.Fatal(err)
		}
		const insert = `INSERT INTO appeals (id, active, heading, message, placement, target_kind, target_value, currencies, currency,
minimums, default_frequency, amounts, button_text, remind_after_days, created_at, updated_at)
VALUES (?, TRUE, 'Help', 'Please.', 'after', ?, ?, 'USD', 'USD', '{"USD":2}', 'once', '{"once":[5],"monthly":[5],"annual":[5]}', 'Give', 7, ?, ?)`
		for _, row := range [][3]string{{"on-war", "tag", "war"}, {"on-gone", "tag", "gone"}, {"in-russian", "language", "ru"}} {
			if err := store.Exec(s, insert, row[0], row[1], row[2], at, at); err != nil {
				t.Fatal(err)
			}
		}
		store.SetMigrations(s, all)
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]model.Target{
			"on-war":     {Kind: model.TargetTag, Value: "tag-1"},
			"on-gone":    {Kind: model.TargetTag},
			"in-russian": {Kind: model.TargetLanguage, Value: "ru"},
		} {
			got, err := s.Appeal(ctx, id)
			if err != nil || got.Target != want {
				t.Errorf("appeal %s after migrating: target %+v, %v; want %+v", id, got.Target, err, want)
			}
		}
	})
}
