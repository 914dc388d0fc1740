// Package cli is tamizdat's command line: it parses the subcommand and its
// settings and hands over to the app.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/tamizdat/tamizdat/internal/app"
	"github.com/tamizdat/tamizdat/internal/config"
)

// Version is tamizdat's release; builds from a checkout add the commit.
const Version = "0.1.0-dev"

type command struct {
	name     string
	summary  string
	settings []string // the config settings the command accepts
	// args describes the positional arguments after the flags, for the
	// usage line; a command without it accepts none.
	args string
	run  func(ctx context.Context, cfg config.Config, env env) error
	// bind, instead of run, suits a command with flags of its own: it
	// declares them on fs and returns the run function that reads them.
	bind func(fs *flag.FlagSet) func(ctx context.Context, cfg config.Config, env env) error
}

// env is what a command may touch of the outside world.
type env struct {
	stdout, stderr io.Writer
	log            *slog.Logger
	args           []string // positional arguments after the flags
}

var commands = []command{
	{
		name:     "serve",
		summary:  "run the web server (applies migrations; loads demo content into an empty database)",
		settings: []string{"addr", "db", "base-url", "admin-url", "demo", "log-format", "log-level", "cache-max-age", "cache-bytes", "secret-key-file", "privacy-policy-version", "bounce-secret", "smtp-url", "mail-from", "dkim-key-file", "dkim-selector", "send-rate", "send-workers", "spf-relays", "skip-dns-check", "complaint-rate", "complaint-sample", "soft-bounce-limit", "second-approval-over", "stripe-key", "stripe-webhook-secret", "stripe-api-url", "stripe-customer-portal", "donor-retention-months", "media-dir", "max-upload-bytes", "trusted-proxies", "proxy-header", "audit-sink"},
		run: func(ctx context.Context, cfg config.Config, e env) error {
			return app.Serve(ctx, cfg, e.log, e.stdout)
		},
	},
	{
		name:     "migrate",
		summary:  "bring the database schema up to date, then exit",
		settings: []string{"db", "log-format", "log-level"},
		run: func(ctx context.Context, cfg config.Config, e env) error {
			st, err := app.Open(ctx, cfg, e.log)
			if err != nil {
				return err
			}
			defer st.Close()
			current, _, err := st.SchemaVersion(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "database schema is at version %d (%s)\n", current, st.Engine())
			return nil
		},
	},
	mirrorsCommand,
	exportCommand,
	keysCommand,
	verifyCommand,
	auditVerifyCommand,
	userAddCommand,
	apikeyCreateCommand,
	apikeyRevokeCommand,
	apikeyListCommand,
	donationsReconcileCommand,
	newsletterPauseCommand,
	newsletterResumeCommand,
	newsletterCheckDNSCommand,
	{
		name:    "version",
		summary: "print the version",
		run: func(ctx context.Context, cfg config.Config, e env) error {
			fmt.Fprintln(e.stdout, "tamizdat", versionString())
			return nil
		},
	},
}

// Run runs the command line args (without the program name) and returns
// the process exit code.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		if len(args) > 1 {
			return Run(ctx, append(append([]string{}, args[1:]...), "--help"), getenv, stdout, stderr)
		}
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var cmd *command
	rest := args[1:]
	for i := range commands {
		switch name := commands[i].name; {
		case name == args[0]:
			cmd = &commands[i]
		case len(args) > 1 && name == args[0]+" "+args[1]: // "audit verify", "user add"
			cmd, rest = &commands[i], args[2:]
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "tamizdat: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	var cfg config.Config
	fs := flag.NewFlagSet("tamizdat "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.Register(fs, cmd.settings...)
	run := cmd.run
	if cmd.bind != nil {
		run = cmd.bind(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: tamizdat %s [flags]%s\n\n%s.\n\nFlags (each may also be set with the environment variable TAMIZDAT_NAME, or as \"name = value\" in the --config file):\n", cmd.name, strings.TrimRight(" "+cmd.args, " "), capitalize(cmd.summary))
		fs.PrintDefaults()
	}
	if err := cfg.Load(fs, rest, getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "tamizdat %s: %v\n", cmd.name, err)
		return 2
	}
	if cmd.args == "" && fs.NArg() > 0 {
		fmt.Fprintf(stderr, "tamizdat %s: unexpected argument %q (flags go before it? run with --help)\n", cmd.name, fs.Arg(0))
		return 2
	}
	log := newLogger(cfg, stderr)
	if err := run(ctx, cfg, env{stdout: stdout, stderr: stderr, log: log, args: fs.Args()}); err != nil {
		fmt.Fprintf(stderr, "tamizdat %s: %v\n", cmd.name, err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "tamizdat %s — a publishing platform for independent, reader-funded newsrooms\n\nUsage: tamizdat COMMAND [flags]\n\nCommands:\n", versionString())
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun \"tamizdat COMMAND --help\" for the flags of a command.\n")
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel)) // validated by config; "" is info
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func versionString() string {
	v := Version
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
	}
	return v
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
