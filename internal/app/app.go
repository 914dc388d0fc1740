// Package app is tamizdat's composition root: it opens the store, builds
// the web surfaces and background loops, and runs them until shutdown. It
// is the only package that imports all the others.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/apikeys"
	"github.com/tamizdat/tamizdat/internal/assets"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/demo"
	"github.com/tamizdat/tamizdat/internal/media"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/pagecache"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/reach"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web"
	"github.com/tamizdat/tamizdat/internal/web/api"
	"github.com/tamizdat/tamizdat/internal/web/reader"
	"github.com/tamizdat/tamizdat/internal/web/site"
	"github.com/tamizdat/tamizdat/internal/web/support"
)

// memoryHeadroom is the soft memory limit above the page cache's budget.
const memoryHeadroom = 64 << 20

// shutdownTimeout bounds a graceful shutdown: requests in flight, then the
// account emails they queued.
const shutdownTimeout = 10 * time.Second

// pollEvery is how often a server looks for content changed by another
// server sharing the database, and for scheduled articles that are due.
const pollEvery = time.Second

// Open opens and migrates the database named by cfg.DB; the store keeps
// the two-person rule of cfg.SecondApprovalOver.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.Store, error) {
	st, err := store.Open(ctx, cfg.DB, store.Options{Logger: log, SecondApprovalOver: cfg.SecondApprovalOver})
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// Serve runs the web server until ctx is cancelled, then shuts down
// gracefully. It reports the address it listens on to stdout.
func Serve(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	// Without a limit the garbage collector lets the heap grow to twice
	// what is live, so start-up work (the related-articles index) sets a
	// high-water mark the server never needs again. A soft limit of the
	// page cache's budget plus room for everything else keeps it near
	// what is used; GOMEMLIMIT, when set, wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(cfg.CacheBytes + memoryHeadroom)
	}
	st, err := Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := prepare(ctx, st, cfg, log); err != nil {
		return err
	}
	mails, err := newMailSetup(ctx, st, cfg, log)
	if err != nil {
		return err
	}
	defer mails.close()
	auditLog, closeAudit, err := OpenAudit(st, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		// After the server and its background work stop: what is queued
		// for the sink is written now.
		if err := closeAudit(); err != nil {
			log.Error("close the audit sink", "err", err)
		}
	}()
	handler, refresh, people, err := handler(ctx, st, cfg, mails, auditLog, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another server using that port? choose another with --addr)", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	url := "http://" + ln.Addr().String() + "/"
	log.Info("tamizdat is serving", "url", url, "db", st.Engine())
	fmt.Fprintf(stdout, "tamizdat is serving at %s\n", url)
	if err := printDesk(ctx, st, cfg, log, stdout); err != nil {
		return err
	}

	bg, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	go watch(bg, st, auditLog, refresh, log)
	go purgeSessions(bg, st, log)
	go newsletter.RunRetention(bg, st, log)
	go newsletter.RunAutoDrafts(bg, st, log)
	if err := runDonations(bg, st, cfg, mails, log); err != nil {
		return err
	}
	// Sends newsletter issues until Serve returns, then drains.
	defer newsletter.StartSending(bg, st, cfg,
		newsletter.Sending{Mail: mails.sender, From: mails.from, SiteURL: mails.siteURL}, log)()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	stopBackground()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	shutdownErr := srv.Shutdown(shutdownCtx)
	// The requests just finished may have queued account emails, such as a
	// password-reset link: hand them to the SMTP server before the mailer
	// closes, within the same bound.
	if err := people.WaitMail(shutdownCtx); err != nil {
		log.Error("shutting down with account emails unsent; their recipients must ask again", "err", err)
	}
	if shutdownErr != nil {
		return fmt.Errorf("shutdown: %w", shutdownErr)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// prepare gives a new database its settings, and demo content when asked.
func prepare(ctx context.Context, st *store.Store, cfg config.Config, log *slog.Logger) error {
	empty, err := st.IsEmpty(ctx)
	if err != nil {
		return err
	}
	if empty && cfg.Demo {
		if err := demo.Load(ctx, st, time.Now()); err != nil {
			return fmt.Errorf("load demo content: %w", err)
		}
		if err := loadDemoAccount(ctx, st, cfg, log); err != nil {
			return err
		}
		log.Info("loaded demo content into the empty database; start with --demo=false to begin with an empty site")
	}
	settings, err := st.Settings(ctx)
	if errors.Is(err, model.ErrNotFound) {
		// A new site: its settings and first appeal.
		settings = model.DefaultSettings("tamizdat")
		if err = st.SaveSettings(ctx, settings); err == nil {
			ap := model.DefaultAppeal(settings.SiteName)
			err = st.SaveAppeal(ctx, &ap)
		}
	}
	if err != nil {
		return err
	}
	_, err = st.SeedNewsletters(ctx, newsletter.DefaultNewsletters(settings))
	return err
}

// Handler builds the whole HTTP handler over st. refresh must be called
// with the store's content version whenever it changes.
func Handler(ctx context.Context, st *store.Store, cfg config.Config, log *slog.Logger) (http.Handler, func(context.Context, int64) error, error) {
	mails, err := newMailSetup(ctx, st, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	auditLog, closeAudit, err := OpenAudit(st, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	go func() {
		// Shutdown cancels ctx: what is queued for the sink is written then.
		<-ctx.Done()
		if err := closeAudit(); err != nil {
			log.Error("close the audit sink", "err", err)
		}
	}()
	h, refresh, _, err := handler(ctx, st, cfg, mails, auditLog, log)
	return h, refresh, err
}

// handler is Handler sending email as mails says and recording to auditLog.
// It also returns the desk's accounts service, whose emails a graceful
// shutdown waits for.
func handler(ctx context.Context, st *store.Store, cfg config.Config, mails mailSetup, auditLog *audit.Log,
	log *slog.Logger) (http.Handler, func(context.Context, int64) error, *accounts.Service, error) {
	set, err := assets.Load()
	if err != nil {
		return nil, nil, nil, err
	}
	uploads, err := NewMedia(st, cfg, log)
	if err != nil {
		return nil, nil, nil, err
	}
	s, err := site.New(site.Options{Store: st, Assets: set, Media: media.WithFiles(demo.Media, uploads), BaseURL: cfg.BaseURL, Log: log})
	if err != nil {
		return nil, nil, nil, err
	}
	editor := publishing.New(publishing.Options{Store: st, Audit: auditLog, Log: log})
	keys := apikeys.New(apikeys.Options{Store: st, Audit: auditLog})
	key, err := newsletter.LoadKey(cfg.SecretKeyFile, log)
	if err != nil {
		return nil, nil, nil, err
	}
	editions, err := newEditions(st, key, mails)
	if err != nil {
		return nil, nil, nil, err
	}
	people, err := newAccounts(ctx, st, cfg, auditLog, key, mails, log)
	if err != nil {
		return nil, nil, nil, err
	}
	// Without a sender, signups are refused, saying why.
	news, err := newsletter.New(newsletter.Options{Store: st, Key: key, Mail: mails.sender, From: mails.from,
		PolicyVersion: cfg.PrivacyPolicyVersion, SoftBounceLimit: cfg.SoftBounceLimit, Log: log})
	if err != nil {
		return nil, nil, nil, err
	}
	donations, err := newDonations(st, cfg, mails, log)
	if err != nil {
		return nil, nil, nil, err
	}
	desk, err := newDesk(ctx, st, cfg, auditLog, people, keys, set, uploads, editor, s, editions, news, donations, log)
	if err != nil {
		return nil, nil, nil, err
	}
	subscribers, err := reader.New(reader.Options{Store: st, Newsletters: news, Assets: set, BaseURL: cfg.BaseURL, BounceSecret: cfg.BounceSecret, Log: log})
	if err != nil {
		return nil, nil, nil, err
	}
	donationPages, err := support.New(support.Options{Store: st, Donate: donations, Assets: set, BaseURL: cfg.BaseURL, Log: log})
	if err != nil {
		return nil, nil, nil, err
	}
	hosts, err := reach.New(cfg.BaseURL, cfg.DeskURL())
	if err != nil {
		return nil, nil, nil, err
	}
	cache := pagecache.New(pagecache.Options{Budget: cfg.CacheBytes, MaxAge: cfg.CacheMaxAge})
	refresh := func(ctx context.Context, version int64) error {
		if err := s.Refresh(ctx); err != nil {
			return err
		}
		settings, err := st.Settings(ctx)
		if err != nil {
			return err
		}
		hosts.Update(settings)
		cache.SetVersion(version)
		return nil
	}
	v, err := st.ContentVersion(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := refresh(ctx, v); err != nil {
		return nil, nil, nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if err := st.Ping(r.Context()); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET "+reach.MirrorListPath, hosts.ServeMirrorList)
	mux.Handle("/admin", desk)
	mux.Handle("/admin/", desk)
	mux.Handle("GET /preview/{token}", s.PreviewHandler(editor.Preview)) // draft previews: never cached
	// The JSON APIs: the Admin API answers only on the desk's host.
	deskURL, err := accounts.ParseAdminURL(cfg.DeskURL())
	if err != nil {
		return nil, nil, nil, err
	}
	mux.Handle("/api/", api.New(api.Options{Store: st, Audit: auditLog, Publishing: editor, AdminHost: deskURL.Host, Log: log,
		Keys: keys}))
	newsletterPages := subscribers.Routes()
	mux.Handle("/newsletter", newsletterPages)
	mux.Handle("/newsletter/", newsletterPages)
	supportPages := donationPages.Routes(cache.Wrap)
	mux.Handle("/support", supportPages)
	mux.Handle("/support/", supportPages)
	mux.Handle("/", s.Routes(support.HideAppeal(cache.Wrap, time.Now)))
	proxies, err := web.ParseTrustedProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("trusted-proxies: %w", err)
	}
	clients := web.ClientAddresses(proxies, cfg.ProxyHeader, hosts.Middleware(mux))
	return web.SecurityHeaders(web.AccessLog(log, clients)), refresh, people, nil
}

// watch publishes scheduled articles when they fall due, recording each in
// the audit log as the system's doing, and refreshes the site when the
// content version moves, whichever server made the change.
func watch(ctx context.Context, st *store.Store, auditLog *audit.Log, refresh func(context.Context, int64) error, log *slog.Logger) {
	editor := publishing.New(publishing.Options{Store: st, Audit: auditLog, Log: log})
	last, _ := st.ContentVersion(ctx)
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := editor.PublishDue(ctx); err != nil {
			log.Warn("publish scheduled articles", "err", err)
		} else if n > 0 {
			log.Info("published scheduled articles", "count", n)
		}
		v, err := st.ContentVersion(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("read content version; pages stay as they are until the database answers", "err", err)
			}
			continue
		}
		if v == last {
			continue
		}
		if err := refresh(ctx, v); err != nil {
			log.Warn("refresh site after a content change", "err", err)
			continue
		}
		last = v
	}
}
