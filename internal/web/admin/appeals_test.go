package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web/admin"
)

// appealForm is the desk's appeal form filled in as for a German-language
// appeal in euros and francs.
func appealForm() url.Values {
	return url.Values{
		"active": {"yes"}, "heading": {"Liebe Leserinnen und Leser"}, "message": {"Bitte **unterstützen** Sie uns."},
		"placement": {"inline"}, "target_kind": {"language"}, "target_language": {"DE"},
		"currencies": {"EUR", "CHF"}, "minimum_EUR": {"3"}, "minimum_CHF": {"4"}, "currency": {"CHF"},
		"amounts_once": {"10, 25"}, "amounts_monthly": {"4,8"}, "amounts_annual": {"50"}, "default_frequency": {"once"},
		"button_text": {"Weiter"}, "payment_methods": {"Karte."}, "dismiss_question": {"Nicht jetzt?"}, "dismiss_text": {"Später."},
		"remind_after_days": {"7"}, "risk_notice": {"Spenden kann **gefährlich** sein."},
	}
}

func TestAppealsPages(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		ctx := t.Context()
		b, editor := d.readyBrowser(t, "ed@example.org", accounts.Editor)
		if page := b.get("/admin/appeals").Body.String(); !strings.Contains(page, "No appeals yet") || !strings.Contains(page, `href="/admin/figures"`) {
			t.Errorf("the empty appeals page:\n%s", page)
		}
		if page := b.get("/admin/appeals/new").Body.String(); !strings.Contains(page, `name="heading" value="A Message from`) ||
			strings.Contains(page, `name="active" value="yes" checked`) {
			t.Errorf("the new appeal form is not filled with an inactive default appeal:\n%s", page)
		}

		// Mistakes come back next to their fields, with what was typed,
		// and nothing is stored.
		bad := appealForm()
		bad.Set("heading", " ")
		bad.Set("minimum_CHF", "four")
		bad.Set("amounts_monthly", "4, lots")
		bad.Set("target_language", "")
		bad.Set("remind_after_days", "0")
		w := b.post("/admin/appeals", bad)
		wantStatus(t, w, http.StatusUnprocessableEntity)
		page := w.Body.String()
		for _, want := range []string{
			"Give the appeal a headline", `&#34;four&#34; is not a whole number of CHF.`, `&#34;lots&#34; is not an amount`,
			"Name the language the appeal runs on.", "hides the appeal for 1 to 365 days", `value="4, lots"`, `value="four"`,
			"Bitte **unterstützen** Sie uns.", "nothing was saved",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("the rejected form lacks %q", want)
			}
		}
		if list, err := d.store.Appeals(ctx); err != nil || len(list) != 0 {
			t.Fatalf("a rejected form stored %v (%v)", list, err)
		}

		b.get("/admin/appeals/new")
		w = b.post("/admin/appeals", appealForm())
		list, err := d.store.Appeals(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("appeals after saving the form: %v, %v\n%s", list, err, w.Body)
		}
		ap := list[0]
		wantRedirect(t, w, "/admin/appeals/"+ap.ID+"?done=saved")
		want := model.Appeal{ID: ap.ID, Active: true, Heading: "Liebe Leserinnen und Leser", Message: "Bitte **unterstützen** Sie uns.",
			Placement: model.PlacementInline, Target: model.Target{Kind: model.TargetLanguage, Value: "de"},
			Currencies: []string{"EUR", "CHF"}, Currency: "CHF", Minimums: map[string]int{"EUR": 3, "CHF": 4},
			DefaultFrequency: model.Once, Amounts: map[model.Frequency][]int{model.Once: {10, 25}, model.Monthly: {4, 8}, model.Annual: {50}},
			ButtonText: "Weiter", PaymentMethods: "Karte.", DismissQuestion: "Nicht jetzt?", DismissText: "Später.", RemindAfterDays: 7,
			RiskNotice: "Spenden kann **gefährlich** sein.", CreatedAt: ap.CreatedAt, UpdatedAt: ap.UpdatedAt}
		if diff := cmp.Diff(want, ap); diff != "" {
			t.Errorf("stored appeal (-want +got):\n%s", diff)
		}
		page = b.get("/admin/appeals/" + ap.ID + "?done=saved").Body.String()
		for _, want := range []string{"Saved.", `name="currencies" value="CHF" checked`, `name="minimum_EUR" value="3"`, `value="4, 8"`,
			`name="placement" value="inline" checked`, `name="target_language" value="de"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the appeal's page lacks %q", want)
			}
		}

		edit := appealForm()
		edit.Del("active")
		edit.Set("target_kind", "all")
		wantRedirect(t, b.post("/admin/appeals/"+ap.ID, edit), "/admin/appeals/"+ap.ID+"?done=saved")
		if got, err := d.store.Appeal(ctx, ap.ID); err != nil || got.Active || got.Target != (model.Target{Kind: model.TargetAll}) {
			t.Errorf("after switching it off for all articles: %+v, %v", got, err)
		}
		if page := b.get("/admin/appeals").Body.String(); !strings.Contains(page, "Liebe Leserinnen und Leser") || !strings.Contains(page, "Off") {
			t.Errorf("the appeals list:\n%s", page)
		}

		b.get("/admin/appeals/" + ap.ID)
		wantStatus(t, b.post("/admin/appeals/"+ap.ID+"/delete", nil), http.StatusUnprocessableEntity)
		b.get("/admin/appeals/" + ap.ID)
		wantRedirect(t, b.post("/admin/appeals/"+ap.ID+"/delete", url.Values{"confirm": {"yes"}}), "/admin/appeals?done=deleted")
		if _, err := d.store.Appeal(ctx, ap.ID); err == nil {
			t.Error("the deleted appeal is still stored")
		}
		wantStatus(t, b.get("/admin/appeals/"+ap.ID), http.StatusNotFound)

		// Each change is in the audit log: who, which appeal, what changed.
		entries := map[string]store.AuditEntry{}
		err = d.store.EachAudit(ctx, func(e store.AuditEntry) error {
			if e.Target == ap.ID {
				entries[e.Action] = e
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for action, want := range map[string][]string{
			admin.AuditAppealCreated: {`"heading":"Liebe Leserinnen und Leser"`, `"target":"language:de"`, `"active":true`},
			admin.AuditAppealChanged: {`"active":{"from":true,"to":false}`, `"target":{"from":"language:de","to":"all"}`},
			admin.AuditAppealDeleted: {`"heading":"Liebe Leserinnen und Leser"`, `"target":"all"`},
		} {
			e, ok := entries[action]
			if !ok || e.Actor != editor.ID {
				t.Errorf("audit log: %s by %s missing (have %+v)", action, editor.ID, entries)
				continue
			}
			for _, w := range want {
				if !strings.Contains(e.Detail, w) {
					t.Errorf("audit log: %s says %s; want %s in it", action, e.Detail, w)
				}
			}
		}
		if changed := entries[admin.AuditAppealChanged].Detail; strings.Contains(changed, `"heading":{`) || strings.Contains(changed, `"message"`) {
			t.Errorf("audit log: the edit lists fields it did not change: %s", changed)
		}

		// Authors neither manage appeals nor read the figures.
		author, _ := d.readyBrowser(t, "a@example.org", accounts.Author)
		for _, path := range []string{"/admin/appeals", "/admin/figures"} {
			wantStatus(t, author.get(path), http.StatusForbidden)
		}
	})
}

// TestAppealTagTarget shows an appeal for a tag under the tag's current
// name, keeps it on the tag when the tag's slug changes, says so when the
// tag is gone, and refuses a tag that does not exist.
func TestAppealTagTarget(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		ctx := t.Context()
		b, _ := d.readyBrowser(t, "ed@example.org", accounts.Editor)
		tag := model.Tag{Slug: "war", Name: "War"}
		if err := d.store.SaveTag(ctx, &tag, "", true, 0); err != nil {
			t.Fatal(err)
		}
		if page := b.get("/admin/appeals/new").Body.String(); !strings.Contains(page, `<option value="`+tag.ID+`">War</option>`) {
			t.Errorf("the form does not offer the tag by its ID:\n%s", page)
		}
		ghost := appealForm()
		ghost.Set("target_kind", "tag")
		ghost.Set("target_tag", "no-such-tag")
		w := b.post("/admin/appeals", ghost)
		wantStatus(t, w, http.StatusUnprocessableEntity)
		if !strings.Contains(w.Body.String(), "no longer exists") {
			t.Errorf("an appeal for a missing tag is not refused next to its field:\n%s", w.Body)
		}
		if list, _ := d.store.Appeals(ctx); len(list) != 0 {
			t.Fatalf("an appeal for a missing tag was stored: %+v", list)
		}

		b.get("/admin/appeals/new")
		form := appealForm()
		form.Set("target_kind", "tag")
		form.Set("target_tag", tag.ID)
		b.post("/admin/appeals", form)
		list, err := d.store.Appeals(ctx)
		if err != nil || len(list) != 1 || list[0].Target != (model.Target{Kind: model.TargetTag, Value: tag.ID}) {
			t.Fatalf("appeals after saving one for the tag: %+v, %v", list, err)
		}
		tag.Slug, tag.Name = "war-in-ukraine", "War in Ukraine"
		if err := d.store.SaveTag(ctx, &tag, "", true, 1); err != nil {
			t.Fatal(err)
		}
		if page := b.get("/admin/appeals").Body.String(); !strings.Contains(page, "Tag War in Ukraine") {
			t.Errorf("the list does not name the tag by its current name:\n%s", page)
		}
		if page := b.get("/admin/appeals/" + list[0].ID).Body.String(); !strings.Contains(page, `<option value="`+tag.ID+`" selected>War in Ukraine</option>`) {
			t.Errorf("the appeal's form does not have the renamed tag selected:\n%s", page)
		}
		if err := d.store.DeleteTag(ctx, tag.ID, 0); err != nil {
			t.Fatal(err)
		}
		if page := b.get("/admin/appeals").Body.String(); !strings.Contains(page, "A deleted tag: runs nowhere") {
			t.Errorf("the list does not say the appeal's tag is gone:\n%s", page)
		}
		if page := b.get("/admin/appeals/" + list[0].ID).Body.String(); !strings.Contains(page, "The tag this appeal ran on was deleted") {
			t.Errorf("the appeal's form does not say its tag is gone:\n%s", page)
		}
	})
}

func TestFiguresPage(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		ctx := t.Context()
		ap := model.DefaultAppeal("The Outlet")
		if err := d.store.SaveAppeal(ctx, &ap); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		for range 2 {
			if _, err := d.store.CountAppealView(ctx, ap.ID, now); err != nil {
				t.Fatal(err)
			}
		}
		donor := &store.Donor{EmailIndex: "i", EmailSealed: "s"}
		for _, c := range []store.DonationChange{
			{Donor: donor, AppealID: ap.ID, Donation: &store.Donation{ProviderRef: "pi_1", Frequency: model.Once, Amount: 2550, Currency: "EUR", PaidAt: now}},
			{Donor: donor, Recurring: &store.RecurringDonation{ProviderID: "sub_1", Frequency: model.Annual, Amount: 6000, Currency: "USD", Status: "active", StateAt: now},
				Donation: &store.Donation{ProviderRef: "in_1", Frequency: model.Annual, Amount: 6000, Currency: "USD", PaidAt: now}},
		} {
			if _, err := d.store.ApplyDonationChange(ctx, "", c); err != nil {
				t.Fatal(err)
			}
		}
		b, _ := d.readyBrowser(t, "ed@example.org", accounts.Editor)
		w := b.get("/admin/figures")
		wantStatus(t, w, http.StatusOK)
		page := w.Body.String()
		day, month := now.Format(time.DateOnly), now.Format("2006-01")
		for _, want := range []string{
			"Active recurring donors: <strong>1</strong>",
			"<tr><td>USD</td><td>1</td><td>$5</td></tr>", // $60 a year
			"<td>2</td><td>1</td><td>50.00%</td>",        // 2 views, 1 gift
			"<tr><td>" + day + "</td><td>EUR</td><td>€25.50</td><td>€0</td><td>€25.50</td><td>1</td></tr>",
			"<tr><td>" + month + "</td><td>USD</td><td>$0</td><td>$60</td><td>$60</td><td>1</td></tr>",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("the figures page lacks %q", want)
			}
		}
	})
}
