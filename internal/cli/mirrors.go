package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tamizdat/tamizdat/internal/app"
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
		if errors.Is(err, model.ErrNotFound) {
			s = model.DefaultSettings("tamizdat")
		} else if err != nil {
			return err
		}
		if err := editMirrors(&s, e.args, time.Now()); err != nil {
			return err
		}
		if len(e.args) > 0 && e.args[0] != "list" {
			if err := st.SaveSettings(ctx, s); err != nil {
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

// editMirrors applies a mirrors subcommand to the settings.
func editMirrors(s *model.Settings, args []string, now time.Time) error {
	if len(args) == 0 {
		args = []string{"list"}
	}
	switch {
	case args[0] == "list" && len(args) == 1:
		return nil
	case args[0] == "add" && len(args) == 2:
		return reach.AddMirror(s, args[1], "", now)
	case args[0] == "add" && len(args) == 3:
		return reach.AddMirror(s, args[1], args[2], now)
	case args[0] == "remove" && len(args) == 2:
		err := reach.RemoveMirror(s, args[1])
		if errors.Is(err, reach.ErrNotListed) {
			return fmt.Errorf("no mirror %s is listed; see tamizdat mirrors list", args[1])
		}
		return err
	case args[0] == "onion" && len(args) == 2 && args[1] == "none":
		return reach.SetOnion(s, "")
	case args[0] == "onion" && len(args) == 2:
		return reach.SetOnion(s, args[1])
	}
	return fmt.Errorf("usage: tamizdat mirrors %s", mirrorsUsage)
}
