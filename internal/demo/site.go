package demo

import (
	"fmt"
	"time"

	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/model"
)

// settings are the defaults with the wording of the model page, adapted to
// the invented outlet.
func settings() model.Settings {
	s := model.DefaultSettings(SiteName)
	s.SiteDescription = "Independent news from and about Russia, funded by its readers."
	s.Newsletter.Text = "Our weekly newsletter contains a hand-picked selection of news, features, analysis and more from " +
		SiteName + ". You will receive it in your mailbox every Friday. Never miss the latest news from Russia."
	return s
}

// appeal is the default appeal with the letter of the model page.
func appeal() model.Appeal {
	ap := model.DefaultAppeal(SiteName)
	ap.Message = fmt.Sprintf(appealMessage, SiteName, SiteName, ap.Minimum(ap.Currency), SiteName)
	return ap
}

// appealMessage follows the letter on the model page; the outlet's name and
// the minimum amount are filled in.
const appealMessage = `Dear readers,

We are facing unprecedented challenges. The Prosecutor General's Office in our home country has designated %s as an "undesirable" organization, criminalizing our work and putting our staff at risk of prosecution. This follows our earlier unjust labeling as a "foreign agent."

These actions are direct attempts to silence independent journalism. The authorities claim our work "discredits the decisions of the country's leadership." We see things differently: we strive to provide accurate, unbiased reporting.

We, the journalists of %s, refuse to be silenced. But to continue our work, we need your help.

Your support, no matter how small, makes a world of difference. If you can, please support us monthly starting from just $%d. It's quick to set up, and every contribution makes a significant impact.

By supporting %s, you're defending open, independent journalism in the face of repression. Thank you for standing with us.`

// pages renders the static pages, dated the day the demo was loaded.
func pages(now time.Time) ([]*model.Page, error) {
	day := now.UTC().Truncate(24 * time.Hour)
	var out []*model.Page
	for _, p := range []struct{ slug, title, body string }{
		{"about", "About", aboutPage},
		{"privacy-policy", "Privacy Policy", privacyPage},
	} {
		r, err := content.Render(p.body)
		if err != nil {
			return nil, fmt.Errorf("demo: render page %q: %w", p.slug, err)
		}
		out = append(out, &model.Page{
			Slug:      p.slug,
			Title:     p.title,
			Body:      p.body,
			BodyHTML:  r.HTML,
			Language:  "en",
			UpdatedAt: day,
		})
	}
	return out, nil
}

const aboutPage = `*This is demo text for tamizdat's sample site. ` + SiteName + ` is an invented newsroom; replace this page with your own.*

` + SiteName + ` is an independent, English-language newsroom covering Russia and the war in Ukraine. Our journalists work from several countries; some of them write under pseudonyms to protect themselves and their families.

We are funded by our readers. We take no money from governments, political parties or the companies we write about, and we carry no advertising.

## How we work

- Every story is checked by a second editor before it is published.
- We correct mistakes openly, at the end of the article, with the date of the correction.
- We use anonymous sources only when a source would be at risk if named, and we say so.

## Reading us when the site is blocked

Our site is blocked in Russia. You can still read us through our weekly newsletter, our RSS feeds and the mirror addresses listed at the bottom of every page. Every page works without JavaScript.

## Contact

Write to the newsroom at newsroom@example.org. For sensitive tips, ask us for a secure channel first.`

const privacyPage = `*This is a sample policy for tamizdat's demo site. It describes what the software does; have your own policy reviewed before you publish it.*

We collect as little about our readers as we can, because in the countries we cover, data about who reads us can put people at risk.

## Reading the site

- Our pages load nothing from other companies: no analytics, advertising or social media scripts, no web fonts or images from third-party servers.
- We do not store your IP address.
- If you choose "Remind me later" on our donation appeal, your browser remembers the date on its own; the reminder carries no identifier.

## The newsletter

- To subscribe, you give us your e-mail address and confirm it by clicking a link we send you (double opt-in).
- We record your consent: what you agreed to, when, and which version of this policy was in force.
- Every issue has a one-click unsubscribe link. You can ask us to export or delete everything we hold about you.

## Donations

Payments are handled by our payment provider; we never see or store your card details. We keep only what we need to run your contribution and send receipts: your e-mail address, the amount, the frequency and the provider's reference. You can cancel or change a recurring contribution at any time.

## Contact

Questions about this policy: privacy@example.org.`
