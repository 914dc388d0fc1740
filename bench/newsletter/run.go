package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/tamizdat/tamizdat/internal/mail/mailtest"
	"github.com/tamizdat/tamizdat/internal/store"
)

// sendWhole sends the first issue without interruption.
func sendWhole(ctx context.Context, cfg settings, env *benchEnv, res *results, stderr io.Writer, logf func(string, ...any)) error {
	is, enqueue, err := env.startIssue(ctx, "The week in review")
	if err != nil {
		return err
	}
	res.enqueue = enqueue
	logf("outbox filled in %s; sending %d messages…", enqueue.Round(time.Millisecond), cfg.subscribers)
	base := env.sink.Count()
	start := time.Now()
	s, err := startSender(cfg, env, is.ID, cfg.cpuProfile, stderr)
	if err != nil {
		return err
	}
	p, err := watch(ctx, env, s, base, func(p progress) bool { return p.count >= cfg.subscribers })
	if err != nil {
		s.kill()
		return err
	}
	if p.count < cfg.subscribers {
		return fmt.Errorf("the sender exited after %d of %d messages", p.count, cfg.subscribers)
	}
	if res.peakRSS, err = s.wait(ctx); err != nil {
		return err
	}
	res.totalTime = time.Since(start)
	res.cpuPerMessage = s.cpu / time.Duration(cfg.subscribers)
	res.sendTime = p.last.Sub(p.first)
	res.rate = float64(p.count) / res.sendTime.Seconds()
	msgs := env.sink.Messages()[base:]
	res.messageBytes = msgs[0].Size
	_, res.sentDuplicates = tally(msgs)
	logf("sent at %.0f messages/s; sender peak RSS %.1f MB", res.rate, float64(res.peakRSS)/(1<<20))
	return nil
}

// sendInterrupted sends the second issue, killing the sender part-way.
func sendInterrupted(ctx context.Context, cfg settings, env *benchEnv, res *results, stderr io.Writer, logf func(string, ...any)) error {
	is, _, err := env.startIssue(ctx, "The week in review, again")
	if err != nil {
		return err
	}
	base := env.sink.Count()
	killAt := int(float64(cfg.subscribers) * cfg.interruptAt)
	s, err := startSender(cfg, env, is.ID, "", stderr)
	if err != nil {
		return err
	}
	p, err := watch(ctx, env, s, base, func(p progress) bool { return p.count >= killAt })
	s.kill()
	if err != nil {
		return err
	}
	if p.count < killAt {
		return fmt.Errorf("the sender exited after %d messages, before the kill", p.count)
	}
	res.killedAfter = env.sink.Count() - base
	held, err := env.st.ListSends(ctx, is.ID, store.SendSending, cfg.subscribers)
	if err != nil {
		return err
	}
	res.inFlight = len(held)
	logf("killed the sender (SIGKILL) after %d messages; it held %d rows; restarting…", res.killedAfter, res.inFlight)

	restart := time.Now()
	s, err = startSender(cfg, env, is.ID, "", stderr)
	if err != nil {
		return err
	}
	// The sender exits once the issue is marked sent.
	p, err = watch(ctx, env, s, env.sink.Count(), func(progress) bool { return false })
	if err != nil {
		s.kill()
		return err
	}
	if res.resumedPeakRSS, err = s.wait(ctx); err != nil {
		return err
	}
	res.resumeToDone = time.Since(restart)
	res.firstAfterStart = p.first.Sub(restart)
	distinct, duplicates := tally(env.sink.Messages()[base:])
	res.lost, res.duplicates = cfg.subscribers-distinct, duplicates
	logf("resumed: done %s after the restart; %d lost, %d repeated", res.resumeToDone.Round(time.Millisecond), res.lost, res.duplicates)
	return nil
}

// tally counts distinct Message-IDs and the copies beyond the first.
func tally(msgs []mailtest.Received) (distinct, repeats int) {
	seen := make(map[string]bool, len(msgs))
	for _, m := range msgs {
		if seen[m.MessageID] {
			repeats++
			continue
		}
		seen[m.MessageID] = true
	}
	return len(seen), repeats
}

// measureCeiling sends n messages of the issue's size from a process with
// the same SMTP client and no database, to show what the SMTP path alone
// allows on this machine.
func measureCeiling(ctx context.Context, cfg settings, env *benchEnv, res *results, stderr io.Writer) error {
	n := cfg.subscribers / 2
	base := env.sink.Count()
	s, err := startProcess(stderr, "-smtp", env.sink.Addr(), "-ceiling", strconv.Itoa(n),
		"-size", strconv.Itoa(res.messageBytes), "-workers", strconv.Itoa(cfg.workers))
	if err != nil {
		return err
	}
	p, err := watch(ctx, env, s, base, func(p progress) bool { return p.count >= n })
	if err != nil {
		s.kill()
		return err
	}
	if _, err := s.wait(ctx); err != nil {
		return err
	}
	res.ceilingCPU = s.cpu / time.Duration(n)
	if p.count < n {
		return fmt.Errorf("the SMTP-only sender stopped after %d of %d messages", p.count, n)
	}
	res.ceiling = float64(p.count) / p.last.Sub(p.first).Seconds()
	return nil
}
