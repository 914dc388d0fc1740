package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tamizdat/tamizdat/bench/corpus"
	"github.com/tamizdat/tamizdat/bench/loadgen"
)

// The targets the project set.
const (
	targetLoad     = 10 * time.Second      // 10,000 articles into SQLite
	targetShare    = 0.70                  // cached article page, of the minimal server's req/s
	targetP99      = 10 * time.Millisecond // cached article page
	targetPeakRSS  = 150_000_000           // bytes, with 10,000 articles
	targetArticles = corpus.DefaultArticles
)

// report is everything the run measured.
type report struct {
	cfg               settings
	started, finished time.Time
	generate          time.Duration
	loads             []loadResult
	loadFailed        error // why loading into PostgreSQL failed
	pages             []pageResult
	mem               memory
	export            exportResult
}

func (r *report) print(w io.Writer) {
	cfg := r.cfg
	fmt.Fprintf(w, "## tamizdat benchmark\n\n")
	fmt.Fprintf(w, "- Date: %s, run took %s\n", r.started.UTC().Format("2006-01-02 15:04 MST"), r.finished.Sub(r.started).Round(time.Second))
	fmt.Fprintf(w, "- Machine: %s; shared and noisy, so compare the ratios, which come from the same run\n", machine())
	fmt.Fprintf(w, "- Site: %s articles (about 700 words of Markdown each), %d tags, %d bylines, seed %d; generated in %.2f s\n",
		thousands(int64(cfg.articles)), cfg.tags, cfg.authors, cfg.seed, r.generate.Seconds())
	if cfg.quick {
		fmt.Fprintf(w, "- Quick run: a smoke test; the targets assume the full run\n")
	}

	fmt.Fprintf(w, "\n### Loading\n\n")
	fmt.Fprintf(w, "Timed: rendering every body (Markdown to sanitized HTML and text, on GOMAXPROCS workers) and ImportArticles in batches of %s. Not timed: migrations, settings, bylines and tags.\n\n", thousands(int64(cfg.batch)))
	var rows [][]string
	var skipped []string
	for _, l := range r.loads {
		if l.skipped != "" {
			rows = append(rows, []string{l.engine, "skipped", "", "", "", ""})
			skipped = append(skipped, l.engine+" skipped: "+l.skipped)
			continue
		}
		rows = append(rows, []string{l.engine, thousands(int64(l.articles)), seconds(l.render), seconds(l.insert), seconds(l.total()), thousands(int64(l.perSecond() + 0.5))})
	}
	table(w, []string{"Engine", "Articles", "Render", "Insert", "Total", "Articles/s"}, "lrrrrr", rows)
	for _, note := range skipped {
		fmt.Fprintf(w, "\n%s\n", note)
	}

	if cfg.loadOnly {
		fmt.Fprintf(w, "\nEach row is the run with the median total of %d runs (-load-only).\n", cfg.runs)
		return
	}

	fmt.Fprintf(w, "\n### Serving\n\n")
	fmt.Fprintf(w, "Closed loop: %d keep-alive connections, %d × %v per page and server after %v of warm-up, tamizdat and the minimal server interleaved. "+
		"No Accept-Encoding, so both send identity bytes; a request counts only when it is a 200 with the expected length. "+
		"Req/s, p50 and p99 are medians of the runs; %% of minimal is the median of the per-run ratios; errors are summed over the runs. "+
		"The minimal server is a bare net/http handler replaying tamizdat's bytes and headers from memory. "+
		"The load generator shares the machine's CPUs with the servers, so when it is the bottleneck both servers show similar req/s; "+
		"CPU/req (the server process's user + system CPU time over the run, per response) still shows what a request costs each server, and CPU × minimal compares the two (median of per-run ratios).\n\n",
		cfg.concurrency, cfg.runs, cfg.duration, cfg.warmup)
	rows = nil
	for _, p := range r.pages {
		t, m := summarize(p.tamizdat), summarize(p.minimal)
		rows = append(rows,
			[]string{p.name + " `" + p.path + "`", thousands(int64(len(p.body))), "tamizdat", thousands(int64(t.rps + 0.5)), millis(t.p50), millis(t.p99),
				micros(t.cpuPerReq), strconv.Itoa(t.errors), percent(share(p)), times(cpuRatio(p))},
			[]string{"", "", "minimal", thousands(int64(m.rps + 0.5)), millis(m.p50), millis(m.p99),
				micros(m.cpuPerReq), strconv.Itoa(m.errors), "", ""})
	}
	table(w, []string{"Page", "Bytes", "Server", "Req/s", "p50", "p99", "CPU/req", "Errors", "% of minimal", "CPU × minimal"}, "lrlrrrrrrr", rows)

	fmt.Fprintf(w, "\n### Memory of the tamizdat process\n\n")
	if r.mem.err != nil {
		fmt.Fprintf(w, "Not measured: %v\n", r.mem.err)
	} else {
		table(w, []string{"After start-up (VmRSS)", "Start-up peak (VmHWM)", "After the load (VmRSS)", "Peak of the run (VmHWM)"}, "rrrr",
			[][]string{{megabytes(r.mem.startKB), megabytes(r.mem.startPeakKB), megabytes(r.mem.afterKB), megabytes(r.mem.peakKB)}})
	}

	r.printExport(w)

	fmt.Fprintf(w, "\n### Targets\n\n")
	table(w, []string{"Target", "Measured", "Result"}, "lrl", r.targets())
}

