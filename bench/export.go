package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tamizdat/tamizdat/bench/loadgen"
	"github.com/tamizdat/tamizdat/bench/procstat"
	"github.com/tamizdat/tamizdat/internal/export"
	"github.com/tamizdat/tamizdat/internal/store"
)

// exportBaseURL is the main site the exports copy; any address will do.
const exportBaseURL = "https://bench.example"

// exportResult is what the static export measured: for this build and,
// when -baseline names one, for an older build, each a median over runs of
// a full export into an empty folder, then an export into the same folder
// after one article's title changed, which renders only what the change
// touches.
type exportResult struct {
	current, baseline exportSeries
	err               error // why there are no figures
}

// exportSeries is one binary's runs, in the order they ran.
type exportSeries struct {
	full, incremental []exportRun
}

// exportRun is one `tamizdat export` process.
type exportRun struct {
	files, pages int
	megabytes    float64
	// took and pagesPerSecond are the export's own figures, as the command
	// prints them: from reading the store's list to the folder's swap.
	took           time.Duration
	pagesPerSecond float64
	rendered       int
	written        int
	// wall also counts the process start (opening the store, parsing the
	// templates); cpu is the process's user + system CPU time. The export
	// builds the related-articles index from the content it lists, so
	// took counts it; builds before that built it earlier, outside took,
	// from a second read of every article.
	wall, cpu time.Duration
	peakKB    int64 // VmHWM, sampled every samplePeriod; 0 when unreadable
	// createFile is what creating one empty file took just before the
	// run's full export: the file system's part of it, which a recent
	// mass deletion can multiply (see measureExport).
	createFile time.Duration
}

// samplePeriod is how often the export's peak memory is read while it runs.
const samplePeriod = 10 * time.Millisecond

// measureExport exports the site in dbPath cfg.runs times with the tamizdat
// binary bin, and with cfg.baseline if set, alternating which goes first.
// Each run exports into a new folder, changes the title of the article at
// editSlug through the store and exports again into the same folder.
//
// The folders are removed only after the last run. On ext4 without a
// journal, as on our machines, the kernel avoids reusing an inode freed
// in the last minute (five, while its inode table block is unwritten):
// to pick one for a new file it checks the free inodes of the group one
// by one (perf: find_inode_bit, recently_deleted), so after many files
// were deleted each file created costs up to a millisecond of CPU, until
// the freed inodes are used up or age. Deleting one run's 14,000 files
// just before the next full export took that export from 1.5–2.8 s to
// 7–10 s of CPU in system calls, which would measure the benchmark, not
// the export. probeFileCreation shows the state each run met; the
// clean-up of one benchmark still slows the first exports of another
// started within minutes.
func measureExport(ctx context.Context, cfg settings, bin, dbPath, tmp, editSlug string, say func(string, ...any)) exportResult {
	var res exportResult
	private, _, err := export.GenerateKeys(filepath.Join(tmp, "export-keys"))
	if err != nil {
		res.err = fmt.Errorf("make signing keys: %w", err)
		return res
	}
	type binary struct {
		name, path string
		series     *exportSeries
	}
	binaries := []binary{{"this build", bin, &res.current}}
	if cfg.baseline != "" {
		binaries = append(binaries, binary{"baseline", cfg.baseline, &res.baseline})
	}
	for i := range cfg.runs {
		for j := range binaries {
			b := binaries[(i+j)%len(binaries)]
			dir := filepath.Join(tmp, fmt.Sprintf("export-%d-%d", i+1, j+1))
			each, err := probeFileCreation(filepath.Join(tmp, fmt.Sprintf("probe-%d-%d", i+1, j+1)))
			if err != nil {
				res.err = fmt.Errorf("probe the file system: %w", err)
				return res
			}
			args := []string{"export", "--db", "sqlite:" + dbPath, "--base-url", exportBaseURL,
				"--out", dir, "--key", private, "--log-level", "warn"}
			profile := ""
			if cfg.profile != "" && b.series == &res.current {
				profile = filepath.Join(cfg.profile, fmt.Sprintf("run%d-", i+1))
			}
			full, incremental, err := exportTwice(ctx, b.path, args, dbPath, editSlug, profile)
			if err != nil {
				res.err = fmt.Errorf("%s: %w", b.name, err)
				return res
			}
			full.createFile = each
			say("export %d/%d, %s: %d pages in %.2f s, %.0f pages/s; after an edit %d pages rendered in %.2f s",
				i+1, cfg.runs, b.name, full.pages, full.took.Seconds(), full.pagesPerSecond, incremental.rendered, incremental.took.Seconds())
			b.series.full = append(b.series.full, full)
			b.series.incremental = append(b.series.incremental, incremental)
		}
	}
	return res
}

