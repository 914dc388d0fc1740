package site

import "testing"

func TestPagerLinks(t *testing.T) {
	tests := []struct {
		path              string
		page, total       int
		wantPrev, wantNxt string
		wantPages         int
	}{
		{"/", 1, 45, "", "?page=2", 3},
		{"/", 2, 45, "./", "?page=3", 3},
		{"/tags/lavrov", 2, 45, "lavrov", "?page=3", 3},
		{"/authors/afp", 3, 45, "?page=2", "", 3},
		{"/archive/2025/03", 2, 21, "03", "", 2},
		{"/tags/empty", 1, 0, "", "", 1},
	}
	for _, tt := range tests {
		p, err := pager(tt.path, tt.page, tt.total)
		if err != nil {
			t.Fatalf("%s page %d: %v", tt.path, tt.page, err)
		}
		if p.Prev != tt.wantPrev || p.Next != tt.wantNxt || p.Pages != tt.wantPages {
			t.Errorf("%s page %d: prev %q next %q pages %d; want %q %q %d", tt.path, tt.page, p.Prev, p.Next, p.Pages, tt.wantPrev, tt.wantNxt, tt.wantPages)
		}
	}
	if _, err := pager("/tags/lavrov", 4, 45); err == nil {
		t.Error("page 4 of 3 accepted")
	}
}
