package store_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// appendN appends n entries with distinct targets.
func appendN(t *testing.T, l *audit.Log, n int) {
	t.Helper()
	for i := range n {
		err := l.Append(t.Context(), audit.Entry{Actor: audit.System, Action: audit.UserAdded,
			Target: fmt.Sprintf("user-%d", i+1), Detail: map[string]any{"role": "editor"}})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func verify(t *testing.T, l *audit.Log) audit.Result {
	t.Helper()
	res, err := l.Verify(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestAuditChain(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		l := audit.New(s)
		if res := verify(t, l); !res.OK() || res.Entries != 0 {
			t.Fatalf("empty log: %+v", res)
		}
		appendN(t, l, 5)
		if res := verify(t, l); !res.OK() || res.Entries != 5 {
			t.Fatalf("intact log: %+v", res)
		}
		recent, err := l.Recent(t.Context(), 0, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(recent) != 2 || recent[0].Seq != 5 || recent[1].Seq != 4 || recent[0].PrevHash != recent[1].Hash {
			t.Errorf("Recent(0, 2) = %+v", recent)
		}
		if older, _ := l.Recent(t.Context(), 4, 10); len(older) != 3 || older[0].Seq != 3 {
			t.Errorf("Recent(4, 10) = %+v", older)
		}
	})
}

// TestAuditVerifyFindsTampering changes or deletes rows the way someone with
// database access could, and checks that Verify names the first broken
// entry.
func TestAuditVerifyFindsTampering(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		sql     string
		want    int64
		problem string
	}{
		{"changed detail", `UPDATE audit_log SET detail = '{"role":"admin"}' WHERE seq = 3`, 3, "changed"},
		{"changed actor", `UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2`, 2, "changed"},
		{"changed time", `UPDATE audit_log SET at = (SELECT at FROM audit_log WHERE seq = 5) WHERE seq = 4`, 4, "changed"},
		{"deleted entry", `DELETE FROM audit_log WHERE seq = 2`, 2, "missing"},
		{"deleted last entry", `DELETE FROM audit_log WHERE seq = 5`, 5, "removed"},
		{"overwritten hash", `UPDATE audit_log SET hash = 'f00' WHERE seq = 3`, 3, "changed"},
		{"relinked entry", `UPDATE audit_log SET prev_hash = 'f00' WHERE seq = 4`, 4, "link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				t.Parallel()
				l := audit.New(s)
				appendN(t, l, 5)
				if _, err := store.WriterDB(s).ExecContext(t.Context(), tc.sql); err != nil {
					t.Fatal(err)
				}
				res := verify(t, l)
				if res.OK() || res.BrokenSeq != tc.want || !strings.Contains(res.Problem, tc.problem) {
					t.Errorf("Verify() = %+v; want broken at %d with a problem mentioning %q", res, tc.want, tc.problem)
				}
			})
		})
	}
}

// TestAuditConcurrentAppends appends from many goroutines at once: the chain
// must come out whole, with every entry in it exactly once.
func TestAuditConcurrentAppends(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		l := audit.New(s)
		const writers, each = 8, 5
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					errs <- l.Append(t.Context(), audit.Entry{Actor: audit.System, Action: audit.SignIn, Target: fmt.Sprintf("%d-%d", w, i)})
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		res := verify(t, l)
		if !res.OK() || res.Entries != writers*each {
			t.Fatalf("after concurrent appends: %+v; want %d entries, intact", res, writers*each)
		}
		seen := map[string]bool{}
		err := s.EachAudit(t.Context(), func(e store.AuditEntry) error {
			seen[e.Target] = true
			return nil
		})
		if err != nil || len(seen) != writers*each {
			t.Errorf("distinct entries = %d, %v; want %d", len(seen), err, writers*each)
		}
	})
}