// probeFiles is how many empty files probeFileCreation creates.
const probeFiles = 1000

// probeFileCreation creates probeFiles empty files in a new folder dir, as
// an export creates its pages, and returns the median time one took. It
// leaves them for the caller's clean-up at the end: deleting them now
// would slow the export it is meant to describe.
func probeFileCreation(dir string) (time.Duration, error) {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return 0, err
	}
	took := make([]time.Duration, probeFiles)
	for i := range took {
		began := time.Now()
		f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("page-%04d.html", i)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return 0, err
		}
		took[i] = time.Since(began)
		if err := f.Close(); err != nil {
			return 0, err
		}
	}
	return loadgen.Median(took), nil
}

// exportTwice exports with bin into an empty folder, edits an article and
// exports again. With a profile prefix, each export writes its CPU and
// memory profiles to prefix + full.cpu, full.mem, edit.cpu and edit.mem.
func exportTwice(ctx context.Context, bin string, args []string, dbPath, editSlug, profile string) (full, incremental exportRun, err error) {
	profiled := func(phase string) []string {
		if profile == "" {
			return args
		}
		return append(slices.Clip(args), "--cpuprofile", profile+phase+".cpu", "--memprofile", profile+phase+".mem")
	}
	if full, err = runExport(ctx, bin, profiled("full")); err != nil {
		return full, incremental, fmt.Errorf("full export: %w", err)
	}
	if err := retitle(ctx, dbPath, editSlug); err != nil {
		return full, incremental, fmt.Errorf("edit an article: %w", err)
	}
	if incremental, err = runExport(ctx, bin, profiled("edit")); err != nil {
		return full, incremental, fmt.Errorf("export after an edit: %w", err)
	}
	return full, incremental, nil
}

// median returns a run whose every figure is the median of that figure
// over runs; the counts come from the last run.
func median(runs []exportRun) exportRun {
	if len(runs) == 0 {
		return exportRun{}
	}
	m := runs[len(runs)-1]
	durations := func(f func(exportRun) time.Duration) time.Duration {
		var xs []time.Duration
		for _, r := range runs {
			xs = append(xs, f(r))
		}
		return loadgen.Median(xs)
	}
	m.took = durations(func(r exportRun) time.Duration { return r.took })
	m.wall = durations(func(r exportRun) time.Duration { return r.wall })
	m.cpu = durations(func(r exportRun) time.Duration { return r.cpu })
	m.peakKB = int64(durations(func(r exportRun) time.Duration { return time.Duration(r.peakKB) }))
	var rates []float64
	for _, r := range runs {
		rates = append(rates, r.pagesPerSecond)
	}
	m.pagesPerSecond = loadgen.Median(rates)
	return m
}

// ratio is the median over runs of figure for this build divided by figure
// for the baseline in the same run, which ran next to it in time.
func ratio(current, baseline []exportRun, figure func(exportRun) float64) float64 {
	var ratios []float64
	for i := range min(len(current), len(baseline)) {
		if b := figure(baseline[i]); b > 0 {
			ratios = append(ratios, figure(current[i])/b)
		}
	}
	return loadgen.Median(ratios)
}

