package admin

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web"
)

// Donation appeals: editors write them, choose where they sit and which
// articles they run on, and read how they convert on the figures page.

type appealsView struct {
	Layout
	Appeals  []model.Appeal
	TagNames map[string]string // by tag ID, for the appeals that run on a tag
	Notice   string
}

type appealView struct {
	Layout
	Form       appealForm
	Errors     map[string]string
	Notice     string
	Tags       []model.Tag
	Currencies []string
	Placements []model.Placement
}

// appealForm is the appeal form as typed, so that a form with mistakes
// comes back with everything the editor wrote.
type appealForm struct {
	ID               string
	Active           bool
	Heading, Message string
	Placement        string
	TargetKind       string
	TargetTag        string
	TargetLanguage   string
	Currencies       []string
	Currency         string
	Minimums         map[string]string // by currency
	DefaultFrequency string
	Amounts          map[model.Frequency]string // "10, 25, 50"
	ButtonText       string
	PaymentMethods   string
	DismissQuestion  string
	DismissText      string
	RemindAfterDays  string
	RiskNotice       string
}

// Offers reports whether the form offers currency c.
func (f appealForm) Offers(c string) bool { return slices.Contains(f.Currencies, c) }

func appealFormOf(ap model.Appeal) appealForm {
	f := appealForm{ID: ap.ID, Active: ap.Active, Heading: ap.Heading, Message: ap.Message, Placement: string(ap.Placement),
		TargetKind: string(ap.Target.Kind), Currencies: ap.Currencies, Currency: ap.Currency, Minimums: map[string]string{},
		DefaultFrequency: string(ap.DefaultFrequency), Amounts: map[model.Frequency]string{}, ButtonText: ap.ButtonText,
		PaymentMethods: ap.PaymentMethods, DismissQuestion: ap.DismissQuestion, DismissText: ap.DismissText,
		RemindAfterDays: strconv.Itoa(ap.RemindAfterDays), RiskNotice: ap.RiskNotice}
	switch ap.Target.Kind {
	case model.TargetTag:
		f.TargetTag = ap.Target.Value
	case model.TargetLanguage:
		f.TargetLanguage = ap.Target.Value
	}
	for c, m := range ap.Minimums {
		f.Minimums[c] = strconv.Itoa(m)
	}
	for fr, amounts := range ap.Amounts {
		parts := make([]string, len(amounts))
		for i, a := range amounts {
			parts[i] = strconv.Itoa(a)
		}
		f.Amounts[fr] = strings.Join(parts, ", ")
	}
	return f
}

func appealFormFrom(r *http.Request, id string) appealForm {
	f := appealForm{ID: id, Active: r.PostFormValue("active") == "yes", Heading: strings.TrimSpace(r.PostFormValue("heading")),
		Message: r.PostFormValue("message"), Placement: r.PostFormValue("placement"), TargetKind: r.PostFormValue("target_kind"),
		TargetTag: r.PostFormValue("target_tag"), TargetLanguage: strings.TrimSpace(r.PostFormValue("target_language")),
		Currency: r.PostFormValue("currency"), Minimums: map[string]string{}, DefaultFrequency: r.PostFormValue("default_frequency"),
		Amounts: map[model.Frequency]string{}, ButtonText: strings.TrimSpace(r.PostFormValue("button_text")),
		PaymentMethods: strings.TrimSpace(r.PostFormValue("payment_methods")), DismissQuestion: strings.TrimSpace(r.PostFormValue("dismiss_question")),
		DismissText: strings.TrimSpace(r.PostFormValue("dismiss_text")), RemindAfterDays: strings.TrimSpace(r.PostFormValue("remind_after_days")),
		RiskNotice: r.PostFormValue("risk_notice")}
	for _, c := range r.PostForm["currencies"] {
		if !slices.Contains(f.Currencies, c) {
			f.Currencies = append(f.Currencies, c)
		}
	}
	for _, c := range model.Currencies {
		if m := strings.TrimSpace(r.PostFormValue("minimum_" + c)); m != "" {
			f.Minimums[c] = m
		}
	}
	for _, fr := range model.Frequencies() {
		f.Amounts[fr] = strings.TrimSpace(r.PostFormValue("amounts_" + string(fr)))
	}
	return f
}

