package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/tamizdat/tamizdat/bench/loadgen"
)

// page is one page under load.
type page struct {
	name string
	path string
	// target marks the page the throughput and latency targets apply to.
	target bool
	// What tamizdat sent for it, which the minimal server replays.
	body   []byte
	header http.Header
}

// pageResult is what the load measured on one page, run by run.
type pageResult struct {
	page
	tamizdat, minimal []measurement
}

// measurement is one load run against one server.
type measurement struct {
	loadgen.Result
	// cpu is the CPU time the server process used during the run; 0 when
	// it could not be read.
	cpu time.Duration
}

// cpuPerRequest is the server's CPU time per OK response. When the load
// generator, which shares the CPUs, is what limits req/s, this still shows
// what each request costs the server.
func (m measurement) cpuPerRequest() time.Duration {
	if m.OK == 0 {
		return 0
	}
	return m.cpu / time.Duration(m.OK)
}

// memory is the tamizdat process's resident memory, in kB.
type memory struct {
	startKB     int64 // VmRSS once healthy
	startPeakKB int64 // VmHWM once healthy: the start-up peak
	afterKB     int64 // VmRSS after the load
	peakKB      int64 // VmHWM after the load: the peak of the whole run
	err         error // when /proc could not be read
}

// serveAndLoad starts tamizdat on the SQLite database, captures the pages,
// starts the minimal server with the same bytes and loads both, page by
// page, alternating between them.
func serveAndLoad(ctx context.Context, cfg settings, bin, dbPath, tmp string, pages []page, say func(string, ...any)) ([]pageResult, memory, error) {
	var mem memory
	say("starting tamizdat serve")
	tz, err := startServer(ctx, "tamizdat", bin, []string{
		"serve", "--db", "sqlite:" + dbPath, "--demo=false", "--addr", "127.0.0.1:0", "--log-level", "warn",
	}, os.Stderr)
	if err != nil {
		return nil, mem, err
	}
	defer tz.stop()
	var errRSS, errPeak error
	mem.startKB, errRSS = tz.memoryKB("VmRSS")
	mem.startPeakKB, errPeak = tz.memoryKB("VmHWM")
	mem.err = errors.Join(errRSS, errPeak)

	client := loadgen.NewClient(cfg.concurrency)
	for i := range pages {
		if err := capture(ctx, client, tz.url, &pages[i]); err != nil {
			return nil, mem, err
		}
	}
	dir := filepath.Join(tmp, "minimal")
	if err := writeMinimal(dir, pages); err != nil {
		return nil, mem, fmt.Errorf("save pages for the minimal server: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, mem, err
	}
	say("starting the minimal server")
	mini, err := startServer(ctx, "minimal server", self, []string{minimalArg, dir}, os.Stderr)
	if err != nil {
		return nil, mem, err
	}
	defer mini.stop()
	for _, p := range pages {
		got := page{path: p.path}
		if err := capture(ctx, client, mini.url, &got); err != nil {
			return nil, mem, err
		}
		if !bytes.Equal(got.body, p.body) {
			return nil, mem, fmt.Errorf("the minimal server sends %d bytes for %s, tamizdat %d", len(got.body), p.path, len(p.body))
		}
	}

	load := func(s *server, p page, d time.Duration) (measurement, error) {
		cpuBefore, errBefore := s.cpuTime()
		res, err := loadgen.Run(ctx, client, loadgen.Options{URL: s.url + p.path, WantBytes: len(p.body), Concurrency: cfg.concurrency, Duration: d})
		if err == nil {
			err = ctx.Err()
		}
		m := measurement{Result: res}
		if cpuAfter, errAfter := s.cpuTime(); errBefore == nil && errAfter == nil {
			m.cpu = cpuAfter - cpuBefore
		}
		return m, err
	}
	if cfg.warmup > 0 {
		say("warming up, %v per page and server", cfg.warmup)
		for _, p := range pages {
			for _, s := range []*server{tz, mini} {
				if _, err := load(s, p, cfg.warmup); err != nil {
					return nil, mem, err
				}
			}
		}
	}

	results := make([]pageResult, len(pages))
	for i, p := range pages {
		results[i].page = p
	}
	for run := range cfg.runs {
		for i, p := range pages {
			// Alternate which server goes first, so neither always runs
			// right after the other's load.
			order := []*server{tz, mini}
			if run%2 == 1 {
				slices.Reverse(order)
			}
			for _, s := range order {
				res, err := load(s, p, cfg.duration)
				if err != nil {
					return nil, mem, err
				}
				if s == tz {
					results[i].tamizdat = append(results[i].tamizdat, res)
				} else {
					results[i].minimal = append(results[i].minimal, res)
				}
				say("run %d/%d  %-16s  %-14s  %7.0f req/s  p50 %-9v  p99 %-9v  CPU/req %-7v  errors %d",
					run+1, cfg.runs, p.name, s.name, res.RPS(), ms(res.Percentile(50)), ms(res.Percentile(99)), res.cpuPerRequest(), res.Errors)
			}
		}
	}
	if err := errors.Join(tz.running(), mini.running()); err != nil {
		return nil, mem, err
	}
	if mem.err == nil {
		var errAfter, errPeak error
		mem.afterKB, errAfter = tz.memoryKB("VmRSS")
		mem.peakKB, errPeak = tz.memoryKB("VmHWM")
		mem.err = errors.Join(errAfter, errPeak)
	}
	return results, mem, nil
}

// capture fetches p.path from the server at base and keeps the body and
// the header, less Date, which the minimal server sets fresh.
func capture(ctx context.Context, client *http.Client, base string, p *page) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+p.path, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", p.path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", p.path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch %s%s: status %s, want 200 OK", base, p.path, resp.Status)
	}
	if resp.Header.Get("Content-Encoding") != "" {
		return fmt.Errorf("fetch %s: got Content-Encoding %q without asking for it", p.path, resp.Header.Get("Content-Encoding"))
	}
	p.body, p.header = body, resp.Header.Clone()
	p.header.Del("Date")
	return nil
}

// ms rounds a latency for display.
func ms(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
