package cli

import (
	"strings"
	"testing"

	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
)

// TestNewsletterPauseAndResume: an operator pauses an issue being sent
// and resumes it from the command line, as audit.System in the issue and
// the audit log; what cannot be paused or resumed is refused, saying why.
func TestNewsletterPauseAndResume(t *testing.T) {
	ctx := t.Context()
	db := "sqlite:" + t.TempDir() + "/n.db"
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	n := store.Newsletter{Slug: "weekly", Name: "Weekly"}
	if err := st.CreateNewsletter(ctx, &n); err != nil {
		t.Fatal(err)
	}
	draft, sending := store.Issue{NewsletterID: n.ID, Subject: "Draft"}, store.Issue{NewsletterID: n.ID, Subject: "Going out"}
	for _, is := range []*store.Issue{&draft, &sending} {
		if err := st.CreateIssue(ctx, is); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.StartIssue(ctx, sending.ID); err != nil {
		t.Fatal(err)
	}

	for _, step := range []struct {
		verb, id string
		code     int
		want     string
	}{
		{"pause", draft.ID, 1, "is draft: only an issue being sent can be paused"},
		{"pause", sending.ID, 0, "issue " + sending.ID + " paused"},
		{"pause", sending.ID, 1, "is paused already"},
		{"resume", sending.ID, 0, "issue " + sending.ID + " resumed"},
		{"resume", sending.ID, 1, "not paused"},
		{"pause", "0193-none", 1, "not found"},
	} {
		code, out, errOut := run(t, "newsletter", step.verb, "--db", db, "--log-level", "warn", step.id)
		if code != step.code || !strings.Contains(out+errOut, step.want) {
			t.Fatalf("newsletter %s %s = %d\n%s%s\nwant %d and %q", step.verb, step.id, code, out, errOut, step.code, step.want)
		}
		if step.verb == "pause" && code == 0 {
			if is, _ := st.IssueByID(ctx, sending.ID); !is.Paused || is.PausedBy != "system" {
				t.Errorf("after the pause: %+v", is)
			}
		}
	}
	actions := map[string]int{}
	err = st.EachAudit(ctx, func(e store.AuditEntry) error {
		if e.Actor == "system" && e.Target == sending.ID {
			actions[e.Action]++
		}
		return nil
	})
	if err != nil || actions[newsletter.AuditIssuePaused] != 1 || actions[newsletter.AuditIssueResumed] != 1 || len(actions) != 2 {
		t.Errorf("audit log of the issue: %v, %v; want one pause and one resume", actions, err)
	}
}