// appeal turns the form into an appeal, with the mistakes in numbers it
// found; the appeal's own rules are checked when it is saved.
func (f appealForm) appeal() (model.Appeal, map[string]string) {
	problems := map[string]string{}
	ap := model.Appeal{ID: f.ID, Active: f.Active, Heading: f.Heading, Message: f.Message, Placement: model.Placement(f.Placement),
		Target: model.Target{Kind: model.TargetKind(f.TargetKind)}, Currencies: f.Currencies, Currency: f.Currency,
		Minimums: map[string]int{}, DefaultFrequency: model.Frequency(f.DefaultFrequency), Amounts: map[model.Frequency][]int{},
		ButtonText: f.ButtonText, PaymentMethods: f.PaymentMethods, DismissQuestion: f.DismissQuestion, DismissText: f.DismissText,
		RiskNotice: f.RiskNotice}
	switch ap.Target.Kind {
	case model.TargetTag:
		ap.Target.Value = f.TargetTag
	case model.TargetLanguage:
		ap.Target.Value = strings.ToLower(f.TargetLanguage)
	}
	for _, c := range f.Currencies {
		raw := f.Minimums[c]
		if raw == "" {
			continue // Validate says it is missing
		}
		n, err := strconv.Atoi(raw)
		if err != nil {
			problems["minimum_"+c] = fmt.Sprintf("%q is not a whole number of %s.", raw, c)
			continue
		}
		ap.Minimums[c] = n
	}
	for _, fr := range model.Frequencies() {
		for part := range strings.SplitSeq(f.Amounts[fr], ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			n, err := strconv.Atoi(part)
			if err != nil || n < 1 || n > maxPreset {
				problems["amounts_"+string(fr)] = fmt.Sprintf("%q is not an amount; list whole numbers from 1 to %d separated by commas, such as 10, 25, 50.", part, maxPreset)
				break
			}
			ap.Amounts[fr] = append(ap.Amounts[fr], n)
		}
	}
	days, err := strconv.Atoi(f.RemindAfterDays)
	if err != nil {
		problems["remind_after_days"] = fmt.Sprintf("%q is not a number of days.", f.RemindAfterDays)
	}
	ap.RemindAfterDays = days
	return ap, problems
}

var frequencyLabels = map[model.Frequency]string{model.Once: "Once", model.Monthly: "Monthly", model.Annual: "Annual"}

var placementLabels = map[model.Placement]string{
	model.PlacementAfter:  "After the article",
	model.PlacementInline: "Inline, inside the article's text",
	model.PlacementBanner: "Site banner at the top of every page, linking to the donation page",
}

// maxPreset is the largest preset amount, the most the donation form
// takes.
const maxPreset = 10000

func (a *Admin) appeals(w http.ResponseWriter, r *http.Request) error {
	list, err := a.store.Appeals(r.Context())
	if err != nil {
		return err
	}
	tags, err := a.store.AllTags(r.Context())
	if err != nil {
		return err
	}
	names := make(map[string]string, len(tags))
	for _, t := range tags {
		names[t.ID] = t.Name
	}
	return a.write(w, http.StatusOK, "appeals", appealsView{Layout: a.layout(r, "Appeals"), Appeals: list, TagNames: names,
		Notice: notices[r.URL.Query().Get("done")]})
}

func (a *Admin) newAppeal(w http.ResponseWriter, r *http.Request) error {
	name := "tamizdat"
	if st, err := a.store.Settings(r.Context()); err == nil {
		name = st.SiteName
	} else if !errors.Is(err, model.ErrNotFound) {
		return err
	}
	ap := model.DefaultAppeal(name)
	ap.Active = false // a new appeal runs once its editor says so
	return a.appealPage(w, r, http.StatusOK, "New appeal", appealFormOf(ap), nil)
}

func (a *Admin) appeal(w http.ResponseWriter, r *http.Request) error {
	return a.storedAppealPage(w, r, http.StatusOK, nil)
}

// storedAppealPage shows the stored appeal r names, with problems.
func (a *Admin) storedAppealPage(w http.ResponseWriter, r *http.Request, status int, problems map[string]string) error {
	ap, err := a.store.Appeal(r.Context(), r.PathValue("id"))
	if err != nil {
		return appealError(err)
	}
	return a.appealPage(w, r, status, "Appeal: "+ap.Heading, appealFormOf(ap), problems)
}

func (a *Admin) appealPage(w http.ResponseWriter, r *http.Request, status int, title string, f appealForm, problems map[string]string) error {
	tags, err := a.store.AllTags(r.Context())
	if err != nil {
		return err
	}
	return a.write(w, status, "appeal", appealView{Layout: a.layout(r, title), Form: f, Errors: problems,
		Notice: notices[r.URL.Query().Get("done")], Tags: tags, Currencies: model.Currencies, Placements: model.Placements()})
}

func (a *Admin) createAppeal(w http.ResponseWriter, r *http.Request) error {
	return a.submitAppeal(w, r, "")
}

func (a *Admin) saveAppeal(w http.ResponseWriter, r *http.Request) error {
	return a.submitAppeal(w, r, r.PathValue("id"))
}

