package api_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/web/api"
)

// TestAdminArticleRulesAreTheDesks: the Admin API writes articles by the
// desk's rules (package publishing), so what the desk refuses the API
// refuses in the same words, and slugs and times come out the same.
func TestAdminArticleRulesAreTheDesks(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		desk := publishing.New(publishing.Options{Store: e.st, Now: e.clock.Now})
		writer := publishing.Actor{UserID: "desk-writer", WriteOwn: true, PublishOwn: true, SteppedUp: true}
		for _, tc := range []struct {
			name, body          string
			draft               publishing.Draft
			action              publishing.Action
			apiField, deskField string
		}{
			{"lead image without alt", `{"title":"T","lead_image":{"url":"/media/a.jpg"}}`,
				publishing.Draft{Image: publishing.ImageDraft{URL: "/media/a.jpg"}}, publishing.ActionSave, "lead_image.alt", "image_alt"},
			{"lead image from elsewhere", `{"title":"T","lead_image":{"url":"https://tracker.example/p.gif","alt":"A"}}`,
				publishing.Draft{Image: publishing.ImageDraft{URL: "https://tracker.example/p.gif", Alt: "A"}}, publishing.ActionSave, "lead_image.url", "image_url"},
			{"half a lead image size", `{"title":"T","lead_image":{"url":"/media/a.jpg","alt":"A","height":480}}`,
				publishing.Draft{Image: publishing.ImageDraft{URL: "/media/a.jpg", Alt: "A", Height: "480"}}, publishing.ActionSave, "lead_image.width", "image_size"},
			{"scheduled without a time", `{"title":"T","status":"scheduled"}`,
				publishing.Draft{}, publishing.ActionSchedule, "published_at", "publish_at"},
			{"scheduled in the past", `{"title":"T","status":"scheduled","published_at":"2025-03-01T09:00:00Z"}`,
				publishing.Draft{PublishAt: "2025-03-01T09:00"}, publishing.ActionSchedule, "published_at", "publish_at"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tc.draft.Title, tc.draft.Language, tc.draft.TimeZone = "T", "en", "UTC"
				_, err := desk.Save(t.Context(), writer, "", tc.draft, tc.action)
				var ve *model.ValidationError
				if !errors.As(err, &ve) || ve.Fields[tc.deskField] == "" {
					t.Fatalf("the desk's save: %v; want a problem with %s", err, tc.deskField)
				}
				w := e.do(request{method: http.MethodPost, path: "/api/v1/admin/articles", role: editor, body: tc.body})
				if code, _, field := errorOf(t, w); w.Code != http.StatusUnprocessableEntity || code != "validation_failed" || field != tc.apiField {
					t.Fatalf("API: %d %s on %q, want 422 validation_failed on %q: %s", w.Code, code, field, tc.apiField, w.Body)
				}
				var body struct {
					Error struct{ Fields map[string]string }
				}
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
					t.Fatal(err)
				}
				if got, want := body.Error.Fields[tc.apiField], ve.Fields[tc.deskField]; got != want {
					t.Errorf("the API says %q, the desk %q", got, want)
				}
			})
		}

		// A slug asked for is made as the desk makes a typed one.
		for _, typed := range []string{"Not OK", "Выборы в Думе", " spaced "} {
			a := e.createArticle(editor, `{"title":"Slugged","slug":`+strconv.Quote(typed)+`}`)
			if want, _ := publishing.SlugFor(typed, "", ""); a.Slug != want {
				t.Errorf("slug %q became %q, want %q as on the desk", typed, a.Slug, want)
			}
		}

		// Times follow publishing.SetTimes: a draft keeps its planned
		// time, publishing may be backdated, and a time to come schedules.
		at := func(s string) time.Time {
			v, err := time.Parse(time.RFC3339, s)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		for _, tc := range []struct {
			body   string
			status model.Status
			at     time.Time
		}{
			{`{"title":"Planned","published_at":"2025-03-12T09:00:00Z"}`, model.StatusDraft, at("2025-03-12T09:00:00Z")},
			{`{"title":"Now","status":"published"}`, model.StatusPublished, t0},
			{`{"title":"Backdated","status":"published","published_at":"2025-03-09T09:00:00Z"}`, model.StatusPublished, at("2025-03-09T09:00:00Z")},
			{`{"title":"Later","status":"published","published_at":"2025-03-12T09:00:00Z"}`, model.StatusScheduled, at("2025-03-12T09:00:00Z")},
		} {
			a := e.createArticle(editor, tc.body)
			if a.Status != tc.status || a.PublishedAt == nil || !a.PublishedAt.Equal(tc.at) {
				t.Errorf("%s: %s at %v, want %s at %v", tc.body, a.Status, a.PublishedAt, tc.status, tc.at)
			}
		}

		// An edit of a published article keeps its time and marks it
		// updated, as a save on the desk does.
		live := e.createArticle(editor, `{"title":"Live","status":"published","published_at":"2025-03-09T09:00:00Z"}`)
		e.clock.Advance(time.Hour)
		var edited struct{ Article api.AdminArticleJSON }
		e.call(request{method: http.MethodPatch, path: "/api/v1/admin/articles/" + live.ID, role: editor, body: `{"summary":"Corrected."}`},
			http.StatusOK, &edited)
		if got := edited.Article; !got.PublishedAt.Equal(at("2025-03-09T09:00:00Z")) || got.UpdatedAt == nil || !got.UpdatedAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("edited: published %v, updated %v; want the same time and updated now", got.PublishedAt, got.UpdatedAt)
		}
	})
}