// targets judges each project target against the figures.
func (r *report) targets() [][]string {
	full := r.cfg.articles == targetArticles
	notFull := fmt.Sprintf("n/a: the run had %s articles", thousands(int64(r.cfg.articles)))
	judge := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**not met**"
	}
	var rows [][]string

	sqlite := r.loads[0]
	result := judge(sqlite.total() < targetLoad)
	if !full {
		result = notFull
	}
	rows = append(rows, []string{fmt.Sprintf("Load %s articles into SQLite in under %v (render + insert)", thousands(targetArticles), targetLoad), seconds(sqlite.total()), result})

	for _, p := range r.pages {
		if !p.target {
			continue
		}
		sh, t := share(p), summarize(p.tamizdat)
		rows = append(rows,
			[]string{fmt.Sprintf("%s: at least %s of the minimal server's req/s", p.name, percent(targetShare)), percent(sh), judge(sh >= targetShare)},
			[]string{fmt.Sprintf("%s: p99 under %v", p.name, targetP99), millis(t.p99), judge(t.p99 < targetP99)})
	}

	if r.mem.err != nil {
		rows = append(rows, []string{"Peak RSS under 150 MB", "not measured", "n/a"})
	} else {
		result := judge(r.mem.peakKB*1024 < targetPeakRSS)
		if !full {
			result = notFull
		}
		rows = append(rows, []string{fmt.Sprintf("Peak RSS (VmHWM) under 150 MB with %s articles", thousands(targetArticles)), megabytes(r.mem.peakKB), result})
	}
	return append(rows, r.exportTargets(full, judge, notFull)...)
}

// stats are the medians of one server's runs on one page.
type stats struct {
	rps                 float64
	p50, p99, cpuPerReq time.Duration
	errors              int
}

func summarize(runs []measurement) stats {
	var s stats
	var rps []float64
	var p50, p99, cpu []time.Duration
	for _, r := range runs {
		rps = append(rps, r.RPS())
		p50 = append(p50, r.Percentile(50))
		p99 = append(p99, r.Percentile(99))
		cpu = append(cpu, r.cpuPerRequest())
		s.errors += r.Errors
	}
	s.rps, s.p50, s.p99, s.cpuPerReq = loadgen.Median(rps), loadgen.Median(p50), loadgen.Median(p99), loadgen.Median(cpu)
	return s
}

// share is tamizdat's req/s as a fraction of the minimal server's.
func share(p pageResult) float64 {
	return pairedRatio(p, func(m measurement) float64 { return m.RPS() })
}

// cpuRatio is tamizdat's CPU time per request as a multiple of the minimal
// server's.
func cpuRatio(p pageResult) float64 {
	return pairedRatio(p, func(m measurement) float64 { return float64(m.cpuPerRequest()) })
}

// pairedRatio is the median over runs of tamizdat's figure divided by the
// minimal server's in the same run: the two measurements of a run are next
// to each other in time and see similar noise. Runs where the minimal
// server's figure is 0 (unknown) are left out.
func pairedRatio(p pageResult, figure func(measurement) float64) float64 {
	var ratios []float64
	for i := range min(len(p.tamizdat), len(p.minimal)) {
		if m := figure(p.minimal[i]); m > 0 {
			ratios = append(ratios, figure(p.tamizdat[i])/m)
		}
	}
	return loadgen.Median(ratios)
}

// table writes a Markdown table with padded columns; align has an 'l' or
// 'r' per column.
func table(w io.Writer, header []string, align string, rows [][]string) {
	widths := make([]int, len(header))
	for _, row := range append([][]string{header}, rows...) {
		for i, cell := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell), 3)
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		b.WriteString("|")
		for i, cell := range cells {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell))
			if align[i] == 'r' {
				b.WriteString(" " + pad + cell + " |")
			} else {
				b.WriteString(" " + cell + pad + " |")
			}
		}
		fmt.Fprintln(w, b.String())
	}
	line(header)
	rule := make([]string, len(header))
	for i := range rule {
		rule[i] = strings.Repeat("-", widths[i])
		if align[i] == 'r' {
			rule[i] = rule[i][1:] + ":"
		}
	}
	line(rule)
	for _, row := range rows {
		line(row)
	}
}

// thousands formats n with comma separators: 10000 → "10,000".
func thousands(n int64) string {
	if n < 0 {
		return "-" + thousands(-n)
	}
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func millis(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

func micros(d time.Duration) string {
	if d == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}

func times(f float64) string {
	if f == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", f)
}

func percent(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) }

func megabytes(kb int64) string { return fmt.Sprintf("%.1f MB", float64(kb)*1024/1e6) }
