package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// minimalArg, as the first argument, turns the benchmark binary into the
// minimal server; the second argument is the directory writeMinimal filled.
const minimalArg = "__minimal-server"

// manifestName is the file in that directory listing the pages.
const manifestName = "pages.json"

// minimalPage is one page the minimal server sends: the bytes and the
// response header tamizdat sent for it.
type minimalPage struct {
	Path   string      `json:"path"`
	File   string      `json:"file"`
	Header http.Header `json:"header"`
}

// writeMinimal saves the pages fetched from tamizdat into dir for the
// minimal server.
func writeMinimal(dir string, pages []page) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	manifest := make([]minimalPage, len(pages))
	for i, p := range pages {
		manifest[i] = minimalPage{Path: p.path, File: strconv.Itoa(i) + ".body", Header: p.header}
		if err := os.WriteFile(filepath.Join(dir, manifest[i].File), p.body, 0o600); err != nil {
			return err
		}
	}
	b, err := json.Marshal(manifest)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, manifestName), b, 0o600)
}

// serveMinimal is the baseline: the cheapest Go server that sends the same
// bytes and headers as tamizdat, from memory, with net/http defaults. It
// serves until killed.
func serveMinimal(dir string, stdout io.Writer) error {
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return err
	}
	var manifest []minimalPage
	if err := json.Unmarshal(b, &manifest); err != nil {
		return fmt.Errorf("read %s: %w", manifestName, err)
	}
	type response struct {
		header http.Header
		body   []byte
	}
	responses := map[string]response{}
	for _, p := range manifest {
		body, err := os.ReadFile(filepath.Join(dir, p.File))
		if err != nil {
			return err
		}
		responses[p.Path] = response{header: p.Header, body: body}
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			io.WriteString(w, "ok\n")
			return
		}
		resp, ok := responses[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		for k, v := range resp.header {
			h[k] = v
		}
		w.WriteHeader(http.StatusOK)
		w.Write(resp.body)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "minimal server%shttp://%s/\n", servingMarker, ln.Addr())
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute}
	return srv.Serve(ln)
}
