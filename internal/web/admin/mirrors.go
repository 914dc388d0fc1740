package admin

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/reach"
)

// The audit actions of changes to the site's addresses.
const (
	auditMirrorAdded   = reach.AuditMirrorAdded
	auditMirrorRemoved = reach.AuditMirrorRemoved
	auditOnionSet      = reach.AuditOnionSet
	auditOnionRemoved  = reach.AuditOnionRemoved
)

// mirrorTypes are the kinds of mirror the form offers, with what each is.
var mirrorTypes = []struct{ Value, Label string }{
	{"mirror", "mirror: this server under another address"},
	{"static", "static: an exported copy (tamizdat export) on another host"},
	{"proxy", "proxy: another server passing requests on to this one"},
}

// mirrorNotices are the messages shown after a change, by ?done=.
var mirrorNotices = map[string]string{
	"added":         "Mirror added. The page on how to reach us, mirrors.json and the feeds list it now; static copies list it after their next export.",
	"removed":       "Mirror removed. This server no longer answers under its name.",
	"onion":         "Onion address saved. Pages now tell Tor Browser about it.",
	"onion-removed": "Onion address removed.",
}

type mirrorsView struct {
	Layout
	Onion   string
	Mirrors []model.Mirror
	Types   []struct{ Value, Label string }
	// Form is what was typed into the form that failed, with Errors.
	Form        model.Mirror
	OnionForm   string
	Errors      map[string]string
	Notice      string
	NeedsStepUp bool   // changes will ask for the passkey first
	PageURL     string // the public page that lists the addresses
}

func (a *Admin) mirrors(w http.ResponseWriter, r *http.Request) error {
	return a.renderMirrors(w, r, http.StatusOK, mirrorsView{Form: model.Mirror{Type: "mirror"}})
}

func (a *Admin) renderMirrors(w http.ResponseWriter, r *http.Request, status int, view mirrorsView) error {
	s, err := a.store.Settings(r.Context())
	if err != nil {
		return err
	}
	view.Layout = a.layout(r, "Mirrors and onion address")
	view.Onion, view.Mirrors, view.Types = s.OnionURL, s.Mirrors, mirrorTypes
	if view.OnionForm == "" {
		view.OnionForm = s.OnionURL
	}
	view.Notice = mirrorNotices[r.URL.Query().Get("done")]
	view.NeedsStepUp = !principal(r).SteppedUp()
	view.PageURL = a.siteURL + reach.PagePath
	return a.write(w, status, "mirrors", view)
}

func (a *Admin) addMirror(w http.ResponseWriter, r *http.Request) error {
	form := model.Mirror{URL: strings.TrimSpace(r.PostFormValue("url")), Type: r.PostFormValue("type")}
	return a.changeAddresses(w, r, "url", mirrorsView{Form: form},
		func(s *model.Settings) error { return reach.AddMirror(s, form.URL, form.Type, time.Now()) },
		audit.Entry{Action: auditMirrorAdded, Target: form.URL, Detail: map[string]any{"type": form.Type}}, "added")
}

func (a *Admin) removeMirror(w http.ResponseWriter, r *http.Request) error {
	u := r.PostFormValue("url")
	return a.changeAddresses(w, r, "list", mirrorsView{Form: model.Mirror{Type: "mirror"}},
		func(s *model.Settings) error { return reach.RemoveMirror(s, u) },
		audit.Entry{Action: auditMirrorRemoved, Target: u}, "removed")
}

// setOnion replaces the onion address the form showed, which it sends
// back as onion_was. Adding and removing mirrors need no such check: each
// names the one mirror it changes, and UpdateSettings applies it to the
// list as it is then.
func (a *Admin) setOnion(w http.ResponseWriter, r *http.Request) error {
	typed := strings.TrimSpace(r.PostFormValue("onion"))
	u, was := typed, r.PostFormValue("onion_was")
	entry, done := audit.Entry{Action: auditOnionSet, Target: u}, "onion"
	if u == "" || r.PostFormValue("remove") != "" {
		u, entry, done = "", audit.Entry{Action: auditOnionRemoved}, "onion-removed"
	}
	return a.changeAddresses(w, r, "onion", mirrorsView{Form: model.Mirror{Type: "mirror"}, OnionForm: typed},
		func(s *model.Settings) error {
			if s.OnionURL == was {
				return reach.SetOnion(s, u)
			}
			if s.OnionURL == "" {
				return &changedSince{now: "there is no onion address now"}
			}
			return &changedSince{now: "the onion address is now " + s.OnionURL}
		}, entry, done)
}

// changedSince refuses a form whose part of the settings someone else
// changed after the form was opened: saving it would undo their change
// unseen. now says what that part is now.
type changedSince struct{ now string }

func (e *changedSince) Error() string { return "admin: changed since the form was opened: " + e.now }

// changeAddresses applies edit to the settings as stored (UpdateSettings,
// so that a concurrent change of another part is kept) and records it in
// the audit log. Changing where readers are sent is sensitive (S5): it
// needs a fresh step-up. A refused edit shows the form again, with what
// was typed and its problem under field, and changes nothing.
func (a *Admin) changeAddresses(w http.ResponseWriter, r *http.Request, field string, view mirrorsView,
	edit func(*model.Settings) error, entry audit.Entry, done string) error {
	p := principal(r)
	if err := p.RequireStepUp(); err != nil {
		return redirect(w, r, "/admin/step-up?next=/admin/mirrors")
	}
	ctx := r.Context()
	if _, err := a.store.UpdateSettings(ctx, edit); err != nil {
		status, message := problemOf(err)
		if status == 0 {
			return err
		}
		view.Errors = map[string]string{field: message}
		return a.renderMirrors(w, r, status, view)
	}
	entry.Actor = p.User.ID
	if err := a.audit.Append(ctx, entry); err != nil {
		return err
	}
	return redirect(w, r, "/admin/mirrors?done="+done)
}

// problemOf explains a refused address edit to the person who typed it,
// with the status to answer; 0 when err is not such a refusal.
func problemOf(err error) (int, string) {
	var (
		ve      *model.ValidationError
		changed *changedSince
	)
	switch {
	case errors.As(err, &ve):
		var msgs []string
		for _, m := range ve.Fields {
			msgs = append(msgs, m)
		}
		slices.Sort(msgs)
		return http.StatusUnprocessableEntity, strings.Join(msgs, "; ")
	case errors.Is(err, reach.ErrNotListed):
		return http.StatusUnprocessableEntity, "That mirror is no longer listed; someone may have removed it already."
	case errors.As(err, &changed):
		return http.StatusConflict, "Someone else changed this after you opened the page: " + changed.now +
			". What you typed was not saved and is kept here: save it again to replace their change, or reload the page to keep it."
	}
	return 0, ""
}
