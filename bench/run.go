package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
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

	say("generating %d articles (seed %d)", cfg.articles, cfg.seed)
	began := time.Now()
	c := corpus.Generate(corpus.Options{Seed: cfg.seed, Articles: cfg.articles, Tags: cfg.tags, Authors: cfg.authors, Now: rep.started})
	rep.generate = time.Since(began)

	if cfg.loadOnly {
		if rep.loads, err = loadRepeatedly(ctx, cfg, c, tmp, say); err != nil {
			return err
		}
		rep.finished = time.Now()
		rep.print(stdout)
		return nil
	}
	say("building tamizdat")
	bin := filepath.Join(tmp, "tamizdat")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/tamizdat")
	build.Dir, build.Stdout, build.Stderr = root, stderr, stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build tamizdat: %w", err)
	}
	dbPath := filepath.Join(tmp, "bench.db")
	picks, err := loadEngines(ctx, cfg, c, dbPath, rep, say)
	if err != nil {
		return err
	}

	pages := []page{
		{name: "article (cached)", path: "/articles/" + picks.articleSlug, target: true},
		{name: "front page", path: "/"},
		{name: "tag page", path: "/tags/" + picks.tagSlug},
	}
	rep.pages, rep.mem, err = serveAndLoad(ctx, cfg, bin, dbPath, tmp, pages, say)
	if err != nil {
		return err
	}
	if rep.export = measureExport(ctx, bin, dbPath, tmp, picks.articleSlug, say); ctx.Err() != nil {
		return ctx.Err()
	}
	rep.finished = time.Now()
	rep.print(stdout)
	return rep.loadFailed
}

// loadEngines loads c into SQLite at dbPath and into PostgreSQL and adds
// both rows to rep. A PostgreSQL failure is kept in rep.loadFailed rather
// than returned: the serving figures do not depend on PostgreSQL.
func loadEngines(ctx context.Context, cfg settings, c *corpus.Corpus, dbPath string, rep *report, say func(string, ...any)) (picks, error) {
	say("loading into SQLite")
	sqlite, picks, err := loadCorpus(ctx, "sqlite:"+dbPath, "SQLite", c, cfg.batch)
	if err != nil {
		return picks, err
	}
	rep.loads = append(rep.loads, sqlite)
	say("SQLite: %s", sqlite.summary())

	say("loading into PostgreSQL")
	pg, err := loadPostgres(ctx, cfg.postgres, c, cfg.batch)
	switch {
	case ctx.Err() != nil:
		return picks, ctx.Err()
	case err != nil:
		// Report the failure in the table and with the exit status, but
		// go on.
		say("PostgreSQL: %v", err)
		pg.skipped = "failed: " + err.Error()
		rep.loadFailed = err
	case pg.skipped != "":
		say("PostgreSQL skipped: %s", pg.skipped)
	default:
		say("PostgreSQL: %s", pg.summary())
	}
	rep.loads = append(rep.loads, pg)
	return picks, nil
}

// loadRepeatedly loads c -runs times into each engine, each time into a new
// database, and returns per engine the run with the median total.
func loadRepeatedly(ctx context.Context, cfg settings, c *corpus.Corpus, tmp string, say func(string, ...any)) ([]loadResult, error) {
	var byEngine [2][]loadResult
	for run := range cfg.runs {
		say("load run %d of %d", run+1, cfg.runs)
		var rep report
		dir := filepath.Join(tmp, fmt.Sprintf("load-%d", run))
		_, err := loadEngines(ctx, cfg, c, filepath.Join(dir, "bench.db"), &rep, say)
		// Ten thousand articles take a few hundred MB; keep one copy at a time.
		err = cmp.Or(err, rep.loadFailed, os.RemoveAll(dir))
		if err != nil {
			return nil, err
		}
		for i, l := range rep.loads {
			byEngine[i] = append(byEngine[i], l)
		}
	}
	medians := make([]loadResult, len(byEngine))
	for i, runs := range byEngine {
		slices.SortFunc(runs, func(a, b loadResult) int { return cmp.Compare(a.total(), b.total()) })
		medians[i] = runs[len(runs)/2]
	}
	return medians, nil
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
