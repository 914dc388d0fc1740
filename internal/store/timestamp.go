package store

import (
	"fmt"
	"time"
)

// sqliteTime is how SQLite keeps timestamps: fixed-width UTC text, so that
// comparing the text compares the times. PostgreSQL parses it as well.
const sqliteTime = "2006-01-02T15:04:05.000000000Z"

// normTime is t as the store keeps it: UTC, truncated to microseconds (what
// PostgreSQL's TIMESTAMPTZ holds, applied on SQLite too so that both engines
// give back the same value). The zero time stays zero.
func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.Truncate(time.Microsecond).UTC()
}

// timeArg converts t into a query argument: NULL for the zero time, else
// fixed-width UTC text that both engines compare correctly.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return normTime(t).Format(sqliteTime)
}

// scanTime returns a destination for rows.Scan that stores a timestamp
// column into *t: a time.Time from pgx, text from SQLite, NULL as the zero
// time.
func scanTime(t *time.Time) *timeDest { return &timeDest{t} }

type timeDest struct{ t *time.Time }

func (d *timeDest) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.t = time.Time{}
	case time.Time:
		*d.t = v.UTC()
	case string:
		return d.parse(v)
	case []byte:
		return d.parse(string(v))
	default:
		return fmt.Errorf("store: cannot scan %T into a time", src)
	}
	return nil
}

func (d *timeDest) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("store: stored time %q: %w", s, err)
	}
	*d.t = t.UTC()
	return nil
}

// asOfArg is the argument for "published as of asOf"; the zero time sets no
// limit.
func asOfArg(asOf time.Time) any {
	if asOf.IsZero() {
		return "9999-12-31T23:59:59.999999000Z"
	}
	return timeArg(asOf)
}
