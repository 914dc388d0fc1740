package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/vault"
)

// senderArg makes the binary the sender process.
const senderArg = "-sender"

// peakMarker starts the line a sender prints when its issue is sent.
const peakMarker = "peak_rss_bytes "

// runSender is the sender process: it runs an Outbox until the issue is
// sent, then prints its peak RSS.
func runSender(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("sender", flag.ContinueOnError)
	db := fs.String("db", "", "database URL")
	smtpAddr := fs.String("smtp", "", "SMTP sink address")
	keyHex := fs.String("key", "", "vault key, hex")
	issueID := fs.String("issue", "", "issue to wait for")
	workers := fs.Int("workers", 16, "")
	batch := fs.Int("batch", 25, "")
	rate := fs.Float64("rate", 0, "")
	profile := fs.String("cpuprofile", "", "")
	ceiling := fs.Int("ceiling", 0, "send this many messages without the database instead")
	size := fs.Int("size", 0, "bytes per message, with -ceiling")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *ceiling > 0 {
		if err := sendCeiling(*smtpAddr, *ceiling, *size, *workers); err != nil {
			return err
		}
		return reportPeak(stdout)
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	key, err := hex.DecodeString(*keyHex)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	st, err := store.Open(ctx, *db, store.Options{Logger: log})
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := vault.New(key)
	if err != nil {
		return err
	}
	tokens, err := newsletter.NewTokens(key, nil)
	if err != nil {
		return err
	}
	mailer, err := tmail.NewSMTP(tmail.SMTPConfig{
		Servers: []tmail.Server{{Addr: *smtpAddr, TLS: tmail.TLSNone}}, Conns: *workers, Rate: *rate,
	})
	if err != nil {
		return err
	}
	defer mailer.Close()
	o, err := newsletter.NewOutbox(newsletter.SendOptions{
		Store: st, Vault: v, Tokens: tokens, Mail: mailer, From: "Bench Gazette <news@bench.example>",
		SiteURL: "https://bench.example", Workers: *workers, Batch: *batch, Log: log,
	})
	if err != nil {
		return err
	}
	var running sync.WaitGroup
	running.Go(func() { o.Run(ctx) })
	for {
		time.Sleep(50 * time.Millisecond)
		is, err := st.IssueByID(ctx, *issueID)
		if err != nil {
			return err
		}
		if is.Status == store.IssueSent {
			break
		}
	}
	cancel()
	running.Wait()
	return reportPeak(stdout)
}

// reportPeak prints the process's peak RSS for the benchmark to read.
func reportPeak(stdout io.Writer) error {
	peak, err := vmHWM(os.Getpid())
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s%d\n", peakMarker, peak)
	return err
}

// sender is a running sender process, seen from the benchmark.
type sender struct {
	cmd    *exec.Cmd
	peak   chan int64 // the peak it reports when done
	exited chan struct{}
	err    error
	// maxSeen is the highest VmHWM sampled while it ran.
	maxSeen int64
	// cpu is the processor time it used, known once it exited.
	cpu time.Duration
}

// startSender starts a sender process for the issue, with a CPU profile
// written to profile unless it is "".
func startSender(cfg settings, env *benchEnv, issueID, profile string, stderr io.Writer) (*sender, error) {
	return startProcess(stderr, "-db", env.dbURL, "-smtp", env.sink.Addr(), "-key", hex.EncodeToString(env.key),
		"-issue", issueID, "-workers", strconv.Itoa(cfg.workers), "-batch", strconv.Itoa(cfg.batch),
		"-rate", strconv.FormatFloat(cfg.rate, 'f', -1, 64), "-cpuprofile", profile)
}

// startProcess runs this binary as a sender with args.
func startProcess(stderr io.Writer, args ...string) (*sender, error) {
	bin, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append([]string{senderArg}, args...)...)
	cmd.Stderr = stderr
	cmd.SysProcAttr = childAttr()
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &sender{cmd: cmd, peak: make(chan int64, 1), exited: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), peakMarker); ok {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil {
					s.peak <- n
				}
			}
		}
		s.err = cmd.Wait()
		s.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		close(s.exited)
	}()
	return s, nil
}

// sample records the sender's VmHWM so far.
func (s *sender) sample() {
	if n, err := vmHWM(s.cmd.Process.Pid); err == nil && n > s.maxSeen {
		s.maxSeen = n
	}
}

// kill stops the sender with SIGKILL and waits for it.
func (s *sender) kill() {
	s.sample()
	s.cmd.Process.Kill()
	<-s.exited
}

// wait waits for the sender to report and exit, and returns its peak RSS.
func (s *sender) wait(ctx context.Context) (int64, error) {
	select {
	case peak := <-s.peak:
		<-s.exited
		return max(peak, s.maxSeen), nil
	case <-s.exited:
		select {
		case peak := <-s.peak: // reported just before exiting
			return max(peak, s.maxSeen), nil
		default:
			return 0, fmt.Errorf("the sender exited without reporting: %v", s.err)
		}
	case <-ctx.Done():
		s.kill()
		return 0, ctx.Err()
	}
}

// progress is what the sink saw of an issue while a sender ran.
type progress struct {
	first, last time.Time // when the first and the latest message arrived
	count       int
}

// watch polls the sink while a sender runs, counting the messages after
// the first base ones, until done says so or the sender exits.
func watch(ctx context.Context, env *benchEnv, s *sender, base int, done func(p progress) bool) (progress, error) {
	var p progress
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for samples := 0; ; samples++ {
		exited := false
		select {
		case <-ctx.Done():
			return p, ctx.Err()
		case <-s.exited:
			exited = true
		case <-tick.C:
		}
		if n, now := env.sink.Count()-base, time.Now(); n > p.count {
			if p.count == 0 {
				p.first = now
			}
			p.count, p.last = n, now
		}
		if samples%20 == 0 {
			s.sample()
		}
		if done(p) || exited {
			return p, nil
		}
	}
}
