package config

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestMediaSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		wantDir string
		wantMax int64
		wantErr string
	}{
		{"defaults", nil, nil, "data/media", 20 << 20, ""},
		{"flags", []string{"--media-dir", "/srv/media", "--max-upload-bytes", "1048576"}, nil, "/srv/media", 1 << 20, ""},
		{"environment", nil, map[string]string{"TAMIZDAT_MEDIA_DIR": "/var/media", "TAMIZDAT_MAX_UPLOAD_BYTES": "5000000"}, "/var/media", 5_000_000, ""},
		{"zero limit", []string{"--max-upload-bytes", "0"}, nil, "", 0, "max-upload-bytes 0: must be positive"},
		{"empty directory", []string{"--media-dir", " "}, nil, "", 0, "media-dir: needed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var c Config
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			c.Register(fs, "media-dir", "max-upload-bytes")
			err := c.Load(fs, tc.args, func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.MediaDir != tc.wantDir || c.MaxUploadBytes != tc.wantMax {
				t.Errorf("media-dir %q, max-upload-bytes %d; want %q, %d", c.MediaDir, c.MaxUploadBytes, tc.wantDir, tc.wantMax)
			}
		})
	}
}
