package newsletter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/vault"
)

// SendOptions configure an Outbox. Store, Vault, Tokens, Mail, From and
// SiteURL are required; the rest have defaults.
type SendOptions struct {
	Store  *store.Store
	Vault  *vault.Vault // opens subscribers' sealed addresses
	Tokens *Tokens      // signs the unsubscribe links
	Mail   tmail.Sender
	// From is the sender, e.g. "The Weekly <news@example.org>"; its domain
	// also names the Message-IDs and List-Ids.
	From string
	// SiteURL is the public address links in issues point to, without a
	// trailing slash, e.g. https://news.example.
	SiteURL string

	Workers int // deliveries in progress at once; 8
	Batch   int // outbox rows a worker claims at a time; 10
	// Lease is how long a claim lasts unless renewed (every third of it).
	// After a crash, the rows the dead sender held wait this long before
	// another takes them over; 10s.
	Lease time.Duration
	// Retries: a transient failure is tried again after RetryBase,
	// doubling each time up to RetryMax, for MaxAttempts attempts in all;
	// then the delivery is marked failed.
	RetryBase   time.Duration // 2m
	RetryMax    time.Duration // 4h
	MaxAttempts int           // 10
	// BounceThreshold is how many permanent failures make a subscriber
	// bounced and suppressed; 1.
	BounceThreshold int
	// SoftBounceLimit is how many campaigns in a row that bounced softly
	// (retries given up, or transient bounce notices) make a subscriber
	// bounced and suppressed; 3.
	SoftBounceLimit int
	// The complaint-rate breaker (requirement E5) pauses an issue when its
	// complaints exceed ComplaintRate (a fraction; 0.001 is 0.1 %) of its
	// deliveries, counted as at least ComplaintSample, so that one early
	// complaint does not trip it; see complaintsTrip. 0.001 and 1000.
	ComplaintRate   float64
	ComplaintSample int
	// DomainCheck, when set, is the DNS pre-flight of the sending domain
	// (requirement E3): an issue whose sending has not begun is held while
	// it fails. SkipDomainCheck, for testing only, logs the failure and
	// sends all the same.
	DomainCheck     *tmail.DomainCheck
	SkipDomainCheck bool
	Poll            time.Duration // how often to look for work and due issues; 1s
	ProgressEvery   time.Duration // how often to log an issue's progress; 5s
	// Now is the clock; time.Now when nil. Give the store the same one.
	Now func() time.Time
	Log *slog.Logger
}

// Outbox sends newsletter issues through the per-recipient outbox in the
// database: it fills the outbox when an issue starts, and its workers claim
// small batches of rows under a lease, send each message and record the
// outcome before starting the next. Any number of Outboxes, in one process
// or on several servers sharing the database, may run at once; none of them
// keeps state that a crash could lose.
type Outbox struct {
	opts    SendOptions
	letters letters
	owner   string // this Outbox's name on the leases it takes

	wake    chan struct{} // a poke for idle workers: there may be work
	results chan pendingResult

	mu        sync.Mutex
	issues    map[string]*issueState // sending issues, rendered once
	enqueuing map[string]bool
	held      map[heldKey]struct{} // rows claimed and not yet recorded
	turn      int
	// domainPassed is when the DNS pre-flight last passed.
	domainPassed time.Time

	renewedAt atomic.Int64 // Unix nanoseconds of the last full lease renewal
	holdUntil atomic.Int64 // Unix nanoseconds: no claiming before, after server trouble
	troubles  atomic.Int32 // consecutive rounds of server trouble
}

// issueState is what workers need of an issue being sent.
type issueState struct {
	issue      store.Issue
	newsletter store.Newsletter
	mail       renderedIssue
	listID     string
	lastCount  store.SendCounts
	lastAt     time.Time
}

type heldKey struct{ issueID, subscriberID string }

// NewOutbox checks opts and returns an Outbox; Run starts it.
func NewOutbox(opts SendOptions) (*Outbox, error) {
	switch {
	case opts.Store == nil || opts.Vault == nil || opts.Tokens == nil || opts.Mail == nil:
		return nil, errors.New("newsletter: an outbox needs a store, a vault, link tokens and a mail sender")
	case opts.SiteURL == "":
		return nil, errors.New("newsletter: an outbox needs the site's public address (base-url) for the links in issues")
	}
	l, err := newLetters(opts.Store, opts.Tokens, opts.From, opts.SiteURL)
	if err != nil {
		return nil, err
	}
	defaults(&opts)
	host, _ := os.Hostname()
	suffix := make([]byte, 4)
	rand.Read(suffix)
	return &Outbox{
		opts:      opts,
		letters:   l,
		owner:     host + "-" + hex.EncodeToString(suffix),
		wake:      make(chan struct{}, 1),
		results:   make(chan pendingResult, opts.Workers),
		issues:    map[string]*issueState{},
		enqueuing: map[string]bool{},
		held:      map[heldKey]struct{}{},
	}, nil
}

