package audit_test

import (
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// The chain's behaviour against a real database, tampering included, is
// tested in the store package (audit_test.go there), which can reach the
// rows directly.

func TestHashCoversEveryField(t *testing.T) {
	t.Parallel()
	base := store.AuditEntry{Seq: 7, At: time.Date(2025, 3, 10, 12, 0, 0, 123000, time.UTC), Actor: "u1",
		Action: audit.RoleChanged, Target: "u2", Detail: `{"to":"admin"}`, PrevHash: "abc"}
	h, err := audit.Hash(base)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := audit.Hash(base); again != h {
		t.Fatal("Hash is not deterministic")
	}
	inOtherZone := base
	inOtherZone.At = base.At.In(time.FixedZone("MSK", 3*3600))
	if got, _ := audit.Hash(inOtherZone); got != h {
		t.Error("the same instant in another time zone hashes differently")
	}
	for name, change := range map[string]func(*store.AuditEntry){
		"seq":       func(e *store.AuditEntry) { e.Seq++ },
		"at":        func(e *store.AuditEntry) { e.At = e.At.Add(time.Microsecond) },
		"actor":     func(e *store.AuditEntry) { e.Actor = "u3" },
		"action":    func(e *store.AuditEntry) { e.Action = audit.SignIn },
		"target":    func(e *store.AuditEntry) { e.Target = "u3" },
		"detail":    func(e *store.AuditEntry) { e.Detail = `{"to":"editor"}` },
		"prev_hash": func(e *store.AuditEntry) { e.PrevHash = "abd" },
		// Moving text between fields must not give the same hash.
		"boundary": func(e *store.AuditEntry) { e.Actor, e.Action = "u1r", "ole_changed" },
	} {
		e := base
		change(&e)
		if got, _ := audit.Hash(e); got == h {
			t.Errorf("changing %s does not change the hash", name)
		}
	}
}

func TestAppendNeedsActorAndAction(t *testing.T) {
	t.Parallel()
	l := audit.New(storetest.New(t))
	for _, e := range []audit.Entry{{Action: audit.SignIn}, {Actor: audit.System}} {
		if err := l.Append(t.Context(), e); err == nil {
			t.Errorf("Append(%+v) succeeded", e)
		}
	}
	if err := l.Append(t.Context(), audit.Entry{Actor: audit.System, Action: audit.SettingsChanged,
		Detail: map[string]any{"fields": []string{"site_name"}}}); err != nil {
		t.Fatal(err)
	}
	entries, err := l.Recent(t.Context(), 0, 10)
	if err != nil || len(entries) != 1 || entries[0].Detail != `{"fields":["site_name"]}` || entries[0].PrevHash != "" {
		t.Errorf("Recent() = %+v, %v", entries, err)
	}
}
