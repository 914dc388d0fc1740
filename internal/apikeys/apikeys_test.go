package apikeys_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/apikeys"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

var t0 = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

// each runs fn on both engines with a service and store sharing one clock.
func each(t *testing.T, fn func(t *testing.T, svc *apikeys.Service, st *store.Store, clock *storetest.Clock)) {
	t.Helper()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		clock := storetest.NewClock(t0)
		st := storetest.NewEngine(t, engine, store.Options{Now: clock.Now})
		fn(t, apikeys.New(apikeys.Options{Store: st, Audit: audit.New(st), Now: clock.Now}), st, clock)
	})
}

func TestCreateAndAuthenticate(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, svc *apikeys.Service, st *store.Store, clock *storetest.Clock) {
		ctx := t.Context()
		key, token, err := svc.Create(ctx, audit.System, apikeys.NewKey{Name: " wire importer ", Role: accounts.Author, Expires: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		id, secret, ok := apikeys.ParseToken(token)
		if !ok || id != key.ID || key.Name != "wire importer" || key.Role != accounts.Author {
			t.Fatalf("Create = %+v, token %q", key, token)
		}
		stored, err := st.APIKeyByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stored.SecretHash, secret) || len(stored.SecretHash) != 64 {
			t.Errorf("stored secret hash %q: want a SHA-256, not the secret", stored.SecretHash)
		}

		got, err := svc.Authenticate(ctx, token)
		if err != nil || got.ID != key.ID || got.Role != accounts.Author {
			t.Fatalf("Authenticate = %+v, %v", got, err)
		}
		if stored, _ = st.APIKeyByID(ctx, id); !stored.LastUsedAt.Equal(t0) {
			t.Errorf("last used = %v, want %v", stored.LastUsedAt, t0)
		}
		clock.Advance(time.Hour)
		if _, err := svc.Authenticate(ctx, token); !errors.Is(err, apikeys.ErrUnauthenticated) {
			t.Errorf("at expiry: %v, want ErrUnauthenticated", err)
		}

		entries, err := audit.New(st).Recent(ctx, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Action != apikeys.ActionCreated || entries[0].Target != id || strings.Contains(entries[0].Detail, secret) {
			t.Errorf("audit log = %+v; want one creation without the secret", entries)
		}
	})
}

func TestAuthenticateRefuses(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, svc *apikeys.Service, st *store.Store, clock *storetest.Clock) {
		ctx := t.Context()
		_, token, err := svc.Create(ctx, audit.System, apikeys.NewKey{Name: "bot", Role: accounts.Editor})
		if err != nil {
			t.Fatal(err)
		}
		_, revokedToken, err := svc.Create(ctx, audit.System, apikeys.NewKey{Name: "old bot", Role: accounts.Editor})
		if err != nil {
			t.Fatal(err)
		}
		revokedID, _, _ := apikeys.ParseToken(revokedToken)
		if err := svc.Revoke(ctx, audit.System, revokedID); err != nil {
			t.Fatal(err)
		}
		id, secret, _ := apikeys.ParseToken(token)
		wrongSecret := strings.Repeat("0", len(secret))
		tests := []struct{ name, token string }{
			{"empty", ""},
			{"no prefix", id + "_" + secret},
			{"upper-case hex", apikeys.Prefix + strings.ToUpper(id) + "_" + secret},
			{"short secret", apikeys.Prefix + id + "_" + secret[:10]},
			{"unknown id", apikeys.Prefix + "0123456789abcdef_" + secret},
			{"wrong secret", apikeys.Prefix + id + "_" + wrongSecret},
			{"revoked", revokedToken},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := svc.Authenticate(ctx, tt.token); !errors.Is(err, apikeys.ErrUnauthenticated) {
					t.Errorf("Authenticate(%q) = %v, want ErrUnauthenticated", tt.token, err)
				}
			})
		}
		if _, err := svc.Authenticate(ctx, token); err != nil {
			t.Errorf("the right token after one failure: %v", err)
		}
		wantValidation := func(err error, field string) {
			t.Helper()
			var ve *model.ValidationError
			if !errors.As(err, &ve) || ve.Fields[field] == "" {
				t.Errorf("error %v, want a validation error naming %s", err, field)
			}
		}
		_, _, err = svc.Create(ctx, audit.System, apikeys.NewKey{Name: "root", Role: accounts.Admin})
		wantValidation(err, "role")
		_, _, err = svc.Create(ctx, audit.System, apikeys.NewKey{Name: "", Role: accounts.Editor})
		wantValidation(err, "name")
		_, _, err = svc.Create(ctx, audit.System, apikeys.NewKey{Name: "late", Role: accounts.Editor, Expires: t0.Add(-time.Second)})
		wantValidation(err, "expires")
		_, _, err = svc.Create(ctx, audit.System, apikeys.NewKey{Name: "eager", Role: accounts.Contributor, MayPublish: true})
		wantValidation(err, "may_publish")
		if keys, err := svc.List(ctx); err != nil || len(keys) != 2 {
			t.Errorf("the store holds %d keys, %v; want only the test's two", len(keys), err)
		}
		if err := svc.Revoke(ctx, audit.System, "0123456789abcdef"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("revoking an unknown key: %v, want ErrNotFound", err)
		}
	})
}

func TestThrottle(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, svc *apikeys.Service, st *store.Store, clock *storetest.Clock) {
		ctx := t.Context()
		_, token, err := svc.Create(ctx, audit.System, apikeys.NewKey{Name: "bot", Role: accounts.Editor})
		if err != nil {
			t.Fatal(err)
		}
		id, secret, _ := apikeys.ParseToken(token)
		wrong := apikeys.Prefix + id + "_" + strings.Repeat("f", len(secret))
		for i := range apikeys.MaxFailures {
			if _, err := svc.Authenticate(ctx, wrong); !errors.Is(err, apikeys.ErrUnauthenticated) {
				t.Fatalf("failure %d: %v", i+1, err)
			}
			clock.Advance(time.Second)
		}
		var throttled *apikeys.ThrottledError
		if _, err := svc.Authenticate(ctx, token); !errors.As(err, &throttled) {
			t.Fatalf("the right token while locked: %v, want a ThrottledError", err)
		}
		if want := t0.Add(time.Duration(apikeys.MaxFailures-1)*time.Second + apikeys.LockFor); !throttled.After.Equal(want) {
			t.Errorf("locked until %v, want %v", throttled.After, want)
		}
		clock.Advance(apikeys.LockFor)
		if _, err := svc.Authenticate(ctx, token); err != nil {
			t.Fatalf("the right token after the lock: %v", err)
		}
		// Success cleared the count: one more failure does not lock.
		svc.Authenticate(ctx, wrong)
		if _, err := svc.Authenticate(ctx, token); err != nil {
			t.Errorf("one failure after a success locked the key: %v", err)
		}
	})
}

func TestKeyStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  apikeys.Key
		want string
	}{
		{"no expiry", apikeys.Key{}, "active"},
		{"before expiry", apikeys.Key{ExpiresAt: t0.Add(time.Second)}, "active"},
		{"at expiry", apikeys.Key{ExpiresAt: t0}, "expired"},
		{"revoked wins", apikeys.Key{ExpiresAt: t0, RevokedAt: t0}, "revoked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.key.Status(t0); got != tt.want {
				t.Errorf("Status = %q, want %q", got, tt.want)
			}
		})
	}
	if got := (apikeys.Key{ID: "abc"}).Actor(); got != "apikey:abc" {
		t.Errorf("Actor = %q", got)
	}
}
