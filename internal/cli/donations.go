package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/tamizdat/tamizdat/internal/app"
	"github.com/tamizdat/tamizdat/internal/config"
)

var donationsReconcileCommand = command{
	name:     "donations reconcile",
	summary:  "repair donation records from Stripe's events, after webhooks were missed",
	settings: []string{"db", "secret-key-file", "stripe-key", "stripe-api-url", "log-format", "log-level"},
	bind: func(fs *flag.FlagSet) func(context.Context, config.Config, env) error {
		since := fs.Duration("since", 24*time.Hour, "look at events of the last `duration` (Stripe keeps 30 days, 720h)")
		return func(ctx context.Context, cfg config.Config, e env) error {
			if cfg.StripeKey == "" {
				return errors.New("no --stripe-key: donations are not set up, so there is nothing to reconcile")
			}
			if *since <= 0 || *since > 30*24*time.Hour {
				return fmt.Errorf("--since %v: give a duration from 1s to 720h (Stripe keeps events for 30 days)", *since)
			}
			st, err := app.Open(ctx, cfg, e.log)
			if err != nil {
				return err
			}
			defer st.Close()
			donations, err := app.NewDonations(st, cfg, e.log)
			if err != nil {
				return err
			}
			rep, err := donations.Reconcile(ctx, time.Now().Add(-*since))
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Stripe listed %d donation events since %s; %d had not arrived by webhook; %d events processed\n",
				rep.Listed, time.Now().Add(-*since).UTC().Format(time.RFC3339), rep.Missed, rep.Processed)
			return nil
		}
	},
}
