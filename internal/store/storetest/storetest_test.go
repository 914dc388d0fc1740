package storetest_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func TestNewFollowsEnvironment(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Setenv(storetest.EnvEngine, engine)
			s := storetest.New(t)
			if s.Engine() != engine {
				t.Errorf("%s=%s gave a %s store", storetest.EnvEngine, engine, s.Engine())
			}
			if current, latest, err := s.SchemaVersion(t.Context()); err != nil || current != latest {
				t.Errorf("SchemaVersion() = %d, %d, %v; want a migrated store", current, latest, err)
			}
		})
	}
}

// TestStoresAreIsolated checks that two stores of one test, and so of
// parallel tests, do not see each other's data.
func TestStoresAreIsolated(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		a := storetest.NewEngine(t, engine, store.Options{})
		b := storetest.NewEngine(t, engine, store.Options{})
		tag := model.Tag{Slug: "only-in-a", Name: "A"}
		if err := a.CreateTag(t.Context(), &tag); err != nil {
			t.Fatal(err)
		}
		if _, err := b.TagBySlug(t.Context(), "only-in-a"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("store b sees store a's tag: %v", err)
		}
	})
}

func TestClock(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := storetest.NewClock(start)
	c.Advance(90 * time.Minute)
	if got := c.Now(); !got.Equal(start.Add(90 * time.Minute)) {
		t.Errorf("Now() = %v after advancing 90m from %v", got, start)
	}
}
