package loadgen

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func ms(n ...int) []time.Duration {
	out := make([]time.Duration, len(n))
	for i, v := range n {
		out[i] = time.Duration(v) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value, median", ms(7), 50, 7 * time.Millisecond},
		{"one value, p99", ms(7), 99, 7 * time.Millisecond},
		{"p50 of 1..100", hundred, 50, 50 * time.Millisecond},
		{"p99 of 1..100", hundred, 99, 99 * time.Millisecond},
		{"p100 of 1..100", hundred, 100, 100 * time.Millisecond},
		{"p1 of 1..100", hundred, 1, 1 * time.Millisecond},
		{"p50 of four rounds up the rank", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p51 of four", ms(1, 2, 3, 4), 51, 3 * time.Millisecond},
		{"p99 of ten is the largest", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{"empty", nil, 0},
		{"one", []float64{3}, 3},
		{"odd, unsorted", []float64{9, 1, 5}, 5},
		{"even takes the mean of the middle two", []float64{4, 1, 3, 2}, 2.5},
		{"an outlier does not move it", []float64{100, 101, 99, 1e9, 0}, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]float64(nil), tt.xs...)
			if got := Median(in); got != tt.want {
				t.Errorf("Median(%v) = %v, want %v", tt.xs, got, tt.want)
			}
			for i := range in {
				if in[i] != tt.xs[i] {
					t.Fatalf("Median reordered its input: %v, was %v", in, tt.xs)
				}
			}
		})
	}
	t.Run("durations", func(t *testing.T) {
		if got := Median(ms(30, 10, 20)); got != 20*time.Millisecond {
			t.Errorf("Median = %v, want 20ms", got)
		}
	})
}

func TestRun(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		// Both servers under test must answer with identity bytes.
		if r.Header.Get("Accept-Encoding") != "" {
			http.Error(w, "compression requested", http.StatusBadRequest)
			return
		}
		io.WriteString(w, "hello")
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "hello", http.StatusInternalServerError)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		name      string
		path      string
		wantBytes int
		wantOK    bool
	}{
		{"good responses count", "/ok", 5, true},
		{"a wrong length is an error", "/ok", 6, false},
		{"a non-200 is an error", "/fail", 6, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := NewClient(4)
			res, err := Run(context.Background(), client, Options{URL: srv.URL + tt.path, WantBytes: tt.wantBytes, Concurrency: 4, Duration: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantOK && (res.OK == 0 || res.Errors != 0) {
				t.Errorf("got %d OK and %d errors; want only OK", res.OK, res.Errors)
			}
			if !tt.wantOK && (res.OK != 0 || res.Errors == 0) {
				t.Errorf("got %d OK and %d errors; want only errors", res.OK, res.Errors)
			}
			if len(res.Latencies) != res.OK {
				t.Errorf("%d latencies for %d OK responses", len(res.Latencies), res.OK)
			}
			if res.Elapsed < 100*time.Millisecond {
				t.Errorf("elapsed %v, shorter than the duration", res.Elapsed)
			}
		})
	}
	t.Run("a cancelled context stops it early without errors", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		res, err := Run(ctx, NewClient(2), Options{URL: srv.URL + "/ok", WantBytes: 5, Concurrency: 2, Duration: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if res.Elapsed > 5*time.Second || res.Errors != 0 {
			t.Errorf("ran %v with %d errors after cancel", res.Elapsed, res.Errors)
		}
	})
}