// retitle changes the title of the article at slug, as an editor would.
func retitle(ctx context.Context, dbPath, slug string) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := store.Open(ctx, "sqlite:"+dbPath, store.Options{Logger: log})
	if err != nil {
		return err
	}
	defer st.Close()
	a, err := st.ArticleBySlug(ctx, slug)
	if err != nil {
		return err
	}
	a.Title += " (corrected)"
	return st.UpdateArticle(ctx, a)
}

// runExport runs bin with args and reads its summary, its CPU time and its
// peak memory.
func runExport(ctx context.Context, bin string, args []string) (exportRun, error) {
	var run exportRun
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = childAttr()
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return run, err
	}
	stop := make(chan struct{})
	var sampled sync.WaitGroup
	sampled.Go(func() { run.peakKB = samplePeak(cmd.Process.Pid, stop) })
	err := cmd.Wait()
	run.wall = time.Since(began)
	close(stop)
	sampled.Wait()
	if err != nil {
		return run, fmt.Errorf("%w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	run.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if err := parseExportSummary(stdout.Bytes(), &run); err != nil {
		return run, err
	}
	return run, nil
}

// samplePeak reads the VmHWM of process pid until stop closes, and returns
// the last value read: the kernel keeps VmHWM at its peak so far.
func samplePeak(pid int, stop <-chan struct{}) int64 {
	var peak int64
	tick := time.NewTicker(samplePeriod)
	defer tick.Stop()
	for {
		if kb, err := procstat.StatusKB(pid, "VmHWM"); err == nil {
			peak = max(peak, kb)
		}
		select {
		case <-stop:
			return peak
		case <-tick.C:
		}
	}
}

// The lines `tamizdat export` ends with.
var (
	exportedLine = regexp.MustCompile(`exported (\d+) files \((\d+) pages, ([\d.]+) MB\) into .* in ([\d.]+) s, (\d+) pages/s`)
	countsLine   = regexp.MustCompile(`(\d+) rendered, (\d+) written, \d+ unchanged, \d+ removed`)
)

// parseExportSummary fills run from what `tamizdat export` printed.
func parseExportSummary(out []byte, run *exportRun) error {
	m, n := exportedLine.FindSubmatch(out), countsLine.FindSubmatch(out)
	if m == nil || n == nil {
		return fmt.Errorf("unexpected output from tamizdat export: %q", out)
	}
	atoi := func(b []byte) int { v, _ := strconv.Atoi(string(b)); return v }
	atof := func(b []byte) float64 { v, _ := strconv.ParseFloat(string(b), 64); return v }
	run.files, run.pages, run.megabytes = atoi(m[1]), atoi(m[2]), atof(m[3])
	run.took = time.Duration(atof(m[4]) * float64(time.Second))
	run.pagesPerSecond = atof(m[5])
	run.rendered, run.written = atoi(n[1]), atoi(n[2])
	return nil
}

