package site

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"time"
)

// The three feed formats are written from small typed structs with
// encoding/xml and encoding/json: each format is a page of struct tags, and
// no feed library writes all three with full text, several bylines,
// per-entry languages and enclosures. Element names with a prefix
// ("dc:creator") are written as they are; the prefixes are declared on the
// root element.

type rssDoc struct {
	XMLName   xml.Name   `xml:"rss"`
	Version   string     `xml:"version,attr"`
	ContentNS string     `xml:"xmlns:content,attr"`
	DCNS      string     `xml:"xmlns:dc,attr"`
	AtomNS    string     `xml:"xmlns:atom,attr"`
	Channel   rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string    `xml:"title"`
	Link          string    `xml:"link"`
	Description   string    `xml:"description"`
	Language      string    `xml:"language,omitempty"`
	LastBuildDate string    `xml:"lastBuildDate"`
	Links         []rssLink `xml:"atom:link"`
	Items         []rssItem `xml:"item"`
}

type rssLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
}

type rssItem struct {
	Title       string        `xml:"title"`
	Link        string        `xml:"link"`
	GUID        rssGUID       `xml:"guid"`
	PubDate     string        `xml:"pubDate"`
	Updated     string        `xml:"atom:updated,omitempty"` // only after an edit
	Creators    []string      `xml:"dc:creator"`             // RSS's own <author> wants an email address
	Categories  []string      `xml:"category"`
	Description string        `xml:"description,omitempty"`
	Content     string        `xml:"content:encoded"`
	Enclosure   *rssEnclosure `xml:"enclosure"`
}

