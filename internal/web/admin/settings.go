package admin

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/web"
)

// The site's own settings: its name, description, language and time zone,
// the support banner and the newsletter signup block. Each section is a
// form of its own and saves only its fields, through UpdateSettings, so
// that two admins saving different sections at once keep both changes.
// A form also sends back the values it showed (name_was): when someone
// else changed its section since, the save is refused, as the onion
// address form's is, rather than undoing their change unseen.

// settingsField is one field of a settings form. name is its form field,
// also its key in validation errors and the audit log; label names it in
// sentences. A checkbox (check) reads "yes" when on, "" when off.
type settingsField struct {
	name, label string
	check       bool
	get         func(*model.Settings) string
	set         func(*model.Settings, string)
}

func textField(name, label string, field func(*model.Settings) *string) settingsField {
	return settingsField{name: name, label: label,
		get: func(s *model.Settings) string { return *field(s) },
		set: func(s *model.Settings, v string) { *field(s) = v }}
}

func checkField(name, label string, field func(*model.Settings) *bool) settingsField {
	return settingsField{name: name, label: label, check: true,
		get: func(s *model.Settings) string { return checked(*field(s)) },
		set: func(s *model.Settings, v string) { *field(s) = v == "yes" }}
}

func checked(on bool) string {
	if on {
		return "yes"
	}
	return ""
}

// describe says what value v of f is, for the person who sees it refused.
func (f settingsField) describe(v string) string {
	switch {
	case f.check && v == "yes":
		return "on"
	case f.check:
		return "off"
	case v == "":
		return "empty"
	}
	return "“" + v + "”"
}

// auditValue is v as the audit log records it: a checkbox as true or false.
func (f settingsField) auditValue(v string) any {
	if f.check {
		return v == "yes"
	}
	return v
}

// settingsSection is one form of the settings screen. check, when set,
// finds what Settings.Validate cannot know, from what was typed and what
// the form showed; its problems are by field.
type settingsSection struct {
	name   string // the form's address, its anchor on the page and its audit target
	fields []settingsField
	check  func(a *Admin, ctx context.Context, typed, was map[string]string) (map[string]string, error)
}

var (
	siteSection = settingsSection{name: "site", fields: []settingsField{
		textField("site_name", "the site's name", func(s *model.Settings) *string { return &s.SiteName }),
		textField("site_description", "the description", func(s *model.Settings) *string { return &s.SiteDescription }),
		textField("language", "the language", func(s *model.Settings) *string { return &s.Language }),
		textField("time_zone", "the time zone", func(s *model.Settings) *string { return &s.TimeZone }),
	}}
	bannerSection = settingsSection{name: "banner", fields: []settingsField{
		checkField("banner_enabled", "the banner", func(s *model.Settings) *bool { return &s.Banner.Enabled }),
		textField("banner_text", "the banner's text", func(s *model.Settings) *string { return &s.Banner.Text }),
		textField("banner_link_text", "the banner's link", func(s *model.Settings) *string { return &s.Banner.LinkText }),
	}}
	newsletterSection = settingsSection{name: "newsletter", check: (*Admin).checkPolicyPage, fields: []settingsField{
		checkField("newsletter_enabled", "the signup block", func(s *model.Settings) *bool { return &s.Newsletter.Enabled }),
		textField("newsletter_heading", "its heading", func(s *model.Settings) *string { return &s.Newsletter.Heading }),
		textField("newsletter_text", "its text", func(s *model.Settings) *string { return &s.Newsletter.Text }),
		textField("newsletter_preview_text", "the preview link", func(s *model.Settings) *string { return &s.Newsletter.PreviewText }),
		textField("newsletter_consent_text", "the consent line", func(s *model.Settings) *string { return &s.Newsletter.ConsentText }),
		textField("newsletter_policy_slug", "the privacy policy page", func(s *model.Settings) *string { return &s.Newsletter.PolicySlug }),
	}}
	settingsSections = []settingsSection{siteSection, bannerSection, newsletterSection}
)