func defaults(o *SendOptions) {
	set := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	setD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	set(&o.Workers, 8)
	set(&o.Batch, 10)
	set(&o.MaxAttempts, 10)
	set(&o.BounceThreshold, 1)
	set(&o.SoftBounceLimit, 3)
	set(&o.ComplaintSample, 1000)
	if o.ComplaintRate <= 0 {
		o.ComplaintRate = 0.001
	}
	setD(&o.Lease, 10*time.Second)
	setD(&o.RetryBase, 2*time.Minute)
	setD(&o.RetryMax, 4*time.Hour)
	setD(&o.Poll, time.Second)
	setD(&o.ProgressEvery, 5*time.Second)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

// Start begins sending a draft or scheduled issue now and fills its outbox.
// If filling is interrupted, Run finishes it. While the sending domain
// fails the DNS pre-flight, it refuses with an error wrapping
// mail.ErrDomainNotReady that lists what to fix.
func (o *Outbox) Start(ctx context.Context, issueID string) error {
	if err := o.domainReady(ctx); err != nil {
		return err
	}
	if err := o.opts.Store.StartIssue(ctx, issueID); err != nil {
		return err
	}
	o.poke()
	return o.enqueue(ctx, issueID)
}

// Pause stops the claiming of an issue's deliveries by hand: by is who
// paused it (see store.Issue.PausedBy). No server claims more of them;
// this one's workers stop after the message each has in hand, the others'
// at their next poll (SendOptions.Poll), and the rows they had claimed are
// given back.
func (o *Outbox) Pause(ctx context.Context, issueID, by string) error {
	if err := o.opts.Store.PauseIssue(ctx, issueID, by); err != nil {
		return err
	}
	o.mu.Lock()
	if state, ok := o.issues[issueID]; ok {
		state.issue.Paused, state.issue.PauseReason = true, store.PauseEditor
	}
	o.mu.Unlock()
	return nil
}

// Resume lets a paused issue's deliveries be claimed again, whoever paused
// it; the complaint-rate breaker starts counting afresh. An issue held by
// the DNS pre-flight is resumed only once the domain passes it.
func (o *Outbox) Resume(ctx context.Context, issueID string) error {
	if err := ResumeIssue(ctx, o.opts.Store, issueID, o.domainReady); err != nil {
		return err
	}
	o.poke()
	return nil
}

// ErrNotPaused: only a paused issue can be resumed.
var ErrNotPaused = errors.New("newsletter: the issue is not paused; nothing to resume")

// ResumeIssue resumes a paused issue (see Outbox.Resume) from any process:
// the senders take it up at their next poll. domainReady is the DNS
// pre-flight, asked only of an issue it held. An issue not paused gives
// ErrNotPaused.
func ResumeIssue(ctx context.Context, st *store.Store, issueID string, domainReady func(context.Context) error) error {
	is, err := st.IssueByID(ctx, issueID)
	if err != nil {
		return err
	}
	if !is.Paused {
		return fmt.Errorf("%w (it is %s)", ErrNotPaused, is.Status)
	}
	if is.PauseReason == store.PauseDNS {
		if err := domainReady(ctx); err != nil {
			return err
		}
	}
	return st.ResumeIssue(ctx, issueID)
}

// poke wakes an idle worker.
func (o *Outbox) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// enqueue fills an issue's outbox unless this Outbox is already doing it.
func (o *Outbox) enqueue(ctx context.Context, issueID string) error {
	o.mu.Lock()
	if o.enqueuing[issueID] {
		o.mu.Unlock()
		return nil
	}
	o.enqueuing[issueID] = true
	o.mu.Unlock()
	defer func() {
		o.mu.Lock()
		delete(o.enqueuing, issueID)
		o.mu.Unlock()
	}()
	start := time.Now()
	n, err := o.opts.Store.EnqueueSends(ctx, issueID, 1000, o.letters.domain)
	if err != nil {
		return err
	}
	o.opts.Log.Info("newsletter: outbox filled", "issue", issueID, "added", n, "duration", time.Since(start))
	o.poke()
	return nil
}

// Run sends until ctx ends, then stops claiming, lets the messages being
// sent finish, records them and gives back the rows not attempted.
func (o *Outbox) Run(ctx context.Context) {
	o.refresh(ctx)
	o.renewedAt.Store(time.Now().UnixNano())
	var workers sync.WaitGroup
	for range o.opts.Workers {
		workers.Go(func() { o.work(ctx) })
	}
	committed := make(chan struct{})
	go func() {
		o.commit()
		close(committed)
	}()

	poll := time.NewTicker(o.opts.Poll)
	defer poll.Stop()
	renew := time.NewTicker(o.opts.Lease / 3)
	defer renew.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-poll.C:
			o.refresh(ctx)
		case <-renew.C:
			o.renew(ctx)
		}
	}
	workers.Wait()
	close(o.results)
	<-committed
}

