// Command newsletter measures how tamizdat sends a newsletter issue: it
// loads generated subscribers (sealed with a vault key, through the store),
// starts one issue, and sends it through a local SMTP sink from a separate
// sender process, timing the send and reading the sender's peak memory. A
// second issue is sent with the sender killed (SIGKILL) part-way and
// restarted, to time the resumption and count lost and repeated messages.
// Run it from the module root:
//
//	go run ./bench/newsletter                  # 100,000 subscribers on SQLite
//	go run ./bench/newsletter -engine postgres # the same on PostgreSQL
//
// The results go to stdout as a Markdown table; progress goes to stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// settings are the command line flags.
type settings struct {
	subscribers int
	workers     int
	batch       int
	rate        float64
	fullText    bool
	interruptAt float64
	engine      string
	postgres    string
	keep        bool
	cpuProfile  string
}

func parseFlags(args []string, stderr io.Writer) (settings, error) {
	var s settings
	fs := flag.NewFlagSet("newsletter", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./bench/newsletter [flags]   (from the module root)")
		fs.PrintDefaults()
	}
	fs.IntVar(&s.subscribers, "subscribers", 100_000, "active subscribers to send the issue to")
	fs.IntVar(&s.workers, "workers", 32, "messages the sender sends at once (send-workers)")
	fs.IntVar(&s.batch, "batch", 25, "outbox rows a sender worker claims at a time")
	fs.Float64Var(&s.rate, "rate", 0, "messages per second to the SMTP server (send-rate); 0: no limit")
	fs.BoolVar(&s.fullText, "full-text", false, "send the articles' full text, not only their summaries")
	fs.Float64Var(&s.interruptAt, "interrupt-at", 0.3, "share of the second issue sent before the sender is killed")
	fs.StringVar(&s.engine, "engine", "sqlite", "database engine: sqlite (a file in a temporary directory) or postgres")
	fs.StringVar(&s.postgres, "postgres", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
		"PostgreSQL URL for -engine postgres; the run creates and drops a schema there")
	fs.BoolVar(&s.keep, "keep", false, "keep the SQLite file or PostgreSQL schema afterwards, for inspection")
	fs.StringVar(&s.cpuProfile, "cpuprofile", "", "write a CPU profile of the (uninterrupted) sender to `FILE`")
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	switch {
	case fs.NArg() > 0:
		return s, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case s.subscribers < 10 || s.workers < 1 || s.batch < 1:
		return s, errors.New("need at least 10 subscribers, 1 worker and a batch of 1")
	case s.interruptAt <= 0 || s.interruptAt >= 1:
		return s, errors.New("-interrupt-at must be between 0 and 1")
	case s.engine != "sqlite" && s.engine != "postgres":
		return s, fmt.Errorf("-engine %q: expected sqlite or postgres", s.engine)
	}
	return s, nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == senderArg {
		if err := runSender(os.Args[2:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench sender:", err)
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
		fmt.Fprintln(os.Stderr, "bench: interrupted; sender stopped")
		os.Exit(130)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// results are what one run measured.
type results struct {
	engine                    string
	subscribers, messageBytes int
	load, enqueue             time.Duration

	// The uninterrupted issue.
	sendTime, totalTime time.Duration
	rate                float64
	ceiling             float64 // messages per second with no database
	cpuPerMessage       time.Duration
	ceilingCPU          time.Duration
	peakRSS             int64 // bytes
	sentDuplicates      int

	// The interrupted issue.
	killedAfter     int
	inFlight        int
	firstAfterStart time.Duration // restart until the first new message arrives
	resumeToDone    time.Duration // restart until the issue is marked sent
	duplicates      int
	lost            int
	resumedPeakRSS  int64
}

func run(ctx context.Context, cfg settings, stdout, stderr io.Writer) error {
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", args...) }
	env, err := prepare(ctx, cfg, logf)
	if err != nil {
		return err
	}
	defer env.close(cfg.keep, logf)
	res := results{engine: env.engineName, subscribers: cfg.subscribers, load: env.loadTime}
	if err := sendWhole(ctx, cfg, env, &res, stderr, logf); err != nil {
		return err
	}
	if err := measureCeiling(ctx, cfg, env, &res, stderr); err != nil {
		return err
	}
	if err := sendInterrupted(ctx, cfg, env, &res, stderr, logf); err != nil {
		return err
	}
	report(stdout, cfg, res)
	return nil
}

func report(w io.Writer, cfg settings, r results) {
	mb := func(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	content := "summaries"
	if cfg.fullText {
		content = "full text"
	}
	fmt.Fprintf(w, "### Newsletter send: %d subscribers, %s\n\n", r.subscribers, r.engine)
	fmt.Fprintf(w, "One issue of 6 articles (%s), %d bytes per message on the wire; %d sender workers claiming %d rows at a time; "+
		"the sender is a separate process, the SMTP sink (go-smtp, discarding) another.\n\n", content, r.messageBytes, cfg.workers, cfg.batch)
	fmt.Fprintln(w, "| Measure | Result | Target |")
	fmt.Fprintln(w, "|---|---:|---|")
	fmt.Fprintf(w, "| Loading %d subscribers (sealed, through the store) | %s | |\n", r.subscribers, r.load.Round(time.Millisecond))
	fmt.Fprintf(w, "| Filling the outbox (one row per recipient) | %s | |\n", r.enqueue.Round(time.Millisecond))
	fmt.Fprintf(w, "| Messages per second, first to last message | %.0f | ≥ 4,000: %s |\n", r.rate, verdict(r.rate >= 4000))
	fmt.Fprintf(w, "| Sender CPU time per message | %s | |\n", r.cpuPerMessage.Round(time.Microsecond))
	fmt.Fprintf(w, "| For comparison: the SMTP client alone, no database (%d messages) | %.0f msgs/s, %s CPU each | |\n",
		r.subscribers/2, r.ceiling, r.ceilingCPU.Round(time.Microsecond))
	fmt.Fprintf(w, "| Total time, sender start to issue marked sent | %s | |\n", r.totalTime.Round(time.Millisecond))
	fmt.Fprintf(w, "| Peak RSS of the sender process (VmHWM) | %s | < 150 MB: %s |\n", mb(r.peakRSS), verdict(r.peakRSS < 150<<20))
	fmt.Fprintf(w, "| Repeated messages, uninterrupted | %d | 0: %s |\n", r.sentDuplicates, verdict(r.sentDuplicates == 0))
	fmt.Fprintf(w, "| Interrupted issue: SIGKILL after | %d messages | ~%.0f%% |\n", r.killedAfter, cfg.interruptAt*100)
	fmt.Fprintf(w, "| Rows held by the killed sender (in flight or claimed) | %d | |\n", r.inFlight)
	fmt.Fprintf(w, "| Restart to first new message | %s | |\n", r.firstAfterStart.Round(time.Millisecond))
	fmt.Fprintf(w, "| Restart to issue marked sent | %s | |\n", r.resumeToDone.Round(time.Millisecond))
	fmt.Fprintf(w, "| Lost recipients | %d | 0: %s |\n", r.lost, verdict(r.lost == 0))
	fmt.Fprintf(w, "| Repeated messages (same Message-ID) | %d | ≤ in flight (%d): %s |\n", r.duplicates, r.inFlight, verdict(r.duplicates <= r.inFlight))
	fmt.Fprintf(w, "| Peak RSS of the restarted sender | %s | < 150 MB: %s |\n", mb(r.resumedPeakRSS), verdict(r.resumedPeakRSS < 150<<20))
}
