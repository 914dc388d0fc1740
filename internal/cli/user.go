package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/store"
)

// userAddCommand creates a staff account and prints its one-time setup
// link, which the person opens to choose a password and enrol a passkey.
var userAddCommand = command{
	name:     "user add",
	summary:  "create a staff account and print its one-time setup link",
	settings: []string{"db", "addr", "admin-url", "log-format", "log-level", "audit-sink"},
	bind: func(fs *flag.FlagSet) func(context.Context, config.Config, env) error {
		email := fs.String("email", "", "the person's email `address` (required)")
		role := fs.String("role", string(accounts.Contributor), "`role`: contributor, author, editor or admin")
		name := fs.String("name", "", "the person's `name`, shown on the desk only")
		return func(ctx context.Context, cfg config.Config, e env) error {
			if *email == "" {
				return errors.New("--email is required")
			}
			return withAudit(ctx, cfg, e, func(st *store.Store, auditLog *audit.Log) error {
				svc, err := accounts.New(accounts.Options{Store: st, Audit: auditLog, AdminURL: cfg.DeskURL(), Log: e.log})
				if err != nil {
					return err
				}
				u, token, err := svc.AddUser(ctx, audit.System, *email, *name, accounts.Role(*role))
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Created %s account %s.\nSetup link (works once, for %d hours):\n%s\n",
					u.Role, u.Email, int(accounts.SetupLinkValidity.Hours()), svc.SetupLink(token))
				return nil
			})
		}
	},
}
