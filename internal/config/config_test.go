package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	var c Config
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.Register(fs, "addr", "db", "base-url", "demo", "log-format", "log-level", "cache-max-age", "cache-bytes")
	err := c.Load(fs, args, func(k string) string { return env[k] })
	return c, err
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tamizdat.conf")
	if err := os.WriteFile(file, []byte("# comment\naddr = 127.0.0.1:7000\ndb = \"sqlite:from-file.db\"\nlog-level = warn\ncache-max-age = 5m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantAddr string
		wantDB   string
		wantLvl  string
	}{
		{"defaults", nil, nil, "127.0.0.1:8080", "sqlite:data/tamizdat.db", "info"},
		{"file", []string{"--config", file}, nil, "127.0.0.1:7000", "sqlite:from-file.db", "warn"},
		{"file from env", nil, map[string]string{"TAMIZDAT_CONFIG": file}, "127.0.0.1:7000", "sqlite:from-file.db", "warn"},
		{"env beats file", []string{"--config", file}, map[string]string{"TAMIZDAT_ADDR": "127.0.0.1:7001"}, "127.0.0.1:7001", "sqlite:from-file.db", "warn"},
		{"flag beats env and file", []string{"--config", file, "--addr", "127.0.0.1:7002"}, map[string]string{"TAMIZDAT_ADDR": "127.0.0.1:7001"}, "127.0.0.1:7002", "sqlite:from-file.db", "warn"},
		{"env only", nil, map[string]string{"TAMIZDAT_DB": "postgres://u@h/db", "TAMIZDAT_LOG_LEVEL": "debug"}, "127.0.0.1:8080", "postgres://u@h/db", "debug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load(t, tt.args, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if c.Addr != tt.wantAddr || c.DB != tt.wantDB || c.LogLevel != tt.wantLvl {
				t.Errorf("got addr=%q db=%q level=%q, want %q %q %q", c.Addr, c.DB, c.LogLevel, tt.wantAddr, tt.wantDB, tt.wantLvl)
			}
		})
	}
	c, err := load(t, []string{"--config", file}, nil)
	if err != nil || c.CacheMaxAge != 5*time.Minute {
		t.Errorf("cache-max-age from file = %v, %v; want 5m", c.CacheMaxAge, err)
	}
}

func TestInvalid(t *testing.T) {
	dir := t.TempDir()
	badFile := filepath.Join(dir, "bad.conf")
	os.WriteFile(badFile, []byte("addr = 127.0.0.1:1\nlisten = :80\n"), 0o600)
	noEquals := filepath.Join(dir, "noeq.conf")
	os.WriteFile(noEquals, []byte("addr\n"), 0o600)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // part of the error message
	}{
		{"addr without port", []string{"--addr", "localhost"}, nil, "expected HOST:PORT"},
		{"unknown db scheme", []string{"--db", "mysql://x"}, nil, "expected sqlite:PATH or postgres://"},
		{"bad base url", []string{"--base-url", "news.example"}, nil, "http:// or https://"},
		{"bad log format", []string{"--log-format", "xml"}, nil, "text or json"},
		{"bad level", nil, map[string]string{"TAMIZDAT_LOG_LEVEL": "loud"}, "debug, info, warn or error"},
		{"bad duration in env names the variable", nil, map[string]string{"TAMIZDAT_CACHE_MAX_AGE": "soon"}, "TAMIZDAT_CACHE_MAX_AGE"},
		{"unknown key in file names the line", []string{"--config", badFile}, nil, "line 2: unknown setting \"listen\""},
		{"line without equals", []string{"--config", noEquals}, nil, "expected \"name = value\""},
		{"missing file", []string{"--config", filepath.Join(dir, "nope.conf")}, nil, "no such file"},
		{"negative cache", []string{"--cache-bytes", "-1"}, nil, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.args, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestEnvName(t *testing.T) {
	if got := EnvName("cache-max-age"); got != "TAMIZDAT_CACHE_MAX_AGE" {
		t.Errorf("EnvName = %q", got)
	}
}
