package store

import (
	"sync"
	"testing"
	"time"
)

func TestPostgresRebind(t *testing.T) {
	d := postgresDialect{rebound: &sync.Map{}}
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT * FROM t WHERE a = ? AND b IN (?, ?)", "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)"},
		{"SELECT '?', \"we?rd\" FROM t WHERE a = ?", "SELECT '?', \"we?rd\" FROM t WHERE a = $1"},
		{"SELECT 'it''s?' WHERE x = ?", "SELECT 'it''s?' WHERE x = $1"},
		{"VALUES (?, ?, ?), (?, ?, ?), (?, ?, ?), (?)", "VALUES ($1, $2, $3), ($4, $5, $6), ($7, $8, $9), ($10)"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			for range 2 { // the second time comes from the cache
				if got := d.rebind(tt.in); got != tt.want {
					t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
				}
			}
		})
	}
}

func TestTimeRoundTrip(t *testing.T) {
	moscow := time.FixedZone("MSK", 3*60*60)
	in := time.Date(2025, 3, 31, 23, 30, 15, 123456789, time.UTC)
	want := time.Date(2025, 3, 31, 23, 30, 15, 123456000, time.UTC)
	tests := []struct {
		name string
		src  any
		want time.Time
	}{
		{"sqlite text", timeArg(in), want},
		{"sqlite text from another zone", timeArg(in.In(moscow)), want},
		{"bytes", []byte(timeArg(in).(string)), want},
		{"pgx time.Time", in.In(moscow), in},
		{"NULL", nil, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := time.Now()
			if err := scanTime(&got).Scan(tt.src); err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("scanned %v, want %v in UTC", got, tt.want)
			}
		})
	}
	if got := timeArg(time.Time{}); got != nil {
		t.Errorf("timeArg(zero) = %v, want NULL", got)
	}
	if got := timeArg(in); got != "2025-03-31T23:30:15.123456000Z" {
		t.Errorf("timeArg = %q, want fixed-width UTC text", got)
	}
	if err := scanTime(new(time.Time)).Scan(42); err == nil {
		t.Error("scanning an integer succeeded, want an error")
	}
	if err := scanTime(new(time.Time)).Scan("yesterday"); err == nil {
		t.Error("scanning unparsable text succeeded, want an error")
	}
}

func TestSQLiteTimeTextSortsAsTime(t *testing.T) {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	times := []time.Time{base, base.Add(time.Microsecond), base.Add(time.Second), base.Add(999 * time.Millisecond), base.AddDate(1, 0, 0)}
	for i := range times {
		for j := range times {
			a, b := timeArg(times[i]).(string), timeArg(times[j]).(string)
			if (a < b) != times[i].Before(times[j]) {
				t.Errorf("%s < %s is %v, but the times say %v", a, b, a < b, times[i].Before(times[j]))
			}
		}
	}
}
