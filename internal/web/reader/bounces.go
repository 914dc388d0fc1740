package reader

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/tamizdat/tamizdat/internal/newsletter"
)

// BounceSecretHeader carries the shared secret of bounce notices.
const BounceSecretHeader = "X-Bounce-Secret"

// bounces takes bounce and complaint notices from a mail service: a JSON
// object {"email": …, "message_id": …, "type": "permanent"|"transient"|
// "complaint"} (the address, the Message-ID or both) or an array of them,
// authenticated by the shared secret. Answers are JSON.
func (rd *Reader) bounces(w http.ResponseWriter, r *http.Request) {
	if rd.bounceSecret == "" {
		writeJSON(w, http.StatusNotFound, "bounce notices are not enabled on this site: set bounce-secret")
		return
	}
	got := r.Header.Get(BounceSecretHeader)
	if subtle.ConstantTimeCompare([]byte(got), []byte(rd.bounceSecret)) != 1 {
		writeJSON(w, http.StatusUnauthorized, "missing or wrong "+BounceSecretHeader+" header")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxForm))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, "the notice is too large: send at most 64 KiB at a time")
		return
	}
	var notices []newsletter.Notice
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '[' {
		err = json.Unmarshal(trimmed, &notices)
	} else {
		var n newsletter.Notice
		err = json.Unmarshal(trimmed, &n)
		notices = []newsletter.Notice{n}
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, `expected JSON: {"email": "…", "message_id": "…", "type": "permanent", "transient" or "complaint"} (the address, the Message-ID or both), or an array of them`)
		return
	}
	for _, n := range notices {
		if err := rd.news.HandleNotice(r.Context(), n); errors.Is(err, newsletter.ErrBadNotice) {
			writeJSON(w, http.StatusBadRequest, err.Error())
			return
		} else if err != nil {
			rd.log.Error("newsletter: bounce notice", "err", err)
			writeJSON(w, http.StatusInternalServerError, "the notice could not be stored; send it again later")
			return
		}
	}
	writeJSON(w, http.StatusOK, "")
}

// writeJSON answers {"ok": true} or {"error": problem}.
func writeJSON(w http.ResponseWriter, status int, problem string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if problem == "" {
		io.WriteString(w, `{"ok":true}`+"\n")
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"error": problem})
}
