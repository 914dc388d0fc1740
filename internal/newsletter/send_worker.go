package newsletter

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"time"

	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/store"
)

// pendingResult is an outcome waiting for the committer; done receives the
// error of its transaction.
type pendingResult struct {
	res  store.SendResult
	done chan error
}

// outcome is what a worker does with a delivery after trying it.
type outcome int

const (
	outcomeRecord  outcome = iota // record the result
	outcomeRelease                // give the row back unattempted: the trouble was ours or the server's
)

// gatherFor is how long the committer waits for more results to join the
// first in one transaction.
const gatherFor = time.Millisecond

// maxHold is the longest the workers wait after server trouble before
// trying again.
const maxHold = time.Minute

// work claims and delivers batches until ctx ends.
func (o *Outbox) work(ctx context.Context) {
	for ctx.Err() == nil {
		if wait := time.Until(time.Unix(0, o.holdUntil.Load())); wait > 0 {
			o.sleep(ctx, wait)
			continue
		}
		worked := false
		for _, s := range o.claimable() {
			claims, err := o.opts.Store.ClaimSends(ctx, s.issue.ID, o.owner, o.opts.Batch, o.opts.Lease)
			if err != nil {
				o.warn(ctx, "claim deliveries", err)
				break
			}
			if len(claims) > 0 {
				o.deliverBatch(ctx, s, claims)
				worked = true
				break
			}
		}
		if !worked {
			o.sleep(ctx, o.opts.Poll)
		}
	}
}

// sleep waits for d, a poke or the end of ctx.
func (o *Outbox) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-o.wake:
	}
}

// deliverBatch sends the claimed rows one by one. Each outcome is committed
// before the next message goes out, so a crash can repeat at most the one
// message each worker had in flight.
func (o *Outbox) deliverBatch(ctx context.Context, s *issueState, claims []store.Claim) {
	ids := make([]string, len(claims))
	o.mu.Lock()
	for i, c := range claims {
		ids[i] = c.SubscriberID
		o.held[heldKey{s.issue.ID, c.SubscriberID}] = struct{}{}
	}
	o.mu.Unlock()
	claimedAt := time.Now()
	// Shutdown stops claiming, but a message under way is finished and
	// recorded; the SMTP timeout bounds how long that takes.
	bg := context.WithoutCancel(ctx)
	addrs, err := o.opts.Store.SendRecipients(ctx, s.newsletter.ID, ids)
	if err != nil {
		o.warn(ctx, "look up recipients", err)
		o.release(bg, s.issue.ID, ids)
		return
	}
	for i, c := range claims {
		if ctx.Err() != nil || !o.leaseSafe(claimedAt) || time.Now().UnixNano() < o.holdUntil.Load() || o.paused(s) {
			o.release(bg, s.issue.ID, ids[i:])
			return
		}
		deliveryHooks.start()
		d := o.deliver(bg, s, c, addrs)
		if d.next == outcomeRelease {
			o.release(bg, s.issue.ID, ids[i:])
			deliveryHooks.done()
			return
		}
		err := o.record(d.res)
		deliveryHooks.done()
		if err != nil {
			// Leave the rest leased: another sender takes over when the
			// lease ends, and the database is not answering anyway.
			o.warn(ctx, "record a delivery", err)
			o.forget(s.issue.ID, ids[i:])
			return
		}
		o.forget(s.issue.ID, ids[i:i+1])
		switch {
		case d.bounce:
			if err := o.opts.Store.MarkBounced(bg, c.SubscriberID, true, o.opts.BounceThreshold); err != nil {
				o.warn(ctx, "count a bounce", err)
			}
		case d.softBounce:
			if _, err := o.opts.Store.SoftBounce(bg, s.issue.ID, c.SubscriberID, o.opts.SoftBounceLimit); err != nil {
				o.warn(ctx, "count a soft bounce", err)
			}
		}
	}
}

// deliveryHooks let tests act between two messages (export_test.go sets
// them): before runs as a worker starts a delivery, after once its outcome
// is recorded, or its row given back. Both are nil outside tests.
var deliveryHooks hooks

type hooks struct{ before, after func() }

func (h *hooks) start() {
	if h.before != nil {
		h.before()
	}
}

func (h *hooks) done() {
	if h.after != nil {
		h.after()
	}
}

// paused reports whether the issue was paused (as of the last refresh):
// the rest of a batch is given back, so a pause, by an editor or the
// complaint-rate breaker, stops the send within a poll.
func (o *Outbox) paused(s *issueState) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return s.issue.Paused
}

// leaseSafe reports whether a row claimed at claimedAt is surely still
// ours for long enough to send one message: the lease was taken or renewed
// less than half a lease ago.
func (o *Outbox) leaseSafe(claimedAt time.Time) bool {
	last := max(claimedAt.UnixNano(), o.renewedAt.Load())
	return time.Since(time.Unix(0, last)) < o.opts.Lease/2
}

// delivery is the result of trying one row.
type delivery struct {
	res        store.SendResult
	next       outcome
	bounce     bool // a permanent failure, to count against the subscriber
	softBounce bool // transient failures until we gave up: a soft-bounced campaign
}

