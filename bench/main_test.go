package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/bench/corpus"
	"github.com/tamizdat/tamizdat/bench/loadgen"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name         string
		args         []string
		wantArticles int
		wantDuration time.Duration
		wantErr      bool
	}{
		{"defaults are the full run", nil, corpus.DefaultArticles, 10 * time.Second, false},
		{"quick shortens the run", []string{"-quick"}, 2000, 2 * time.Second, false},
		{"explicit flags win over quick", []string{"-quick", "-articles", "500", "-duration", "3s"}, 500, 3 * time.Second, false},
		{"explicit flags before quick win too", []string{"-articles", "700", "-quick"}, 700, 2 * time.Second, false},
		{"no runs", []string{"-runs", "0"}, 0, 0, true},
		{"a stray argument", []string{"now"}, 0, 0, true},
		{"an unknown flag", []string{"-fast"}, 0, 0, true},
		{"a baseline that is not a program", []string{"-baseline", "main_test.go"}, 0, 0, true},
		{"a missing baseline", []string{"-baseline", "no-such-tamizdat"}, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseFlags(tt.args, io.Discard)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parseFlags(%q) succeeded; want an error", tt.args)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.articles != tt.wantArticles || s.duration != tt.wantDuration {
				t.Errorf("parseFlags(%q): %d articles, %v per measurement; want %d, %v", tt.args, s.articles, s.duration, tt.wantArticles, tt.wantDuration)
			}
		})
	}
}

func TestURLWatcher(t *testing.T) {
	found := make(chan string, 1)
	w := &urlWatcher{found: found}
	// The line arrives in pieces, after other output; later lines are ignored.
	for _, chunk := range []string{"migrating\ntamizdat is serv", "ing at http://127.0.0.1:4321/\n", "minimal server is serving at http://other/\n"} {
		if _, err := io.WriteString(w, chunk); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case got := <-found:
		if got != "http://127.0.0.1:4321/" {
			t.Errorf("found %q, want http://127.0.0.1:4321/", got)
		}
	default:
		t.Fatal("no URL found")
	}
}

func TestPairedRatios(t *testing.T) {
	at := func(ok int, cpu time.Duration) measurement {
		return measurement{Result: loadgen.Result{OK: ok, Elapsed: time.Second}, cpu: cpu}
	}
	p := pageResult{
		tamizdat: []measurement{at(80, 160*time.Millisecond), at(50, 150*time.Millisecond), at(300, 300*time.Millisecond)},
		minimal:  []measurement{at(100, 100*time.Millisecond), at(100, 100*time.Millisecond), at(400, 0)},
	}
	t.Run("share of req/s", func(t *testing.T) {
		// Ratios 0.8, 0.5, 0.75: the median is 0.75, whereas the ratio of
		// the medians would be 80/100.
		if got := share(p); got != 0.75 {
			t.Errorf("share = %v, want 0.75", got)
		}
	})
	t.Run("CPU per request, leaving out unknown CPU", func(t *testing.T) {
		// 2ms/1ms and 3ms/1ms; the third run has no minimal CPU figure.
		if got := cpuRatio(p); got != 2.5 {
			t.Errorf("cpuRatio = %v, want 2.5", got)
		}
	})
}

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name    string
		stat    string
		want    time.Duration
		wantErr bool
	}{
		{"plain", "4242 (tamizdat) S 1 4242 4242 0 -1 4194560 1500 0 0 0 250 50 0 0 20 0 9 0", 3 * time.Second, false},
		{"spaces and parentheses in the name", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0", 30 * time.Millisecond, false},
		{"truncated", "7 (x) R 1 7", 0, true},
		{"no name", "7 x R", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU([]byte(tt.stat))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseStatCPU = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestTable(t *testing.T) {
	var b bytes.Buffer
	table(&b, []string{"Page", "Req/s"}, "lr", [][]string{{"front", "9"}, {"article", "12,000"}})
	want := strings.Join([]string{
		"| Page    |  Req/s |",
		"| ------- | -----: |",
		"| front   |      9 |",
		"| article | 12,000 |",
		"",
	}, "\n")
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}
