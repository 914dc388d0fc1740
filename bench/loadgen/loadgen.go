// Package loadgen drives a closed-loop HTTP load: a fixed number of workers,
// each sending its next request as soon as the previous response has been
// read, for a fixed time. It also holds the statistics helpers the
// benchmark quotes (percentiles, medians).
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// NewClient returns a keep-alive client that holds one idle connection per
// worker and asks for identity bytes: with DisableCompression the transport
// sends no Accept-Encoding header, so every server answers uncompressed.
func NewClient(concurrency int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        2 * concurrency,
			MaxIdleConnsPerHost: 2 * concurrency,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
		Timeout: 30 * time.Second,
		// A redirect is an answer worth counting as such, not following.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Options describe one measurement.
type Options struct {
	URL         string
	WantBytes   int // the body length a good response has
	Concurrency int
	Duration    time.Duration
}

// Result is what one measurement saw.
type Result struct {
	OK     int // 200 responses with the expected body length
	Errors int // other statuses, short or long bodies, transport errors
	// Elapsed runs from the start until the last worker finished its last
	// request.
	Elapsed time.Duration
	// Latencies of the OK requests, sorted.
	Latencies []time.Duration
}

// RPS is the rate of OK responses per second.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// Percentile returns the p-th percentile latency of the OK requests.
func (r Result) Percentile(p float64) time.Duration { return Percentile(r.Latencies, p) }

// Run sends GET requests to opts.URL from opts.Concurrency workers until
// opts.Duration has passed or ctx is done. Requests cut short by ctx do not
// count as errors; the caller decides what a cancelled run is worth.
func Run(ctx context.Context, client *http.Client, opts Options) (Result, error) {
	if opts.Concurrency < 1 || opts.Duration <= 0 {
		return Result{}, fmt.Errorf("loadgen: run: need at least one worker and a positive duration, got %d and %v", opts.Concurrency, opts.Duration)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, opts.URL, nil)
	if err != nil {
		return Result{}, fmt.Errorf("loadgen: run: %w", err)
	}
	type tally struct {
		ok, errors int
		latencies  []time.Duration
	}
	tallies := make([]tally, opts.Concurrency)
	start := time.Now()
	deadline := start.Add(opts.Duration)
	var wg sync.WaitGroup
	for w := range tallies {
		wg.Go(func() {
			t := &tallies[w]
			// Each worker has its own request, reused for each of its sends.
			req := req.Clone(ctx)
			t.latencies = make([]time.Duration, 0, 4096)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				began := time.Now()
				good, err := fetch(client, req, opts.WantBytes)
				switch {
				case ctx.Err() != nil:
				case err != nil || !good:
					t.errors++
				default:
					t.ok++
					t.latencies = append(t.latencies, time.Since(began))
				}
			}
		})
	}
	wg.Wait()
	res := Result{Elapsed: time.Since(start)}
	for _, t := range tallies {
		res.OK += t.ok
		res.Errors += t.errors
		res.Latencies = append(res.Latencies, t.latencies...)
	}
	slices.Sort(res.Latencies)
	return res, nil
}

// fetch sends req and reads the whole body, which lets the connection be
// reused; good means status 200 with wantBytes of body.
func fetch(client *http.Client, req *http.Request, wantBytes int) (good bool, err error) {
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	err = errors.Join(err, resp.Body.Close())
	return err == nil && resp.StatusCode == http.StatusOK && n == int64(wantBytes), err
}

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted by the
// nearest-rank method: the smallest value at least p% of the values do not
// exceed. It returns 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// The small slack keeps float error in n*p/100 from bumping an exact
	// rank to the next one.
	rank := int(math.Ceil(float64(len(sorted))*p/100 - 1e-9))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// Median returns the middle value of xs, or the mean of the two middle
// values when there is an even number; 0 for none. xs is left as it was.
func Median[T ~int64 | ~float64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	return (s[mid-1] + s[mid]) / 2
}
