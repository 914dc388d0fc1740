package demo

import (
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// The model article from the product brief, word for word, and the four
// articles its "Read more" box lists. The related articles keep their real
// headlines and summaries; their bodies are demo text and say so.

const (
	seedTitle = "Top U.S., Russian Diplomats Discuss Next Steps on Ukraine"
	seedZone  = "Europe/Moscow"
)

// seedTags are the model article's tags in the order its page lists them.
// Generated articles carry at most one of them, so that the four related
// articles, which carry three or four, are its closest neighbours.
var seedTags = []string{"U.S.", "US-Russia", "Lavrov", "Diplomacy", "Ukraine war"}

// seedParagraphs are the model article's body, word for word.
var seedParagraphs = []string{
	"U.S. Secretary of State Marco Rubio and Russia's Foreign Minister Sergei Lavrov spoke on Saturday to discuss the next stage in talks on ending Moscow's war against Ukraine.",
	`According to State Department spokeswoman Tammy Bruce, the top diplomats "agreed to continue working toward restoring communication between the United States and Russia."`,
	"The statement gave no details on when the next round of U.S.-Russia talks, which are being hosted by Saudi Arabia, would begin.",
	"Rubio also updated Lavrov on military activity in the Middle East, where U.S. forces carried out deadly strikes Saturday against Huthi rebel targets in Yemen, the statement said.",
	"Despite recent tensions between President Donald Trump and his Ukrainian counterpart Volodymyr Zelensky, Kyiv has agreed in principle to a U.S.-brokered 30-day unconditional ceasefire if Moscow halts its attacks in eastern Ukraine.",
	"Russia's President Vladimir Putin has not however agreed to any truce, instead setting conditions that were beyond what was called for in the U.S. agreement with Ukraine.",
}

func seedPublishedAt() time.Time {
	return time.Date(2025, time.March, 16, 14, 5, 0, 0, mustZone(seedZone))
}

// relatedStory is one entry of the model article's "Read more" box.
type relatedStory struct {
	title, summary string
	author         string
	tags           []string
	published      time.Time
	paragraphs     []string
}

const relatedDisclaimer = "*This is demo text for tamizdat's sample site; the headline and summary come from a real article.*"

func relatedStories() []relatedStory {
	moscow := mustZone(seedZone)
	return []relatedStory{
		{
			title:     "Zelensky Offers to Resign in Exchange for Ukrainian NATO Membership",
			summary:   "The Ukrainian president made the offer as news agencies reported that U.S. and Russian diplomats would meet next week.",
			author:    "AFP",
			tags:      []string{"Ukraine war", "US-Russia", "Diplomacy", "U.S.", "Lavrov"},
			published: time.Date(2025, time.March, 10, 11, 20, 0, 0, moscow),
			paragraphs: []string{
				relatedDisclaimer,
				"The original report described an offer by Ukraine's president to step down if Ukraine were admitted to NATO, made as news agencies reported that U.S. and Russian diplomats would meet the following week. This page keeps only its headline and summary; the paragraphs below are placeholder copy written for the demo.",
				"On a live site, this is where the reporting would go: what was said, where and to whom, how Kyiv, Moscow and Washington responded, and what it means for the talks on ending the war in Ukraine. Wire copy from agencies such as AFP usually arrives in short paragraphs like these, and editors add context before publishing it.",
				`The demo uses this article to show how tamizdat links stories together. It shares four tags with the model article about the call between the U.S. Secretary of State and Russia's foreign minister: U.S., US-Russia, Diplomacy and Ukraine war. Because of that overlap, and because both texts cover the same diplomacy, it appears in that article's "Read more" box.`,
				"Reading time is counted from the body text at 200 words per minute and rounded to the nearest minute, so this story, at roughly four hundred words, shows as a two-minute read. The shorter related stories show one minute.",
				"Editors can change everything on this page from the newsroom desk: the headline, the summary under it, the byline (staff writers, a pseudonym or a news agency), the tags, and the publication date and time zone. Every change is kept in the article's revision history, so an editor can see who changed what and go back to an earlier version.",
				"Readers who cannot reach the site because it is blocked can still follow stories like this one. Each tag has its own RSS, Atom and JSON feeds, the weekly newsletter carries full texts, and the static mirror export copies the whole site to any other address, where it works without a database.",
				"The photograph at the top of the model article is a placeholder drawn by the demo itself. On a real site, uploaded images are resized for phones and desktops, and their metadata, including any GPS position, is stripped before publication.",
				"When you are ready to publish your own journalism, replace these demo articles with your own. Nothing on this page needs to survive, and none of it is meant to be quoted.",
			},
		},
		{
			title:     "Russia Demands U.S. Withdraw ‘Soldiers and Equipment’ From Ukraine",
			summary:   "U.S. ambassador to Moscow Lynn Tracy was summoned to the Foreign Ministry on Tuesday over American military support for Kyiv.",
			author:    "Reuters",
			tags:      []string{"U.S.", "US-Russia", "Diplomacy", "Ukraine war"},
			published: time.Date(2025, time.March, 11, 18, 40, 0, 0, moscow),
			paragraphs: []string{
				relatedDisclaimer,
				"The original report concerned a summons: the U.S. ambassador to Moscow was called to the Russian Foreign Ministry over American military support for Kyiv. This page keeps only the headline and summary; the rest is placeholder copy for the demo.",
				"In a live newsroom, the story would set out the ministry's statement, the embassy's response and the state of U.S.-Russia relations and diplomacy around the war in Ukraine. Agency stories like this one are often short at first, and editors expand them as details emerge.",
				`The article carries the tags U.S., US-Russia, Diplomacy and Ukraine war, which it shares with the model article on this site, so it is listed under that article's "Read more" heading. At well under three hundred words, it counts as a one-minute read.`,
			},
		},
		{
			title:     "Russia Threatens U.S. Envoy With Expulsions Over Anti-War Posts",
			summary:   "The Russian Foreign Ministry warned the new U.S. ambassador to Moscow on Tuesday that it would begin expelling her staff if the embassy continued criticizing the war.",
			author:    "Daniel Whitford",
			tags:      []string{"US-Russia", "Diplomacy", "Lavrov"},
			published: time.Date(2025, time.March, 12, 9, 15, 0, 0, moscow),
			paragraphs: []string{
				relatedDisclaimer,
				"The original report described a warning from the Russian Foreign Ministry to the new U.S. ambassador to Moscow: her staff would be expelled if the embassy kept criticizing the war. This page keeps only the headline and summary; what follows is placeholder copy for the demo.",
				"A full story would quote the ministry's statement, describe the embassy posts that prompted it and place the warning in the long history of tit-for-tat expulsions between Moscow and Washington, a recurring feature of U.S.-Russia diplomacy in Sergei Lavrov's years as foreign minister.",
				`Its summary is stored in full. Lists of articles, like the "Read more" box under the model article, shorten long summaries to fit and end them with an ellipsis, so the newsroom never has to write two versions.`,
			},
		},
		{
			title:     "U.S. Curbs Intelligence Sharing With Ukraine – WP",
			summary:   "The distinction between intelligence-sharing and “targeting information” can help the U.S show it is not a party to the conflict.",
			author:    "AFP",
			tags:      []string{"U.S.", "Ukraine war", "US-Russia"},
			published: time.Date(2025, time.March, 13, 16, 50, 0, 0, moscow),
			paragraphs: []string{
				relatedDisclaimer,
				"The original report, citing The Washington Post, said the United States had limited some of the intelligence it shares with Ukraine. This page keeps only the headline and summary; the paragraphs below are placeholder copy for the demo.",
				"A full story would explain which kinds of information were affected, how Kyiv and its European partners responded, and why the line between sharing intelligence and passing on targeting information matters to Washington as it seeks to show it is not a party to the war in Ukraine.",
				`Headlines that credit another outlet, like the "– WP" at the end of this one, are common in wire copy. tamizdat keeps headlines exactly as the editor typed them, dashes and quotation marks included, and builds the article's address from a simplified, transliterated version.`,
			},
		},
	}
}

// seedStories returns the model article followed by its four related
// articles.
func seedStories() []story {
	out := []story{{
		title:     seedTitle,
		summary:   "Marco Rubio and Sergei Lavrov agreed to keep working on restoring communication between Washington and Moscow, but set no date for the next round of talks.",
		body:      paragraphs(seedParagraphs),
		authors:   []string{"AFP"},
		tags:      seedTags,
		status:    model.StatusPublished,
		language:  "en",
		zone:      seedZone,
		created:   seedPublishedAt().Add(-2 * time.Hour),
		published: seedPublishedAt(),
		image: &model.Image{
			URL:     "/media/" + seedImage,
			Alt:     "Placeholder image standing in for a photo of the U.S. and Russian delegations at their talks in Riyadh.",
			Caption: "Top U.S. and Russian diplomats meet in Saudi Arabia on Feb. 18.",
			Credit:  "Russian Foreign Ministry/TASS",
			Width:   imageWidth,
			Height:  imageHeight,
		},
	}}
	for _, r := range relatedStories() {
		out = append(out, story{
			title:     r.title,
			summary:   r.summary,
			body:      paragraphs(r.paragraphs),
			authors:   []string{r.author},
			tags:      r.tags,
			status:    model.StatusPublished,
			language:  "en",
			zone:      seedZone,
			created:   r.published.Add(-2 * time.Hour),
			published: r.published,
		})
	}
	return out
}
