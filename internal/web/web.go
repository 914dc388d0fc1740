// Package web holds the HTTP plumbing every surface shares: handlers that
// return errors, one place that turns an error into a response, security
// headers and the access log.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// Error is an error with a message that is safe to show a reader and the
// HTTP status to answer with. The wrapped cause goes to the log only.
type Error struct {
	Status  int
	Message string // shown to the reader: what happened and what to do
	Cause   error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Message, e.Cause)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

func (e *Error) Unwrap() error { return e.Cause }

// NotFound is the error for a page that does not exist.
func NotFound(message string) *Error {
	return &Error{Status: http.StatusNotFound, Message: message}
}

// BadRequest is the error for a request the reader can correct.
func BadRequest(message string) *Error {
	return &Error{Status: http.StatusBadRequest, Message: message}
}

// HandlerFunc is an HTTP handler that returns its failure instead of
// writing it.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// ErrorRenderer writes the response for a failed request.
type ErrorRenderer func(w http.ResponseWriter, r *http.Request, status int, message string)

// Adapter turns HandlerFuncs into http.Handlers. It is the one place that
// maps errors to statuses and logs failures.
type Adapter struct {
	Log         *slog.Logger
	RenderError ErrorRenderer
}

// Handle adapts h.
func (a *Adapter) Handle(h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.Fail(w, r, err)
		}
	})
}

// Fail answers r with the response err calls for.
func (a *Adapter) Fail(w http.ResponseWriter, r *http.Request, err error) {
	status, message := http.StatusInternalServerError, "Something went wrong on our side. Please try again in a minute; if it keeps happening, tell the site's editors."
	var we *Error
	var ve *model.ValidationError
	switch {
	case errors.As(err, &we):
		status, message = we.Status, we.Message
	case errors.Is(err, model.ErrNotFound):
		status, message = http.StatusNotFound, "We could not find that page."
	case errors.As(err, &ve):
		status, message = http.StatusUnprocessableEntity, ve.Error()
	}
	if status >= 500 {
		a.Log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err, "request_id", RequestID(r))
	}
	a.RenderError(w, r, status, message)
}

type ctxKey int

const requestIDKey ctxKey = 0

// RequestID returns the ID the access-log middleware gave the request.
func RequestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

// statusRecorder remembers the status and size of a response for the log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// AccessLog logs each request with its status and duration. It never logs
// the client's address: readers' IP addresses are not recorded.
func AccessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var b [8]byte
		rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		log.LogAttrs(r.Context(), slog.LevelDebug, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Int("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)), slog.String("request_id", id))
	})
}

// Recover turns a panic in a handler into a 500 answer and a log entry,
// so one bad request cannot take the server down.
func Recover(a *Adapter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.Fail(w, r, fmt.Errorf("panic: %v\n%s", v, debug.Stack()))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// SecurityHeaders sets the headers every response carries: a strict
// Content-Security-Policy that allows nothing from other hosts and no inline
// code, and the usual hardening headers.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		// Onion services are end-to-end encrypted by Tor and must keep
		// working over plain HTTP, so they never get HSTS.
		if r.TLS != nil && !strings.HasSuffix(strings.Split(r.Host, ":")[0], ".onion") {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}
