package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/app"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/reach"
)

const mirrorsUsage = "list | add URL [mirror|static|proxy] | remove URL | onion URL | onion none"

var mirrorsCommand = command{
	name:     "mirrors",
	summary:  "list, add or remove the site's mirror addresses and its onion address",
	settings: []string{"db", "log-format", "log-level"},
	args:     mirrorsUsage,
	run: func(ctx context.Context, cfg config.Config, e env) error {
		st, err := app.Open(ctx, cfg, e.log)
		if err != nil {
			return err
		}
		defer st.Close()
		s, err := st.Settings(ctx)
		fresh := errors.Is(err, model.ErrNotFound) // no server has started on this database yet
		if fresh {
			s = model.DefaultSettings("tamizdat")
		} else if err != nil {
			return err
		}
		now := time.Now()
		entry, err := editMirrors(&s, e.args, now)
		if err != nil {
			return err
		}
		if entry.Action != "" {
			if fresh {
				err = st.SaveSettings(ctx, s)
			} else {
				// Applied again to the settings as they are when saved, so
				// that a change made meanwhile, on the desk say, is kept.
				s, err = st.UpdateSettings(ctx, func(cur *model.Settings) error {
					_, err := editMirrors(cur, e.args, now)
					return err
				})
			}
			if err != nil {
				return err
			}
			// As on the desk's mirrors screen; the command line acts as
			// audit.System, like the other commands that change things.
			entry.Actor = audit.System
			if err := audit.New(st).Append(ctx, entry); err != nil {
				return err
			}
		}
		if s.OnionURL != "" {
			fmt.Fprintf(e.stdout, "onion   %s\n", s.OnionURL)
		}
		for _, m := range s.Mirrors {
			fmt.Fprintf(e.stdout, "%-7s %s (since %s)\n", m.Type, m.URL, m.AddedAt.Format("2006-01-02"))
		}
		if s.OnionURL == "" && len(s.Mirrors) == 0 {
			fmt.Fprintln(e.stdout, "no mirrors and no onion address; add one with: tamizdat mirrors add URL")
		}
		return nil
	},
}

// editMirrors applies a mirrors subcommand to the settings and returns the
// audit entry recording the change, without its actor; listing changes
// nothing and returns an empty entry.
func editMirrors(s *model.Settings, args []string, now time.Time) (audit.Entry, error) {
	if len(args) == 0 {
		args = []string{"list"}
	}
	switch {
	case args[0] == "list" && len(args) == 1:
		return audit.Entry{}, nil
	case args[0] == "add" && (len(args) == 2 || len(args) == 3):
		kind := "mirror"
		if len(args) == 3 {
			kind = args[2]
		}
		entry := audit.Entry{Action: reach.AuditMirrorAdded, Target: strings.TrimSpace(args[1]), Detail: map[string]any{"type": kind}}
		return entry, reach.AddMirror(s, args[1], kind, now)
	case args[0] == "remove" && len(args) == 2:
		err := reach.RemoveMirror(s, args[1])
		if errors.Is(err, reach.ErrNotListed) {
			return audit.Entry{}, fmt.Errorf("no mirror %s is listed; see tamizdat mirrors list", args[1])
		}
		return audit.Entry{Action: reach.AuditMirrorRemoved, Target: strings.TrimSpace(args[1])}, err
	case args[0] == "onion" && len(args) == 2 && args[1] == "none":
		return audit.Entry{Action: reach.AuditOnionRemoved}, reach.SetOnion(s, "")
	case args[0] == "onion" && len(args) == 2:
		return audit.Entry{Action: reach.AuditOnionSet, Target: strings.TrimSpace(args[1])}, reach.SetOnion(s, args[1])
	}
	return audit.Entry{}, fmt.Errorf("usage: tamizdat mirrors %s", mirrorsUsage)
}
