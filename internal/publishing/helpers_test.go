package publishing_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// t0 is the test clock's start: a Monday noon, UTC.
var t0 = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

// env is the service over a fresh store with a test clock.
type env struct {
	svc   *publishing.Service
	store *store.Store
	audit *audit.Log
	clock *storetest.Clock
}

// each runs fn on both engines, in parallel.
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		clock := storetest.NewClock(t0)
		st := storetest.NewEngine(t, engine, store.Options{Now: clock.Now})
		log := audit.New(st)
		svc := publishing.New(publishing.Options{Store: st, Audit: log, Now: clock.Now})
		fn(t, &env{svc: svc, store: st, audit: log, clock: clock})
	})
}

// actor creates an account of role and returns it as an actor, with the
// permissions the real role table grants and a fresh step-up.
func (e *env) actor(t *testing.T, email string, role accounts.Role) publishing.Actor {
	t.Helper()
	u := store.User{Email: email, DisplayName: "Name of " + email, Role: string(role)}
	if err := e.store.CreateUser(t.Context(), &u); err != nil {
		t.Fatal(err)
	}
	return publishing.NewActor(u.ID, role, true)
}

// draft is a valid draft with a headline.
func draft(title string) publishing.Draft {
	return publishing.Draft{Title: title, Body: "Text of " + title + ".", Language: "en", TimeZone: "Europe/Moscow"}
}

// create saves a new draft as act and returns it.
func (e *env) create(t *testing.T, act publishing.Actor, title string) *model.Article {
	t.Helper()
	a, err := e.svc.Save(t.Context(), act, "", draft(title), publishing.ActionSave)
	if err != nil {
		t.Fatal(err)
	}
	return a.Article
}

// record returns the stored article with its owner and revision.
func (e *env) record(t *testing.T, id string) store.ArticleRecord {
	t.Helper()
	rec, err := e.store.ArticleRecordByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// editDraft returns the form values of the stored article id.
func (e *env) editDraft(t *testing.T, id string) publishing.Draft {
	t.Helper()
	rec := e.record(t, id)
	return publishing.DraftOf(rec.Article, rec.Revision)
}

// actions lists the audit log's actions, oldest first.
func (e *env) actions(t *testing.T) []string {
	t.Helper()
	entries, err := e.audit.Recent(t.Context(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(entries) - 1; i >= 0; i-- {
		out = append(out, entries[i].Action)
	}
	return out
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

// wantFields fails unless err is a validation error naming exactly fields.
func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	var ve *model.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v, want a validation error on %v", err, fields)
	}
	if len(ve.Fields) != len(fields) {
		t.Fatalf("validation error %v, want exactly the fields %v", ve, fields)
	}
	for _, f := range fields {
		if ve.Fields[f] == "" {
			t.Fatalf("validation error %v does not name %q", ve, f)
		}
	}
}
