package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/apikeys"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/store"
)

// The apikey commands manage the keys programs use for the Admin API. The
// command line acts as audit.System: whoever can run it can read the
// database anyway.

var apikeyCreateCommand = command{
	name:     "apikey create",
	summary:  "create an Admin API key and print it once",
	settings: []string{"db", "log-format", "log-level", "audit-sink"},
	bind: func(fs *flag.FlagSet) func(context.Context, config.Config, env) error {
		name := fs.String("name", "", "what the key is for, e.g. \"wire importer\" (required)")
		role := fs.String("role", "", "the key's `role`: contributor, author or editor (required; keys are never admins)")
		expires := fs.String("expires", "", "when the key stops working: a duration such as 90d or 720h, or a date such as 2026-06-30 (default: never)")
		mayPublish := fs.Bool("may-publish", false, "let an author or editor key publish, schedule, unpublish and change public articles; without it the key writes drafts only (on the desk these need a fresh second-factor proof, which a program cannot give)")
		return func(ctx context.Context, cfg config.Config, e env) error {
			if *name == "" || *role == "" {
				return errors.New("--name and --role are required")
			}
			now := time.Now()
			until, err := parseExpiry(*expires, now)
			if err != nil {
				return err
			}
			return withKeys(ctx, cfg, e, func(svc *apikeys.Service) error {
				k, token, err := svc.Create(ctx, audit.System, apikeys.NewKey{Name: *name, Role: accounts.Role(*role), Expires: until,
					MayPublish: *mayPublish})
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Created %s key %s (%q), expires %s, %s.\n", k.Role, k.ID, k.Name, keyTime(k.ExpiresAt, "never"), publishes(k))
				fmt.Fprintf(e.stdout, "Give this token to the program; it is shown only now:\n%s\n", token)
				return nil
			})
		}
	},
}

var apikeyRevokeCommand = command{
	name:     "apikey revoke",
	summary:  "revoke an Admin API key at once",
	settings: []string{"db", "log-format", "log-level", "audit-sink"},
	args:     "ID",
	run: func(ctx context.Context, cfg config.Config, e env) error {
		if len(e.args) != 1 {
			return errors.New("give the ID of the key to revoke (see tamizdat apikey list)")
		}
		return withKeys(ctx, cfg, e, func(svc *apikeys.Service) error {
			if err := svc.Revoke(ctx, audit.System, e.args[0]); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Revoked key %s.\n", e.args[0])
			return nil
		})
	},
}

var apikeyListCommand = command{
	name:     "apikey list",
	summary:  "list the Admin API keys",
	settings: []string{"db", "log-format", "log-level"},
	run: func(ctx context.Context, cfg config.Config, e env) error {
		return withKeys(ctx, cfg, e, func(svc *apikeys.Service) error {
			keys, err := svc.List(ctx)
			if err != nil {
				return err
			}
			printKeys(e.stdout, keys, time.Now())
			return nil
		})
	},
}

// withKeys opens the database and runs fn with the key service over it.
func withKeys(ctx context.Context, cfg config.Config, e env, fn func(*apikeys.Service) error) error {
	return withAudit(ctx, cfg, e, func(st *store.Store, auditLog *audit.Log) error {
		return fn(apikeys.New(apikeys.Options{Store: st, Audit: auditLog}))
	})
}

func printKeys(w io.Writer, keys []apikeys.Key, now time.Time) {
	if len(keys) == 0 {
		fmt.Fprintln(w, "no API keys; create one with: tamizdat apikey create --name NAME --role ROLE")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tPUBLISHES\tSTATUS\tCREATED\tEXPIRES\tLAST USED")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Role, yesNo(k.MayPublish), k.Status(now),
			keyTime(k.CreatedAt, "-"), keyTime(k.ExpiresAt, "never"), keyTime(k.LastUsedAt, "never"))
	}
	tw.Flush()
}

// publishes says what a new key may do with articles.
func publishes(k apikeys.Key) string {
	if k.MayPublish {
		return "may publish"
	}
	return "writes drafts only (see --may-publish)"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// keyTime formats t in UTC to the minute, or says none for the zero time.
func keyTime(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// parseExpiry reads --expires: empty for never, a duration from now (Go's
// units, plus d for days), or an RFC 3339 date (the start of that day in
// UTC) or date-time.
func parseExpiry(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 {
			return now.AddDate(0, 0, n), nil
		}
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return now.Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--expires %q is neither a duration (90d, 720h) nor a date (2026-06-30 or 2026-06-30T12:00:00Z)", v)
}