type rssGUID struct {
	IsPermaLink bool   `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

type rssEnclosure struct {
	URL string `xml:"url,attr"`
	// Length is required; the RSS Best Practices Profile says to give 0
	// when the size is not known, as it is not here without reading the file.
	Length int    `xml:"length,attr"`
	Type   string `xml:"type,attr"`
}

func encodeRSS(f *feed) ([]byte, error) {
	doc := rssDoc{
		Version:   "2.0",
		ContentNS: "http://purl.org/rss/1.0/modules/content/",
		DCNS:      "http://purl.org/dc/elements/1.1/",
		AtomNS:    "http://www.w3.org/2005/Atom",
		Channel: rssChannel{
			Title:         f.Title,
			Link:          f.Page,
			Description:   f.Description,
			Language:      f.Language,
			LastBuildDate: f.Updated.Format(time.RFC1123Z),
			Links: []rssLink{
				{Href: f.Self, Rel: "self", Type: "application/rss+xml"},
				{Href: f.Reach, Rel: "related", Type: "text/html"},
			},
		},
	}
	for _, it := range f.Items {
		ri := rssItem{
			Title:       it.Title,
			Link:        it.URL,
			GUID:        rssGUID{Value: it.ID},
			PubDate:     it.Published.Format(time.RFC1123Z),
			Description: it.Summary,
			Content:     it.ContentHTML,
		}
		if it.Updated.After(it.Published) {
			ri.Updated = it.Updated.Format(time.RFC3339)
		}
		for _, a := range it.Authors {
			ri.Creators = append(ri.Creators, a.Name)
		}
		for _, c := range it.Categories {
			ri.Categories = append(ri.Categories, c.Label)
		}
		if it.Image != nil && it.Image.Type != "" {
			ri.Enclosure = &rssEnclosure{URL: it.Image.URL, Type: it.Image.Type}
		}
		doc.Channel.Items = append(doc.Channel.Items, ri)
	}
	return marshalXML(doc)
}

type atomFeed struct {
	XMLName  xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang     string      `xml:"xml:lang,attr,omitempty"`
	ID       string      `xml:"id"`
	Title    string      `xml:"title"`
	Subtitle string      `xml:"subtitle,omitempty"`
	Updated  string      `xml:"updated"`
	Links    []atomLink  `xml:"link"`
	Entries  []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	Lang       string         `xml:"xml:lang,attr,omitempty"`
	ID         string         `xml:"id"`
	Title      string         `xml:"title"`
	Links      []atomLink     `xml:"link"`
	Published  string         `xml:"published"`
	Updated    string         `xml:"updated"`
	Authors    []atomPerson   `xml:"author"`
	Categories []atomCategory `xml:"category"`
	Summary    *atomText      `xml:"summary"`
	Content    atomText       `xml:"content"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomCategory struct {
	Term  string `xml:"term,attr"`
	Label string `xml:"label,attr,omitempty"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

func encodeAtom(f *feed) ([]byte, error) {
	doc := atomFeed{
		Lang:     f.Language,
		ID:       f.Self,
		Title:    f.Title,
		Subtitle: f.Description,
		Updated:  f.Updated.Format(time.RFC3339),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: f.Self},
			{Rel: "alternate", Type: "text/html", Href: f.Page},
			{Rel: "related", Type: "text/html", Href: f.Reach},
		},
	}
	for _, it := range f.Items {
		e := atomEntry{
			Lang:      it.Language,
			ID:        it.ID,
			Title:     it.Title,
			Links:     []atomLink{{Rel: "alternate", Type: "text/html", Href: it.URL}},
			Published: it.Published.Format(time.RFC3339),
			Updated:   it.Updated.Format(time.RFC3339),
			Content:   atomText{Type: "html", Body: it.ContentHTML},
		}
		if it.Summary != "" {
			e.Summary = &atomText{Type: "text", Body: it.Summary}
		}
		for _, a := range it.Authors {
			e.Authors = append(e.Authors, atomPerson{Name: a.Name, URI: a.URL})
		}
		for _, c := range it.Categories {
			e.Categories = append(e.Categories, atomCategory{Term: c.Term, Label: c.Label})
		}
		if it.Image != nil && it.Image.Type != "" {
			e.Links = append(e.Links, atomLink{Rel: "enclosure", Type: it.Image.Type, Href: it.Image.URL})
		}
		doc.Entries = append(doc.Entries, e)
	}
	return marshalXML(doc)
}

type jsonFeed struct {
	Version     string `json:"version"`
	Title       string `json:"title"`
	HomePageURL string `json:"home_page_url"`
	FeedURL     string `json:"feed_url"`
	Description string `json:"description,omitempty"`
	Language    string `json:"language,omitempty"`
	// Reach is a custom object (the format's extension point: a key
	// starting with "_"), for readers whose way to the site is blocked.
	Reach jsonReach  `json:"_reach"`
	Items []jsonItem `json:"items"`
}

type jsonReach struct {
	Page    string `json:"page"`    // the "How to reach us" page
	Mirrors string `json:"mirrors"` // the mirror list
}

type jsonItem struct {
	ID            string       `json:"id"`
	URL           string       `json:"url"`
	Title         string       `json:"title"`
	ContentHTML   string       `json:"content_html"`
	Summary       string       `json:"summary,omitempty"`
	Image         string       `json:"image,omitempty"`
	DatePublished string       `json:"date_published"`
	DateModified  string       `json:"date_modified,omitempty"`
	Authors       []jsonAuthor `json:"authors,omitempty"`
	Tags          []string     `json:"tags,omitempty"`
	Language      string       `json:"language,omitempty"`
}

type jsonAuthor struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

func encodeJSONFeed(f *feed) ([]byte, error) {
	doc := jsonFeed{
		Version:     "https://jsonfeed.org/version/1.1",
		Title:       f.Title,
		HomePageURL: f.Page,
		FeedURL:     f.Self,
		Description: f.Description,
		Language:    f.Language,
		Reach:       jsonReach{Page: f.Reach, Mirrors: f.Mirrors},
		Items:       make([]jsonItem, 0, len(f.Items)),
	}
	for _, it := range f.Items {
		ji := jsonItem{
			ID:            it.ID,
			URL:           it.URL,
			Title:         it.Title,
			ContentHTML:   it.ContentHTML,
			Summary:       it.Summary,
			DatePublished: it.Published.Format(time.RFC3339),
			Language:      it.Language,
		}
		if it.Updated.After(it.Published) {
			ji.DateModified = it.Updated.Format(time.RFC3339)
		}
		if it.Image != nil {
			ji.Image = it.Image.URL
		}
		for _, a := range it.Authors {
			ji.Authors = append(ji.Authors, jsonAuthor(a))
		}
		for _, c := range it.Categories {
			ji.Tags = append(ji.Tags, c.Label)
		}
		doc.Items = append(doc.Items, ji)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// The feed is not embedded in HTML, so "<" need not become "\u003c":
	// escaping it would swell every tag of the full text.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// marshalXML writes v as an XML document with its declaration.
func marshalXML(v any) ([]byte, error) {
	body, err := xml.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(body, '\n')...), nil
}
