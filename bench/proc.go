package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tamizdat/tamizdat/bench/procstat"
)

// servingMarker is what both servers print before their URL.
const servingMarker = " is serving at "

// server is a server subprocess.
type server struct {
	name   string
	cmd    *exec.Cmd
	url    string // base URL without the trailing slash
	exited chan struct{}
	err    error // from Wait, once exited is closed
}

// startServer runs bin with args, waits for it to print its URL and for
// GET /healthz to answer 200.
func startServer(ctx context.Context, name, bin string, args []string, stderr io.Writer) (*server, error) {
	urls := make(chan string, 1)
	cmd := exec.Command(bin, args...)
	cmd.Stdout = &urlWatcher{found: urls}
	cmd.Stderr = stderr
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &server{name: name, cmd: cmd, exited: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	fail := func(err error) (*server, error) {
		s.stop()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	select {
	case u := <-urls:
		s.url = strings.TrimSuffix(u, "/")
	case <-s.exited:
		return nil, fmt.Errorf("start %s: exited before serving: %v", name, s.err)
	case <-time.After(2 * time.Minute):
		return fail(fmt.Errorf("no %q line on stdout after 2 minutes", strings.TrimSpace(servingMarker)))
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	if err := s.waitHealthy(ctx, time.Minute); err != nil {
		return fail(err)
	}
	return s, nil
}

func (s *server) waitHealthy(ctx context.Context, limit time.Duration) error {
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(limit)
	for {
		resp, err := client.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("GET /healthz: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.exited:
			return fmt.Errorf("exited while starting: %v", s.err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// running reports an error if the server has exited.
func (s *server) running() error {
	select {
	case <-s.exited:
		return fmt.Errorf("%s exited during the run: %v", s.name, s.err)
	default:
		return nil
	}
}

// stop asks the server to shut down gracefully and kills it if it has not
// within ten seconds. It may be called more than once.
func (s *server) stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// memoryKB reads a memory figure such as VmRSS or VmHWM of the server
// process from /proc, in kB.
func (s *server) memoryKB(field string) (int64, error) {
	kb, err := procstat.StatusKB(s.cmd.Process.Pid, field)
	if err != nil {
		return 0, fmt.Errorf("read %s of %s: %w", field, s.name, err)
	}
	return kb, nil
}

// cpuTime returns the CPU time, user and system, the server process has
// used so far.
func (s *server) cpuTime() (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("read the CPU time of %s: %w", s.name, err)
	}
	return parseStatCPU(stat)
}

// userHZ is the unit of the CPU times in /proc/PID/stat, fixed by the
// Linux ABI.
const userHZ = 100

// parseStatCPU adds utime and stime, fields 14 and 15 of /proc/PID/stat.
func parseStatCPU(stat []byte) (time.Duration, error) {
	// The command name, field 2, is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("parse /proc stat: no command name")
	}
	fields := strings.Fields(string(stat[i+1:])) // from field 3 on
	if len(fields) < 13 {
		return 0, errors.New("parse /proc stat: too few fields")
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse /proc stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// urlWatcher is a server's stdout: it passes the URL of the first serving
// line to found and discards the rest.
type urlWatcher struct {
	mu    sync.Mutex
	line  []byte
	found chan<- string
	done  bool
}

func (w *urlWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, b := range p {
		if w.done {
			break
		}
		if b != '\n' {
			w.line = append(w.line, b)
			continue
		}
		if _, u, ok := strings.Cut(string(w.line), servingMarker); ok {
			w.found <- strings.TrimSpace(u)
			w.done = true
		}
		w.line = w.line[:0]
	}
	return len(p), nil
}
