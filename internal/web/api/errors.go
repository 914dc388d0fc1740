package api

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/tamizdat/tamizdat/internal/apikeys"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web"
)

// Error is a failure with what the client sees: the status, a stable
// machine-readable code, a message safe to show, and the request field it
// concerns, if any. Cause goes to the log only (the gotosocial WithCode
// idea).
type Error struct {
	Status  int
	Code    string
	Message string
	Field   string
	Cause   error
}

func (e *Error) Error() string {
	msg := strconv.Itoa(e.Status) + " " + e.Code + ": " + e.Message
	if e.Cause != nil {
		msg += ": " + e.Cause.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Cause }

// badParam is the error for a query parameter the client must correct.
func badParam(field, message string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Field: field, Message: message}
}

// errorBody is the JSON every failure answers with.
type errorBody struct {
	Error errorJSON `json:"error"`
}

type errorJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Field names the parameter or JSON member at fault, when there is one.
	Field string `json:"field,omitempty"`
	// Fields has a message per field when a body has several problems.
	Fields map[string]string `json:"fields,omitempty"`
}

// internalMessage is all a client learns of a failure on our side.
const internalMessage = "Something went wrong on our side. Please try again in a minute; if it keeps happening, tell the site's editors."

// fail answers r with the JSON error err calls for: the one place that
// maps errors to statuses and logs failures.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	body := errorJSON{Code: "internal_error", Message: internalMessage}
	status := http.StatusInternalServerError
	var (
		ae        *Error
		we        *web.Error
		ve        *model.ValidationError
		throttled *apikeys.ThrottledError
	)
	switch {
	case errors.As(err, &ae):
		status, body.Code, body.Message, body.Field = ae.Status, ae.Code, ae.Message, ae.Field
	case errors.As(err, &throttled):
		status, body.Code = http.StatusTooManyRequests, "too_many_requests"
		body.Message = "This key failed to authenticate too often; it is locked for a while. Check the key, then try again later."
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(throttled.After.Sub(a.now()).Seconds()+0.5))))
	case errors.Is(err, apikeys.ErrUnauthenticated):
		status, body.Code = http.StatusUnauthorized, "unauthorized"
		body.Message = "The API key is missing, malformed, unknown, expired or revoked. Send \"Authorization: Bearer tzk_…\" with a valid key."
	case errors.As(err, &ve):
		status, body.Code, body.Message = http.StatusUnprocessableEntity, "validation_failed", ve.Error()
		body.Fields = ve.Fields
		fields := make([]string, 0, len(ve.Fields))
		for f := range ve.Fields {
			fields = append(fields, f)
		}
		slices.Sort(fields)
		if len(fields) > 0 {
			body.Field = fields[0]
		}
	case errors.Is(err, publishing.ErrForbidden):
		status, body.Code, body.Message = http.StatusForbidden, "forbidden", "This key's role may not do this."
	case errors.Is(err, store.ErrStaleRevision):
		status, body.Code, body.Message = http.StatusConflict, "conflict",
			"Someone changed this while the request was under way; fetch it again, then retry."
	case errors.Is(err, model.ErrNotFound):
		status, body.Code, body.Message = http.StatusNotFound, "not_found", "There is nothing at this address."
	case errors.Is(err, model.ErrConflict):
		status, body.Code, body.Message = http.StatusConflict, "conflict", "This conflicts with something that already exists."
	case errors.As(err, &we):
		status, body.Code, body.Message = we.Status, codeFor(we.Status), we.Message
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tamizdat admin api"`)
	}
	if status >= 500 {
		a.log.ErrorContext(r.Context(), "api request failed", "method", r.Method, "path", r.URL.Path,
			"status", status, "err", err, "request_id", web.RequestID(r))
	}
	h := w.Header()
	h.Del("ETag")
	h.Set("Cache-Control", "no-store")
	if err := writeJSON(w, status, errorBody{body}); err != nil {
		a.log.WarnContext(r.Context(), "api: write error response", "err", err)
	}
}

// codeFor names a status for errors that carry no code of their own.
func codeFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusConflict:
		return "conflict"
	case http.StatusRequestEntityTooLarge:
		return "payload_too_large"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	case http.StatusUnprocessableEntity:
		return "validation_failed"
	case http.StatusTooManyRequests:
		return "too_many_requests"
	}
	return "internal_error"
}