// refresh starts due issues, takes note of the issues being sent (filling
// an outbox left half-filled), finishes those that are done and logs
// progress.
func (o *Outbox) refresh(ctx context.Context) {
	st, log := o.opts.Store, o.opts.Log
	if ids, err := st.StartDueIssues(ctx, o.opts.Now()); err != nil {
		o.warn(ctx, "start scheduled issues", err)
	} else {
		for _, id := range ids {
			log.Info("newsletter: scheduled issue started", "issue", id)
		}
	}
	sending, err := st.SendingIssues(ctx)
	if err != nil {
		o.warn(ctx, "list the issues being sent", err)
		return
	}
	current := map[string]bool{}
	for _, is := range sending {
		current[is.ID] = true
		if is.EnqueuedAt.IsZero() {
			go func() {
				if err := o.enqueue(ctx, is.ID); err != nil {
					o.warn(ctx, "fill the outbox of issue "+is.ID, err)
				}
			}()
		}
		if err := o.track(ctx, is); err != nil {
			log.Error("newsletter: cannot render an issue; it is not being sent", "issue", is.ID, "err", err)
		}
		o.checkComplaints(ctx, is)
	}
	finished, err := st.FinishIssues(ctx)
	if err != nil {
		o.warn(ctx, "finish issues", err)
	}
	o.mu.Lock()
	for id := range o.issues {
		if !current[id] {
			delete(o.issues, id)
		}
	}
	o.mu.Unlock()
	for _, id := range finished {
		c, err := st.SendProgress(ctx, id)
		if err == nil {
			log.Info("newsletter: issue sent", "issue", id, "sent", c.Sent, "failed", c.Failed, "skipped", c.Skipped)
		}
	}
	o.logProgress(ctx)
}

// track keeps is among the issues workers claim from, rendering it the
// first time. An issue whose sending has not begun goes through the DNS
// pre-flight first, and again when it is resumed from a hold by it.
func (o *Outbox) track(ctx context.Context, is store.Issue) error {
	o.mu.Lock()
	state, ok := o.issues[is.ID]
	o.mu.Unlock()
	if ok {
		o.mu.Lock()
		wasHeld := state.issue.Paused && state.issue.PauseReason == store.PauseDNS
		o.mu.Unlock()
		if wasHeld && !is.Paused && !o.gate(ctx, is) {
			return nil // held again
		}
		o.mu.Lock()
		state.issue.Paused, state.issue.PauseReason = is.Paused, is.PauseReason
		o.mu.Unlock()
		return nil
	}
	if !o.gate(ctx, is) {
		return nil
	}
	state, err := o.letters.load(ctx, is)
	if err != nil {
		return err
	}
	o.mu.Lock()
	o.issues[is.ID] = state
	o.mu.Unlock()
	o.poke()
	return nil
}

// claimable returns the issues workers may claim from, starting at a
// different one each call so that concurrent issues share the workers.
func (o *Outbox) claimable() []*issueState {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []*issueState
	for _, s := range o.issues {
		if !s.issue.Paused {
			out = append(out, s)
		}
	}
	if len(out) > 1 {
		o.turn++
		k := o.turn % len(out)
		out = append(out[k:], out[:k]...)
	}
	return out
}

// renew extends the leases of the rows this Outbox holds.
func (o *Outbox) renew(ctx context.Context) {
	start := time.Now()
	o.mu.Lock()
	byIssue := map[string][]string{}
	for k := range o.held {
		byIssue[k.issueID] = append(byIssue[k.issueID], k.subscriberID)
	}
	o.mu.Unlock()
	for issueID, ids := range byIssue {
		if _, err := o.opts.Store.RenewSends(ctx, issueID, o.owner, ids, o.opts.Lease); err != nil {
			o.warn(ctx, "renew leases", err)
			return
		}
	}
	o.renewedAt.Store(start.UnixNano())
}

// logProgress logs each sending issue's counts every ProgressEvery.
func (o *Outbox) logProgress(ctx context.Context) {
	o.mu.Lock()
	var due []*issueState
	for _, s := range o.issues {
		if time.Since(s.lastAt) >= o.opts.ProgressEvery {
			due = append(due, s)
		}
	}
	o.mu.Unlock()
	for _, s := range due {
		c, err := o.opts.Store.SendProgress(ctx, s.issue.ID)
		if err != nil {
			o.warn(ctx, "count deliveries", err)
			return
		}
		now := time.Now()
		rate := float64(c.Sent-s.lastCount.Sent) / now.Sub(s.lastAt).Seconds()
		o.opts.Log.Info("newsletter: sending", "issue", s.issue.ID, "subject", s.issue.Subject,
			"sent", c.Sent, "failed", c.Failed, "skipped", c.Skipped, "left", c.Left(), "paused", s.issue.Paused,
			"per_second", int(rate+0.5))
		o.mu.Lock()
		s.lastCount, s.lastAt = c, now
		o.mu.Unlock()
	}
}

// warn logs a failure of the background loop unless it is shutting down.
func (o *Outbox) warn(ctx context.Context, what string, err error) {
	if ctx.Err() == nil {
		o.opts.Log.Warn("newsletter: "+what, "err", err)
	}
}
