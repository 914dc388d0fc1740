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