// values returns the section's fields as stored in s, by name.
func (sec settingsSection) values(s *model.Settings) map[string]string {
	v := make(map[string]string, len(sec.fields))
	for _, f := range sec.fields {
		v[f.name] = f.get(s)
	}
	return v
}

// read returns what the section's form sent: the values typed, and the
// stored values the form was opened with. Browsers send line breaks as
// CRLF; they are stored as LF.
func (sec settingsSection) read(r *http.Request) (typed, was map[string]string) {
	typed, was = map[string]string{}, map[string]string{}
	lf := strings.NewReplacer("\r\n", "\n")
	for _, f := range sec.fields {
		v := strings.TrimSpace(lf.Replace(r.PostFormValue(f.name)))
		if f.check {
			v = checked(v == "yes")
		}
		typed[f.name], was[f.name] = v, lf.Replace(r.PostFormValue(f.name+"_was"))
	}
	return typed, was
}

// changedSince describes the fields of s that differ from was, the values
// the form showed; "" when none does.
func (sec settingsSection) changedSince(s *model.Settings, was map[string]string) string {
	var now []string
	for _, f := range sec.fields {
		if v := f.get(s); v != was[f.name] {
			now = append(now, f.label+" is now "+f.describe(v))
		}
	}
	return strings.Join(now, ", ")
}

// auditChanges lists the fields that went from before to after, each with
// its old and new value.
func (sec settingsSection) auditChanges(before, after map[string]string) map[string]any {
	old, cur := map[string]any{}, map[string]any{}
	for _, f := range sec.fields {
		old[f.name], cur[f.name] = f.auditValue(before[f.name]), f.auditValue(after[f.name])
	}
	return fieldChanges(old, cur)
}

// settingsNotices are the messages shown after a save, by ?done=.
var settingsNotices = map[string]string{
	"site":       "Site settings saved. The site's pages show them now; static copies after their next export.",
	"banner":     "Support banner saved. The site's pages show it now; static copies after their next export.",
	"newsletter": "Signup block saved. Article pages show it now; static copies after their next export.",
}

type settingsView struct {
	Layout
	// Form is what each field shows, by name: the stored value, or what
	// was typed into a form that was refused.
	Form map[string]string
	// Was holds, by section, the stored values its form was opened with,
	// which it sends back.
	Was map[string]map[string]string
	// Errors are by field; Problems by section, for a form refused whole
	// because someone else changed its section since it was opened.
	Errors, Problems map[string]string
	Notice           string
	Zones            []string
	// Pages are the published static pages, among which the privacy
	// policy is chosen; PolicyListed is set when the form's is one.
	Pages        []*model.Page
	PolicyListed bool
}

func (a *Admin) siteSettings(w http.ResponseWriter, r *http.Request) error {
	return a.renderSettings(w, r, http.StatusOK, settingsView{})
}

// renderSettings shows the stored settings, with what view holds of a
// refused form in place of its section's.
func (a *Admin) renderSettings(w http.ResponseWriter, r *http.Request, status int, view settingsView) error {
	ctx := r.Context()
	s, err := a.store.Settings(ctx)
	if err != nil {
		return err
	}
	if view.Pages, err = a.store.ListPages(ctx); err != nil {
		return err
	}
	form, was := map[string]string{}, map[string]map[string]string{}
	for _, sec := range settingsSections {
		was[sec.name] = sec.values(&s)
		maps.Copy(form, was[sec.name])
	}
	maps.Copy(form, view.Form)
	maps.Copy(was, view.Was)
	view.Form, view.Was = form, was
	view.PolicyListed = slices.ContainsFunc(view.Pages, func(p *model.Page) bool { return p.Slug == form["newsletter_policy_slug"] })
	view.Layout = a.layout(r, "Site settings")
	view.Notice = settingsNotices[r.URL.Query().Get("done")]
	view.Zones = timeZones
	return a.write(w, status, "settings", view)
}