// submitAppeal stores the appeal form: a new appeal without id. A form
// with mistakes comes back with each next to its field, and nothing is
// stored.
func (a *Admin) submitAppeal(w http.ResponseWriter, r *http.Request, id string) error {
	f := appealFormFrom(r, id)
	ap, problems := f.appeal()
	title := "New appeal"
	if id != "" {
		title = "Appeal: " + f.Heading
	}
	err := ap.Validate()
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		maps.Copy(ve.Fields, problems) // a number's own message says more
		problems = ve.Fields
	}
	if len(problems) > 0 {
		return a.appealPage(w, r, http.StatusUnprocessableEntity, title, f, problems)
	}
	var before model.Appeal
	if id != "" {
		if before, err = a.store.Appeal(r.Context(), id); err != nil {
			return appealError(err)
		}
	}
	if err := a.store.SaveAppeal(r.Context(), &ap); err != nil {
		if errors.As(err, &ve) { // the tag was deleted while the editor wrote
			return a.appealPage(w, r, http.StatusUnprocessableEntity, title, f, ve.Fields)
		}
		return appealError(err)
	}
	entry := audit.Entry{Action: AuditAppealCreated, Target: ap.ID, Detail: appealSummary(ap)}
	if id != "" {
		changes := appealChanges(before, ap)
		entry = audit.Entry{Action: AuditAppealChanged, Target: ap.ID, Detail: map[string]any{"heading": ap.Heading, "changes": changes}}
		if len(changes) == 0 {
			entry.Action = "" // saved as it was: nothing to record
		}
	}
	a.appendAudit(r, entry)
	return redirect(w, r, "/admin/appeals/"+ap.ID+"?done=saved")
}

func (a *Admin) deleteAppeal(w http.ResponseWriter, r *http.Request) error {
	if r.PostFormValue("confirm") != "yes" {
		return a.storedAppealPage(w, r, http.StatusUnprocessableEntity, confirmDelete)
	}
	ap, err := a.store.Appeal(r.Context(), r.PathValue("id"))
	if err != nil {
		return appealError(err)
	}
	if err := a.store.DeleteAppeal(r.Context(), ap.ID); err != nil {
		return appealError(err)
	}
	a.appendAudit(r, audit.Entry{Action: AuditAppealDeleted, Target: ap.ID, Detail: appealSummary(ap)})
	return redirect(w, r, "/admin/appeals?done=deleted")
}

// What readers are asked for money, and where, is an editorial setting:
// the audit log records who created, changed or deleted each appeal.
const (
	AuditAppealCreated = "appeal_created"
	AuditAppealChanged = "appeal_changed"
	AuditAppealDeleted = "appeal_deleted"
)

// appealSummary is what the audit log says about an appeal created or
// deleted: enough to tell which one and where it ran.
func appealSummary(ap model.Appeal) map[string]any {
	return map[string]any{"heading": ap.Heading, "active": ap.Active, "placement": string(ap.Placement), "target": targetText(ap.Target)}
}

func targetText(t model.Target) string {
	if t.Value == "" {
		return string(t.Kind)
	}
	return string(t.Kind) + ":" + t.Value
}

// appealChanges lists the fields an edit changed, each with its old and
// new value; the Markdown texts are only marked as edited, as they may be
// long.
func appealChanges(before, after model.Appeal) map[string]any {
	fields := func(ap model.Appeal) map[string]any {
		return map[string]any{"active": ap.Active, "heading": ap.Heading, "placement": string(ap.Placement),
			"target": targetText(ap.Target), "currencies": strings.Join(ap.Currencies, ","), "currency": ap.Currency,
			"minimums": fmt.Sprint(ap.Minimums), "default_frequency": string(ap.DefaultFrequency), "amounts": fmt.Sprint(ap.Amounts),
			"button_text": ap.ButtonText, "payment_methods": ap.PaymentMethods, "dismiss_question": ap.DismissQuestion,
			"dismiss_text": ap.DismissText, "remind_after_days": ap.RemindAfterDays}
	}
	changes := fieldChanges(fields(before), fields(after))
	if before.Message != after.Message {
		changes["message"] = "edited"
	}
	if before.RiskNotice != after.RiskNotice {
		changes["risk_notice"] = "edited"
	}
	return changes
}

func appealError(err error) error {
	if errors.Is(err, model.ErrNotFound) {
		return &web.Error{Status: http.StatusNotFound, Message: "We could not find that appeal. It may have been deleted.", Cause: err}
	}
	return err
}

type figuresView struct {
	Layout
	store.DonationFigures
}

// figures shows revenue, recurring donations and each appeal's conversion.
func (a *Admin) figures(w http.ResponseWriter, r *http.Request) error {
	f, err := a.store.DonationFigures(r.Context(), time.Now())
	if err != nil {
		return err
	}
	return a.write(w, http.StatusOK, "figures", figuresView{Layout: a.layout(r, "Donation figures"), DonationFigures: f})
}