// printExport writes the export's section of the report.
func (r *report) printExport(w io.Writer) {
	fmt.Fprintf(w, "\n### Static export\n\n")
	e := r.export
	if e.err != nil {
		fmt.Fprintf(w, "Not measured: %v\n", e.err)
		return
	}
	fmt.Fprintf(w, "`tamizdat export` of the SQLite site into a new folder, then again after one article's title changed (the second run renders only what the change touches and links the rest); medians of %d runs. "+
		"Export and pages/s are the command's own figures, from listing the content (and building the related-articles index from it) to the folder's swap; the process figures add its start. "+
		"Peak memory is the process's VmHWM, read every %v.\n\n", r.cfg.runs, samplePeriod)
	var rows [][]string
	row := func(name string, runs []exportRun) {
		m := median(runs)
		rows = append(rows, []string{name, thousands(int64(m.files)), thousands(int64(m.pages)), thousands(int64(m.rendered)), thousands(int64(m.written)),
			fmt.Sprintf("%.1f MB", m.megabytes), seconds(m.took), thousands(int64(m.pagesPerSecond + 0.5)), seconds(m.wall), seconds(m.cpu), peak(m.peakKB)})
	}
	row("full", e.current.full)
	row("after one edit", e.current.incremental)
	if r.cfg.baseline != "" {
		row("full, baseline", e.baseline.full)
		row("after one edit, baseline", e.baseline.incremental)
	}
	table(w, []string{"Export", "Files", "Pages", "Rendered", "Written", "Size", "Export", "Pages/s", "Process", "CPU", "Peak memory"}, "lrrrrrrrrrr", rows)
	fmt.Fprintf(w, "\nBefore each run, creating an empty file in a new folder took (median of %s files): %s. "+
		"On ext4 without a journal, file creation costs up to a millisecond for minutes after many files were deleted on the same file system "+
		"(the kernel checks each recently freed inode before it reuses one), and a full export, which creates %s files, slows with it; "+
		"the probe's first %s files may miss what the export meets, so the export's CPU time is the surer sign.\n",
		thousands(probeFiles), probeSummary(e.current.full, e.baseline.full), thousands(int64(median(e.current.full).files)), thousands(probeFiles))
	if r.cfg.baseline == "" {
		return
	}
	took := func(x exportRun) float64 { return x.took.Seconds() }
	cpu := func(x exportRun) float64 { return x.cpu.Seconds() }
	fmt.Fprintf(w, "\nThis build against the baseline `%s` (median of the per-run ratios; below 1 is faster):\n\n", r.cfg.baseline)
	table(w, []string{"Export", "Export time", "CPU"}, "lrr", [][]string{
		{"full", times(ratio(e.current.full, e.baseline.full, took)), times(ratio(e.current.full, e.baseline.full, cpu))},
		{"after one edit", times(ratio(e.current.incremental, e.baseline.incremental, took)), times(ratio(e.current.incremental, e.baseline.incremental, cpu))},
	})
}

// probeSummary lists each full export's file-creation probe beside its
// time and CPU, this build's runs first, then the baseline's.
func probeSummary(current, baseline []exportRun) string {
	var parts []string
	for _, series := range []struct {
		name string
		runs []exportRun
	}{{"", current}, {"baseline ", baseline}} {
		for i, r := range series.runs {
			parts = append(parts, fmt.Sprintf("%srun %d %s (full export %s, CPU %s)", series.name, i+1, micros(r.createFile), seconds(r.took), seconds(r.cpu)))
		}
	}
	return strings.Join(parts, "; ")
}

// peak formats a peak memory figure, which is missing where /proc is.
func peak(kb int64) string {
	if kb == 0 {
		return "n/a"
	}
	return megabytes(kb)
}

// The export's targets.
const (
	targetExportRate  = 2000            // pages per second, full export of 10,000 articles
	targetIncremental = 2 * time.Second // re-export after one edit
)

// exportTargets judges the export's targets; full says whether the run had
// the articles they assume.
func (r *report) exportTargets(full bool, judge func(bool) string, notFull string) [][]string {
	rate, again := "not measured", "not measured"
	rateResult, againResult := "n/a", "n/a"
	if e := r.export; e.err == nil {
		fullRun, editRun := median(e.current.full), median(e.current.incremental)
		rate, rateResult = thousands(int64(fullRun.pagesPerSecond+0.5))+" pages/s", judge(fullRun.pagesPerSecond >= targetExportRate)
		again, againResult = seconds(editRun.took), judge(editRun.took < targetIncremental)
		if !full {
			rateResult, againResult = notFull, notFull
		}
	}
	return [][]string{
		{fmt.Sprintf("Static export of %s articles at %s pages/s or more", thousands(targetArticles), thousands(targetExportRate)), rate, rateResult},
		{fmt.Sprintf("Re-export after one edit in under %v", targetIncremental), again, againResult},
	}
}
