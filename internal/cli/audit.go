package cli

import (
	"context"
	"fmt"

	"github.com/tamizdat/tamizdat/internal/app"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/store"
)

// withAudit opens the database and its audit log (copied to audit-sink
// when set) and runs fn with them, for the commands that change things;
// they record what they do as audit.System.
func withAudit(ctx context.Context, cfg config.Config, e env, fn func(*store.Store, *audit.Log) error) error {
	st, err := app.Open(ctx, cfg, e.log)
	if err != nil {
		return err
	}
	defer st.Close()
	auditLog, closeAudit, err := app.OpenAudit(st, cfg, e.log)
	if err != nil {
		return err
	}
	defer closeAudit()
	return fn(st, auditLog)
}

// auditVerifyCommand checks the audit log's hash chain. It exits non-zero,
// naming the first broken entry, if any entry was changed or removed.
var auditVerifyCommand = command{
	name:     "audit verify",
	summary:  "check that no audit log entry was changed or removed",
	settings: []string{"db", "log-format", "log-level"},
	run: func(ctx context.Context, cfg config.Config, e env) error {
		st, err := app.Open(ctx, cfg, e.log)
		if err != nil {
			return err
		}
		defer st.Close()
		res, err := audit.New(st).Verify(ctx)
		if err != nil {
			return err
		}
		if !res.OK() {
			fmt.Fprintf(e.stdout, "BROKEN at entry %d: %s\n", res.BrokenSeq, res.Problem)
			return fmt.Errorf("the audit log is broken at entry %d", res.BrokenSeq)
		}
		fmt.Fprintf(e.stdout, "OK: %d entries, chain intact\n", res.Entries)
		return nil
	},
}
