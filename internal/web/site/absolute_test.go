package site

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/tamizdat/tamizdat/internal/model"
)

func TestAbsoluteHTML(t *testing.T) {
	base, _ := url.Parse("https://m.example/articles/story")
	tests := []struct {
		name, in, want string
	}{
		{"site path", `<p><a href="/about">About</a></p>`, `<p><a href="https://m.example/about">About</a></p>`},
		{"image and srcset", `<img src="/media/a.jpg" srcset="/media/a.jpg 1x, /media/b.jpg 2x" alt="A">`,
			`<img src="https://m.example/media/a.jpg" srcset="https://m.example/media/a.jpg 1x, https://m.example/media/b.jpg 2x" alt="A">`},
		{"relative to the article", `<a href="other">x</a>`, `<a href="https://m.example/articles/other">x</a>`},
		{"fragment", `<a href="#note">1</a>`, `<a href="https://m.example/articles/story#note">1</a>`},
		{"other site untouched", `<a href="https://other.example/x?a=1&amp;b=2" rel="noreferrer">x</a>`, `<a href="https://other.example/x?a=1&amp;b=2" rel="noreferrer">x</a>`},
		{"mailto untouched", `<a href="mailto:desk@news.example">mail</a>`, `<a href="mailto:desk@news.example">mail</a>`},
		{"text and entities untouched", "<p>Tom &amp; Jerry&#39;s <em>café</em></p>\n<p>2 &lt; 3</p>", "<p>Tom &amp; Jerry&#39;s <em>café</em></p>\n<p>2 &lt; 3</p>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := absoluteHTML(tt.in, base); got != tt.want {
				t.Errorf("absoluteHTML(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRequestBase(t *testing.T) {
	settings := model.DefaultSettings("x")
	settings.OnionURL = "http://" + "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvw" + ".onion/"
	settings.Mirrors = []model.Mirror{
		{URL: "https://proxy.example/outlet/", Type: "proxy"},
		{URL: "https://cdn.example", Type: "mirror"},
	}
	s := &Site{baseURL: "https://news.example"}
	s.state.Store(&siteState{settings: settings})
	tests := []struct {
		name, target, want string
	}{
		{"main host", "http://news.example/feed.xml", "https://news.example"},
		{"mirror behind a TLS-terminating proxy, in a folder", "http://proxy.example/feed.xml", "https://proxy.example/outlet"},
		{"mirror, host in capitals", "http://CDN.Example/feed.xml", "https://cdn.example"},
		{"onion service", "http://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvw.onion/feed.xml", settings.OnionURL[:len(settings.OnionURL)-1]},
		{"unlisted host over TLS", "https://other.example/feed.xml", "https://other.example"},
		{"unlisted host with port", "http://127.0.0.1:8080/feed.xml", "http://127.0.0.1:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.requestBase(httptest.NewRequest("GET", tt.target, nil)); got != tt.want {
				t.Errorf("requestBase(%s) = %q, want %q", tt.target, got, tt.want)
			}
		})
	}
}
