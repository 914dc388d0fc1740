package main

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseExportSummary(t *testing.T) {
	tests := []struct {
		name, out string
		want      exportRun
		wantErr   bool
	}{
		{"full export",
			"exported 13811 files (13111 pages, 293.4 MB) into /tmp/b/export in 6.52 s, 2011 pages/s\n" +
				"13811 rendered, 13811 written, 0 unchanged, 0 removed; manifest sequence 1\n",
			exportRun{files: 13811, pages: 13111, megabytes: 293.4, took: 6520 * time.Millisecond, pagesPerSecond: 2011, rendered: 13811, written: 13811}, false},
		{"after an edit",
			"exported 13811 files (13111 pages, 293.4 MB) into /tmp/b/export in 1.25 s, 10489 pages/s\n" +
				"48 rendered, 23 written, 13788 unchanged, 0 removed; manifest sequence 2\n",
			exportRun{files: 13811, pages: 13111, megabytes: 293.4, took: 1250 * time.Millisecond, pagesPerSecond: 10489, rendered: 48, written: 23}, false},
		{"no counts", "exported 1 files (1 pages, 0.1 MB) into x in 0.01 s, 100 pages/s\n", exportRun{}, true},
		{"an error instead", "export: 2 dangling link(s)\n", exportRun{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got exportRun
			err := parseExportSummary([]byte(tt.out), &got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseExportSummary: %v, want an error: %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(exportRun{})); diff != "" {
				t.Errorf("parseExportSummary (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExportMedianAndRatio(t *testing.T) {
	run := func(took, cpu time.Duration, rate float64, written int) exportRun {
		return exportRun{took: took, cpu: cpu, pagesPerSecond: rate, written: written}
	}
	current := []exportRun{run(3*time.Second, 6*time.Second, 900, 10), run(time.Second, 2*time.Second, 3000, 11), run(2*time.Second, 4*time.Second, 1500, 12)}
	baseline := []exportRun{run(4*time.Second, 6*time.Second, 700, 10), run(4*time.Second, 8*time.Second, 700, 10), run(2*time.Second, 8*time.Second, 1400, 10)}

	m := median(current)
	if m.took != 2*time.Second || m.cpu != 4*time.Second || m.pagesPerSecond != 1500 || m.written != 12 {
		t.Errorf("median = took %v, cpu %v, %v pages/s, %d written; want 2s, 4s, 1500, and the last run's 12", m.took, m.cpu, m.pagesPerSecond, m.written)
	}
	// Per-run ratios of took: 0.75, 0.25, 1; their median is 0.75, while
	// the ratio of the medians would be 2/4.
	if got := ratio(current, baseline, func(x exportRun) float64 { return x.took.Seconds() }); got != 0.75 {
		t.Errorf("ratio of export times = %v, want 0.75", got)
	}
}
