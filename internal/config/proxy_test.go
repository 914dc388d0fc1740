package config

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestProxySettings(t *testing.T) {
	load := func(args ...string) (Config, error) {
		var c Config
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.Register(fs, "trusted-proxies", "proxy-header")
		err := c.Load(fs, args, func(string) string { return "" })
		return c, err
	}
	if c, err := load("--trusted-proxies", "127.0.0.1, 10.0.0.0/8", "--proxy-header", "forwarded"); err != nil || c.TrustedProxies == "" {
		t.Errorf("valid proxy settings: %+v, %v", c, err)
	}
	if c, err := load(); err != nil || c.TrustedProxies != "" || c.ProxyHeader != "X-Forwarded-For" {
		t.Errorf("defaults: %+v, %v", c, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--trusted-proxies", "proxy.internal"}, "trusted-proxies"},
		{[]string{"--trusted-proxies", "10.0.0.0/40"}, "trusted-proxies"},
		{[]string{"--proxy-header", "X-Real-IP"}, "proxy-header"},
	} {
		if _, err := load(tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one mentioning %q", tc.args, err, tc.want)
		}
	}
}
