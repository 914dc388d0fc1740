package app

import (
	"log/slog"

	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/store"
)

// OpenAudit returns the audit log kept in st and, when cfg names an
// audit-sink, copying every entry there too (S7); close flushes the copy
// and closes the sink.
func OpenAudit(st *store.Store, cfg config.Config, log *slog.Logger) (l *audit.Log, close func() error, err error) {
	l = audit.New(st)
	if cfg.AuditSink == "" {
		return l, func() error { return nil }, nil
	}
	sink, err := audit.OpenSink(cfg.AuditSink)
	if err != nil {
		return nil, nil, err
	}
	stream := audit.NewStream(sink, log)
	return l.WithStream(stream), stream.Close, nil
}
