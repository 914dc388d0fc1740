package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"

	"github.com/tamizdat/tamizdat/internal/app"
	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/export"
)

var exportCommand = command{
	name:     "export",
	summary:  "write the public site as static files with a signed manifest, for mirrors",
	settings: []string{"db", "base-url", "media-dir", "log-format", "log-level"},
	bind: func(fs *flag.FlagSet) func(context.Context, config.Config, env) error {
		out := fs.String("out", "", "write the export into `DIR`: a new or empty folder, or a previous export (required)")
		key := fs.String("key", "", "sign the manifest with the private key in `FILE`, made by tamizdat keys (required)")
		live := fs.String("live-url", "", "send readers of the copy to `URL` for forms (sign-up, donations); default: --base-url")
		force := fs.Bool("force", false, "replace --out even if it holds files that are not a previous export (they are deleted)")
		full := fs.Bool("full", false, "render every page, even those the previous export shows unchanged")
		cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole command to `FILE` (for go tool pprof)")
		memProfile := fs.String("memprofile", "", "write a profile of the memory the command allocated to `FILE` when it ends")
		return func(ctx context.Context, cfg config.Config, e env) (err error) {
			if *out == "" || *key == "" {
				return errors.New("--out DIR and --key FILE are required (make a key pair with: tamizdat keys --out DIR)")
			}
			stopProfiles, err := startProfiles(*cpuProfile, *memProfile)
			if err != nil {
				return err
			}
			defer func() { err = errors.Join(err, stopProfiles()) }()
			priv, err := export.ReadPrivateKey(*key)
			if err != nil {
				return err
			}
			st, err := app.Open(ctx, cfg, e.log)
			if err != nil {
				return err
			}
			defer st.Close()
			// Pages link to the uploaded images in --media-dir; a missing
			// folder holds none, and an export reads it without creating it.
			var uploads http.Handler
			if _, err := os.Stat(cfg.MediaDir); err == nil {
				if uploads, err = app.NewMedia(st, cfg, e.log); err != nil {
					return err
				}
			} else if !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("--media-dir: %w", err)
			}
			src, err := export.NewSource(ctx, st, cfg.BaseURL, uploads, e.log)
			if err != nil {
				return err
			}
			s, err := export.Run(ctx, export.Options{Source: src, Dir: *out, Force: *force, Key: priv, LiveURL: *live, Full: *full})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "exported %d files (%d pages, %.1f MB) into %s in %.2f s, %.0f pages/s\n",
				s.Files, s.Pages, float64(s.Bytes)/1e6, *out, s.Duration.Seconds(), s.PagesPerSecond())
			fmt.Fprintf(e.stdout, "%d rendered, %d written, %d unchanged, %d removed; manifest sequence %d\n", s.Rendered, s.Written, s.Kept, s.Removed, s.Sequence)
			return nil
		}
	},
}

var keysCommand = command{
	name:    "keys",
	summary: "make a new Ed25519 key pair for signing exports",
	bind: func(fs *flag.FlagSet) func(context.Context, config.Config, env) error {
		out := fs.String("out", "", "write the key pair into `DIR`; existing keys are never overwritten (required)")
		return func(ctx context.Context, cfg config.Config, e env) error {
			if *out == "" {
				return errors.New("--out DIR is required")
			}
			private, public, err := export.GenerateKeys(*out)
			if err != nil {
				return err
			}
			pub, err := export.ReadPublicKey(public)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "private key: %s (keep it off the web server; export --key reads it)\n", private)
			fmt.Fprintf(e.stdout, "public key:  %s (give it to mirror operators and readers; verify --pubkey reads it)\n", public)
			fmt.Fprintf(e.stdout, "key id:      %s\n", export.KeyID(pub))
			return nil
		}
	},
}

var verifyCommand = command{
	name:    "verify",
	summary: "check a copy of the site against its signed manifest and a public key",
	args:    "DIR",
	bind: func(fs *flag.FlagSet) func(context.Context, config.Config, env) error {
		pubkey := fs.String("pubkey", "", "the public key `FILE` the export was signed with (required)")
		minSeq := fs.Uint64("min-sequence", 0, "refuse a manifest whose sequence number is below `N` (an older copy)")
		state := fs.String("state", "", "remember the highest sequence number seen in `FILE`, and refuse anything older")
		return func(ctx context.Context, cfg config.Config, e env) error {
			// Flags may follow the folder: verify DIR --pubkey FILE.
			if len(e.args) > 1 {
				if err := fs.Parse(e.args[1:]); err != nil {
					return err
				}
				e.args = append(e.args[:1], fs.Args()...)
			}
			if len(e.args) != 1 || *pubkey == "" {
				return errors.New("usage: tamizdat verify DIR --pubkey FILE [--min-sequence N] [--state FILE]")
			}
			pub, err := export.ReadPublicKey(*pubkey)
			if err != nil {
				return err
			}
			var seen uint64
			if *state != "" {
				if seen, err = export.ReadSequenceState(*state); err != nil {
					return err
				}
			}
			m, err := export.Verify(ctx, e.args[0], pub, max(*minSeq, seen))
			if err != nil {
				return err
			}
			if *state != "" && m.Sequence > seen {
				if err := export.WriteSequenceState(*state, m.Sequence); err != nil {
					return err
				}
			}
			fmt.Fprintf(e.stdout, "OK: %d files match the manifest signed by key %s; sequence %d, content of %s\n",
				len(m.Files), m.KeyID, m.Sequence, m.Published.Format("2006-01-02 15:04 MST"))
			return nil
		}
	},
}
