// Package browsertest starts headless Chromium for the project's browser
// tests, the same way in every package.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Start returns a chromedp context on a fresh headless Chromium, stopped
// when the test ends. Without Chromium the test is skipped — unless
// TAMIZDAT_REQUIRE_BROWSER=1 (as in CI), where a missing browser fails it.
func Start(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("TAMIZDAT_REQUIRE_BROWSER") == "1" {
			t.Fatal("no chromium on PATH, and TAMIZDAT_REQUIRE_BROWSER=1: install Debian's chromium package")
		}
		t.Skip("browser test skipped: no chromium on PATH (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(opts, extra...)...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}
