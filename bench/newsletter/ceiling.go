package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tmail "github.com/tamizdat/tamizdat/internal/mail"
)

// sendCeiling sends n messages of about size bytes to the sink from
// workers goroutines through the same SMTP client, with no database and no
// rendering: the most this machine's SMTP path allows, for comparison.
func sendCeiling(smtpAddr string, n, size, workers int) error {
	mailer, err := tmail.NewSMTP(tmail.SMTPConfig{Servers: []tmail.Server{{Addr: smtpAddr, TLS: tmail.TLSNone}}, Conns: workers})
	if err != nil {
		return err
	}
	defer mailer.Close()
	// Half the size in each part; quoted-printable adds little to ASCII.
	const phrase = "All the news that fits, and some that does not. "
	body := strings.Repeat(phrase, size/2/len(phrase)+1)[:size/2]
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		errs = make([]error, workers)
	)
	for w := range workers {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				m := &tmail.Message{
					From: "Bench Gazette <news@bench.example>", To: fmt.Sprintf("reader%06d@example.net", i),
					Subject: "Ceiling", Text: body, HTML: body, MessageID: fmt.Sprintf("ceiling-%d@bench.example", i),
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				err := mailer.Send(ctx, m)
				cancel()
				if err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
