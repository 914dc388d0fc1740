// Command bench measures tamizdat on a generated news site: how fast the
// articles load into SQLite and PostgreSQL, how many requests per second
// `tamizdat serve` answers compared with a minimal Go server sending the
// same bytes, how much memory it holds, and how fast `tamizdat export`
// writes the site as static files. Run it from the module root:
//
//	go run ./bench          # the full run: 10,000 articles, 3–6 minutes on 2 cores
//	go run ./bench -quick   # a smoke run of about a minute
//	go run ./bench -export-only -baseline OLD   # the static export only,
//	                        # interleaved with an older tamizdat binary
//
// The results go to stdout as Markdown tables, ready for the README; progress
// goes to stderr. Every figure is a median of repeated runs, and tamizdat is
// compared with the minimal server in the same run, interleaved, because the
// machine is shared and noisy.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/tamizdat/tamizdat/bench/corpus"
)

// settings are the command line flags.
type settings struct {
	articles, tags, authors int
	seed                    uint64
	batch                   int
	concurrency             int
	duration, warmup        time.Duration
	runs                    int
	postgres                string
	quick                   bool
	// exportOnly skips PostgreSQL and the serving load; baseline is
	// another tamizdat binary whose exports are measured interleaved with
	// this build's.
	exportOnly bool
	baseline   string
	// profile is a folder for the CPU and memory profiles of this build's
	// exports; "" for none.
	profile string
}

// quickDefaults replace the full run's defaults under -quick, for the flags
// not given explicitly.
var quickDefaults = map[string]string{
	"articles": "2000",
	"duration": "2s",
	"warmup":   "500ms",
}

func parseFlags(args []string, stderr io.Writer) (settings, error) {
	var s settings
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./bench [flags]   (from the module root)")
		fs.PrintDefaults()
	}
	fs.BoolVar(&s.quick, "quick", false, "smoke run of about a minute: fewer articles, shorter measurements")
	fs.IntVar(&s.articles, "articles", corpus.DefaultArticles, "articles in the generated site")
	fs.IntVar(&s.tags, "tags", corpus.DefaultTags, "tags in the generated site")
	fs.IntVar(&s.authors, "authors", corpus.DefaultAuthors, "bylines in the generated site")
	fs.Uint64Var(&s.seed, "seed", 1, "seed of the generated site")
	fs.IntVar(&s.batch, "batch", 1000, "articles per ImportArticles call")
	fs.IntVar(&s.concurrency, "c", 64, "concurrent connections of the load")
	fs.DurationVar(&s.duration, "duration", 10*time.Second, "length of one load measurement")
	fs.DurationVar(&s.warmup, "warmup", 2*time.Second, "load before measuring, per page and server")
	fs.IntVar(&s.runs, "runs", 3, "measurements per page and server, and exports per binary; the tables quote medians")
	fs.BoolVar(&s.exportOnly, "export-only", false, "measure only the static export: no PostgreSQL, no serving load")
	fs.StringVar(&s.baseline, "baseline", "", "also export with the tamizdat binary `FILE` (an older build), interleaved, and compare")
	fs.StringVar(&s.profile, "profile", "", "write CPU and memory profiles of this build's exports into `DIR` (run1-full.cpu, run1-edit.mem, …)")
	fs.StringVar(&s.postgres, "postgres", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
		"PostgreSQL URL; the run creates and drops a schema there, and skips PostgreSQL if it is unreachable")
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	if fs.NArg() > 0 {
		return s, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if s.quick {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		for name, value := range quickDefaults {
			if !given[name] {
				if err := fs.Set(name, value); err != nil {
					return s, err
				}
			}
		}
	}
	switch {
	case s.articles < 1 || s.tags < 5 || s.authors < 1:
		return s, errors.New("need at least 1 article, 5 tags and 1 byline")
	case s.batch < 1 || s.concurrency < 1 || s.runs < 1:
		return s, errors.New("-batch, -c and -runs must be at least 1")
	case s.duration <= 0 || s.warmup < 0:
		return s, errors.New("-duration must be positive and -warmup not negative")
	}
	if s.profile != "" {
		var err error
		if s.profile, err = filepath.Abs(s.profile); err == nil {
			err = os.MkdirAll(s.profile, 0o755)
		}
		if err != nil {
			return s, fmt.Errorf("-profile: %w", err)
		}
	}
	if s.baseline != "" {
		info, err := os.Stat(s.baseline)
		if err != nil || !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0 {
			return s, fmt.Errorf("-baseline %s is not an executable file; build one with: go build -o FILE ./cmd/tamizdat", s.baseline)
		}
	}
	return s, nil
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == minimalArg {
		if err := serveMinimal(os.Args[2], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench minimal server:", err)
			os.Exit(1)
		}
		return
	}
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, cfg, os.Stdout, os.Stderr)
	interrupted := ctx.Err() != nil
	stop()
	if interrupted {
		fmt.Fprintln(os.Stderr, "bench: interrupted; servers stopped, files and schema removed")
		os.Exit(130)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
