package reach

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// PagePath is the address of the "How to reach us" page on the reader
// site; the site's footer, its feeds and the newsletter link to it.
const PagePath = "/reach"

// MirrorListPath is the mirror list in the shape circumvention tooling
// reads (ServeMirrorList).
const MirrorListPath = "/mirrors.json"

// The audit log's actions for changes to the site's addresses, the same
// whether the desk or the command line makes them.
const (
	AuditMirrorAdded   = "mirror_added"
	AuditMirrorRemoved = "mirror_removed"
	AuditOnionSet      = "onion_address_set"
	AuditOnionRemoved  = "onion_address_removed"
)

// ErrNotListed means a mirror to remove is not in the list.
var ErrNotListed = errors.New("reach: no such mirror is listed")

// The edits below are the only ways the command line and the desk change
// the mirror list and the onion address. Each validates the whole settings
// as the store will and, when they are wrong, returns the
// *model.ValidationError and leaves s unchanged.

// AddMirror lists rawURL as a mirror of kind: "mirror", "static" or "proxy";
// empty means "mirror".
func AddMirror(s *model.Settings, rawURL, kind string, now time.Time) error {
	next := *s
	next.Mirrors = append(slices.Clone(s.Mirrors), model.Mirror{
		URL: strings.TrimSpace(rawURL), Type: cmp.Or(kind, "mirror"), AddedAt: now.UTC().Truncate(time.Second),
	})
	return apply(s, next)
}

// RemoveMirror takes rawURL off the list; it wraps ErrNotListed when the
// list does not have it.
func RemoveMirror(s *model.Settings, rawURL string) error {
	rawURL = strings.TrimSpace(rawURL)
	next := *s
	next.Mirrors = slices.DeleteFunc(slices.Clone(s.Mirrors), func(m model.Mirror) bool { return m.URL == rawURL })
	if len(next.Mirrors) == len(s.Mirrors) {
		return fmt.Errorf("%w: %s", ErrNotListed, rawURL)
	}
	return apply(s, next)
}

// SetOnion sets the onion service's address; "" removes it.
func SetOnion(s *model.Settings, rawURL string) error {
	next := *s
	next.OnionURL = strings.TrimSpace(rawURL)
	return apply(s, next)
}

func apply(s *model.Settings, next model.Settings) error {
	if err := next.Validate(); err != nil {
		return err
	}
	*s = next
	return nil
}