// saveSettings saves the form of sec. A form with mistakes comes back as
// typed, each mistake by its field; one whose section someone else changed
// since it was opened comes back as typed with 409, saying what the
// section holds now, and carries the current values so that saving it
// again replaces them on purpose. Either way nothing is saved.
func (a *Admin) saveSettings(sec settingsSection) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		typed, was := sec.read(r)
		var problems map[string]string
		if sec.check != nil {
			var err error
			if problems, err = sec.check(a, ctx, typed, was); err != nil {
				return err
			}
		}
		saved, err := a.store.UpdateSettings(ctx, func(s *model.Settings) error {
			if now := sec.changedSince(s, was); now != "" {
				return &changedSince{now: now}
			}
			for _, f := range sec.fields {
				f.set(s, typed[f.name])
			}
			return validated(s, problems)
		})
		var ve *model.ValidationError
		if errors.As(err, &ve) {
			return a.renderSettings(w, r, http.StatusUnprocessableEntity,
				settingsView{Form: typed, Was: map[string]map[string]string{sec.name: was}, Errors: ve.Fields})
		}
		if err != nil {
			status, message := problemOf(err)
			if status == 0 {
				return err
			}
			if status == http.StatusConflict {
				message += a.lastSettingsChange(r, sec.name)
			}
			return a.renderSettings(w, r, status, settingsView{Form: typed, Problems: map[string]string{sec.name: message}})
		}
		if changes := sec.auditChanges(was, sec.values(&saved)); len(changes) > 0 {
			a.appendAudit(r, audit.Entry{Action: audit.SettingsChanged, Target: sec.name, Detail: map[string]any{"changes": changes}})
		}
		return redirect(w, r, "/admin/settings?done="+sec.name+"#"+sec.name)
	}
}

// recentForStale is how many of the audit log's newest entries
// lastSettingsChange looks through: a change that made a save stale is
// seconds or minutes old.
const recentForStale = 200

// lastSettingsChange says who last changed the settings section name, and
// when, as " Last changed by … at …." from the audit log's newest entries;
// "" when none of them is such a change or the log cannot be read.
func (a *Admin) lastSettingsChange(r *http.Request, name string) string {
	entries, err := a.store.RecentAudit(r.Context(), 0, recentForStale)
	if err != nil {
		a.log.WarnContext(r.Context(), "admin: reading who changed the settings", "err", err)
		return ""
	}
	for _, e := range entries {
		if e.Action != audit.SettingsChanged || e.Target != name {
			continue
		}
		who := "someone"
		if emails, err := a.userEmails(r); err == nil && emails[e.Actor] != "" {
			who = emails[e.Actor]
		}
		return " Last changed by " + who + " at " + when(e.At) + "."
	}
	return ""
}

// validated returns the problems of s by field: those Validate finds, and
// problems, which a section's check found and which say more.
func validated(s *model.Settings, problems map[string]string) error {
	fields := map[string]string{}
	var ve *model.ValidationError
	if errors.As(s.Validate(), &ve) {
		fields = ve.Fields
	}
	maps.Copy(fields, problems)
	if len(fields) > 0 {
		return &model.ValidationError{Fields: fields}
	}
	return nil
}

// checkPolicyPage refuses a privacy policy that is not a published page:
// readers who sign up agree to it. While the block is off, the policy it
// had may stay as it is.
func (a *Admin) checkPolicyPage(ctx context.Context, typed, was map[string]string) (map[string]string, error) {
	slug := typed["newsletter_policy_slug"]
	if typed["newsletter_enabled"] == "" && slug == was["newsletter_policy_slug"] {
		return nil, nil
	}
	pages, err := a.store.ListPages(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case slices.ContainsFunc(pages, func(p *model.Page) bool { return p.Slug == slug }):
		return nil, nil
	case len(pages) == 0:
		return map[string]string{"newsletter_policy_slug": "No static page is published yet, so there is no privacy policy to choose: " +
			"write one under Pages first, or turn the signup block off."}, nil
	}
	return map[string]string{"newsletter_policy_slug": fmt.Sprintf(
		"There is no published page at /%s; choose the page with the privacy policy from the list.", slug)}, nil
}
