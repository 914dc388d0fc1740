package config

import (
	"flag"
	"io"
	"testing"
)

func TestAdminURL(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
		desk string
	}{
		{nil, true, "http://localhost:8080"},
		{[]string{"--addr", "0.0.0.0:9000"}, true, "http://localhost:9000"},
		{[]string{"--admin-url", "https://desk.news.example/"}, true, "https://desk.news.example"},
		{[]string{"--admin-url", "http://127.0.0.1:8080"}, true, "http://127.0.0.1:8080"},
		{[]string{"--admin-url", "http://desk.news.example"}, false, ""},
		{[]string{"--admin-url", "https://news.example/admin"}, false, ""},
		{[]string{"--admin-url", "desk.news.example"}, false, ""},
	} {
		var c Config
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.Register(fs, "addr", "admin-url")
		err := c.Load(fs, tc.args, func(string) string { return "" })
		if (err == nil) != tc.ok {
			t.Errorf("%v: Load() = %v; want ok=%v", tc.args, err, tc.ok)
			continue
		}
		if tc.ok && c.DeskURL() != tc.desk {
			t.Errorf("%v: DeskURL() = %q, want %q", tc.args, c.DeskURL(), tc.desk)
		}
	}
}