// deliver sends one message and decides what becomes of its row.
func (o *Outbox) deliver(ctx context.Context, s *issueState, c store.Claim, addrs map[string]store.SendTo) delivery {
	res := store.SendResult{IssueID: s.issue.ID, SubscriberID: c.SubscriberID, Owner: o.owner}
	msgID := c.MessageID
	if msgID == "" { // queued by a version that named it only when sending
		msgID = store.SendMessageID(s.issue.ID, c.SubscriberID, o.letters.domain)
		res.MessageID = msgID
	}
	rcpt, ok := addrs[c.SubscriberID]
	if !ok {
		res.Status, res.Error = store.SendSkipped, "no longer subscribed"
		return delivery{res: res}
	}
	addr, err := o.opts.Vault.Open(rcpt.EmailSealed, EmailPurpose)
	if err != nil {
		// Every address would fail the same way: a wrong key, not a bad
		// subscriber. Hold everything until an operator looks.
		o.opts.Log.Error("newsletter: a subscriber's address does not decrypt; is this the secret key the site started with? Sending is on hold",
			"subscriber", c.SubscriberID, "err", err)
		o.hold(maxHold)
		return delivery{next: outcomeRelease}
	}
	err = o.opts.Mail.Send(ctx, o.letters.letter(s, c.SubscriberID, rcpt.TokenVersion, addr, msgID))
	switch {
	case err == nil:
		o.troubles.Store(0)
		res.Status = store.SendSent
	case serverTrouble(err):
		// The server could not be reached or stopped answering before
		// taking the message: nothing is known about the recipient, so the
		// attempt does not count. Back off for everyone.
		o.opts.Log.Warn("newsletter: the mail server is not taking messages; holding", "err", redact(err, addr))
		o.hold(time.Second << min(o.troubles.Add(1), 6))
		return delivery{next: outcomeRelease}
	case tmail.Permanent(err):
		res.Status, res.Error = store.SendFailed, redact(err, addr)
		return delivery{res: res, bounce: true}
	case c.Attempts >= o.opts.MaxAttempts:
		res.Status, res.Error = store.SendFailed, "gave up after "+strconv.Itoa(c.Attempts)+" attempts: "+redact(err, addr)
		return delivery{res: res, softBounce: true}
	default:
		res.Status, res.Error = store.SendPending, redact(err, addr)
		res.RetryAt = o.opts.Now().Add(o.backoff(c.Attempts))
	}
	return delivery{res: res}
}

// serverTrouble reports a failure that blames the mail server or the
// network, not the recipient, and came before the message was handed over.
func serverTrouble(err error) bool {
	var e *tmail.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Stage == tmail.StageConnect ||
		(e.Stage != tmail.StageData && (e.Code == 0 || e.Code == 421))
}

// backoff is the wait before attempt n+1: RetryBase doubled n-1 times,
// capped at RetryMax, less up to a fifth at random so retries spread out.
func (o *Outbox) backoff(attempts int) time.Duration {
	d := o.opts.RetryMax
	if attempts < 30 {
		d = min(o.opts.RetryBase<<(attempts-1), o.opts.RetryMax)
	}
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

// hold stops all workers from sending for d.
func (o *Outbox) hold(d time.Duration) {
	until := time.Now().Add(min(d, maxHold)).UnixNano()
	if until > o.holdUntil.Load() {
		o.holdUntil.Store(until)
	}
}

// record hands a result to the committer and waits until it is stored.
func (o *Outbox) record(res store.SendResult) error {
	done := make(chan error, 1)
	o.results <- pendingResult{res: res, done: done}
	return <-done
}

// commit stores results as workers hand them in, until results is closed.
// It waits a moment after the first for others to share its transaction
// (group commit): one transaction per message would cost more than the
// message.
func (o *Outbox) commit() {
	ctx := context.Background()
	batch := make([]pendingResult, 0, cap(o.results))
	rows := make([]store.SendResult, 0, cap(o.results))
	for first := range o.results {
		batch, rows = append(batch[:0], first), append(rows[:0], first.res)
		gather := time.NewTimer(gatherFor)
	more:
		for len(batch) < cap(batch) {
			select {
			case p, ok := <-o.results:
				if !ok {
					break more
				}
				batch, rows = append(batch, p), append(rows, p.res)
			case <-gather.C:
				break more
			}
		}
		gather.Stop()
		err := o.store(ctx, rows)
		for _, p := range batch {
			p.done <- err
		}
	}
}

// store records rows, retrying for up to half a lease while the database
// does not answer: a result lost here means a repeated message later.
func (o *Outbox) store(ctx context.Context, rows []store.SendResult) error {
	deadline := time.Now().Add(o.opts.Lease / 2)
	for wait := 50 * time.Millisecond; ; wait *= 2 {
		_, err := o.opts.Store.RecordSends(ctx, rows)
		if err == nil || time.Now().Add(wait).After(deadline) {
			return err
		}
		time.Sleep(wait)
	}
}

// release gives rows back unattempted and stops renewing them.
func (o *Outbox) release(ctx context.Context, issueID string, ids []string) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := o.opts.Store.ReleaseSends(ctx, issueID, o.owner, ids); err != nil {
		o.opts.Log.Warn("newsletter: give back claimed deliveries; they are taken over when their lease ends", "err", err)
	}
	o.forget(issueID, ids)
}

// forget stops renewing the leases of rows.
func (o *Outbox) forget(issueID string, ids []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, id := range ids {
		delete(o.held, heldKey{issueID, id})
	}
}
