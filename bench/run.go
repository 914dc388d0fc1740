package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/bench/corpus"
)

// run does the whole benchmark and prints the report. Whatever happens, it
// stops the servers it started and removes its files and schema.
func run(ctx context.Context, cfg settings, stdout, stderr io.Writer) error {
	say := func(format string, args ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", args...) }
	rep := &report{cfg: cfg, started: time.Now()}

	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "tamizdat-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	say("building tamizdat")
	bin := filepath.Join(tmp, "tamizdat")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/tamizdat")
	build.Dir, build.Stdout, build.Stderr = root, stderr, stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build tamizdat: %w", err)
	}

	say("generating %d articles (seed %d)", cfg.articles, cfg.seed)
	began := time.Now()
	c := corpus.Generate(corpus.Options{Seed: cfg.seed, Articles: cfg.articles, Tags: cfg.tags, Authors: cfg.authors, Now: rep.started})
	rep.generate = time.Since(began)

	say("loading into SQLite")
	dbPath := filepath.Join(tmp, "bench.db")
	sqlite, picks, err := loadCorpus(ctx, "sqlite:"+dbPath, "SQLite", c, cfg.batch)
	if err != nil {
		return err
	}
	rep.loads = append(rep.loads, sqlite)
	say("SQLite: %s", sqlite.summary())

	var failed error
	if !cfg.exportOnly {
		if failed, err = loadAndServe(ctx, cfg, rep, bin, dbPath, tmp, picks, c, say); err != nil {
			return err
		}
	}
	if rep.export = measureExport(ctx, cfg, bin, dbPath, tmp, picks.articleSlug, say); ctx.Err() != nil {
		return ctx.Err()
	}
	rep.finished = time.Now()
	rep.print(stdout)
	return failed
}

// loadAndServe loads the corpus into PostgreSQL and load-tests the server;
// failed is a PostgreSQL failure that leaves the other figures valid.
func loadAndServe(ctx context.Context, cfg settings, rep *report, bin, dbPath, tmp string, picks picks, c *corpus.Corpus, say func(string, ...any)) (failed, err error) {
	say("loading into PostgreSQL")
	pg, err := loadPostgres(ctx, cfg.postgres, c, cfg.batch)
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		// The serving figures do not depend on PostgreSQL: report the
		// failure in the table and with the exit status, but go on.
		say("PostgreSQL: %v", err)
		pg.skipped = "failed: " + err.Error()
		failed = err
	case pg.skipped != "":
		say("PostgreSQL skipped: %s", pg.skipped)
	default:
		say("PostgreSQL: %s", pg.summary())
	}
	rep.loads = append(rep.loads, pg)

	pages := []page{
		{name: "article (cached)", path: "/articles/" + picks.articleSlug, target: true},
		{name: "front page", path: "/"},
		{name: "tag page", path: "/tags/" + picks.tagSlug},
	}
	rep.pages, rep.mem, err = serveAndLoad(ctx, cfg, bin, dbPath, tmp, pages, say)
	return failed, err
}

// moduleRoot returns the directory of the main module, where the tamizdat
// command is built.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("find the module root: go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the tamizdat module: run `go run ./bench` from the repository root")
	}
	return filepath.Dir(gomod), nil
}

// machine describes where the figures come from.
func machine() string {
	return fmt.Sprintf("%s/%s, %d CPUs (runtime.NumCPU), %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
}
