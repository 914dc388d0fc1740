package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"time"
)

// maxBody bounds Admin API request bodies: an article's Markdown is rarely
// more than a few hundred kilobytes.
const maxBody = 1 << 20

// decodeBody reads r's JSON body into v, refusing unknown members so that
// a misspelt field is an error rather than silently ignored. An empty body
// is allowed when optional is set and leaves v as it is.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	body := http.MaxBytesReader(w, r.Body, maxBody)
	if optional && r.ContentLength == 0 {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Field: "Content-Type",
			Message: "Send the body as JSON, with Content-Type: application/json."}
	}
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("data after the JSON value")
		}
	}
	var (
		tooLarge  *http.MaxBytesError
		typeError *json.UnmarshalTypeError
		timeError *time.ParseError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooLarge):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "payload_too_large",
			Message: "The body is larger than the 1 MiB the Admin API accepts."}
	case errors.As(err, &typeError):
		return &Error{Status: http.StatusBadRequest, Code: "bad_request", Field: typeError.Field,
			Message: typeError.Field + " must be " + jsonKind(typeError.Type) + ", not " + typeError.Value + "."}
	case errors.As(err, &timeError):
		// The only times the API reads are publication times.
		return &Error{Status: http.StatusBadRequest, Code: "bad_request", Field: "published_at",
			Message: "published_at must be an RFC 3339 date-time such as 2025-03-14T09:30:00+02:00."}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &Error{Status: http.StatusBadRequest, Code: "bad_request", Field: field,
			Message: "This endpoint has no field " + field + "."}
	}
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Cause: err,
		Message: "The body is not one JSON object as this endpoint expects."}
}

// jsonKind names what JSON value a Go type takes, for messages.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a number"
}

// optional is a JSON member that may be absent, null or a value: on an
// update, absent keeps the current value and null removes it.
type optional[T any] struct {
	Set   bool // the member was present
	Value *T   // nil when it was null
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Value = nil
		return nil
	}
	o.Value = new(T)
	return json.Unmarshal(b, o.Value)
}

// articleInput is an article as a client writes it. On create, absent
// members take their defaults; on update, absent members keep their value.
type articleInput struct {
	Title     *string              `json:"title"`
	Slug      *string              `json:"slug"`
	Summary   *string              `json:"summary"`
	Markdown  *string              `json:"markdown"`
	Language  *string              `json:"language"`
	TimeZone  *string              `json:"time_zone"`
	LeadImage optional[imageInput] `json:"lead_image"`
	Authors   *[]string            `json:"authors"` // byline slugs, in order
	Tags      *[]string            `json:"tags"`    // tag slugs, in order
	// Status and PublishedAt are for create only; afterwards publish and
	// unpublish change them.
	Status      *string    `json:"status"`
	PublishedAt *time.Time `json:"published_at"`
}

type imageInput struct {
	URL     string `json:"url"`
	Alt     string `json:"alt"`
	Caption string `json:"caption"`
	Credit  string `json:"credit"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
}

// publishInput is the optional body of publish: a future time schedules.
type publishInput struct {
	PublishedAt *time.Time `json:"published_at"`
}

// tagInput creates or updates a tag; on update, absent members keep their
// value.
type tagInput struct {
	Name        *string `json:"name"`
	Slug        *string `json:"slug"`
	Description *string `json:"description"`
}

// authorInput creates or updates a byline, as tagInput does.
type authorInput struct {
	Name *string `json:"name"`
	Slug *string `json:"slug"`
	Kind *string `json:"kind"`
	Bio  *string `json:"bio"`
}

// pageInput creates or updates a page; on update, absent members keep
// their value.
type pageInput struct {
	Title    *string `json:"title"`
	Slug     *string `json:"slug"`
	Markdown *string `json:"markdown"`
	Language *string `json:"language"`
}
