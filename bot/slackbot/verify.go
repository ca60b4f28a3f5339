package slackbot

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Request body bounds per endpoint. Commands and events are small; a
// view_submission carries the whole modal (up to 100 blocks) URL-encoded.
const (
	maxCommandBody     = 64 << 10
	maxEventBody       = 256 << 10
	maxInteractionBody = 1 << 20
)

// maxSkew is how far a request's timestamp may be from now, either way.
const maxSkew = 5 * time.Minute

// Reasons a request fails verification. They are logged; the caller only
// ever sees a generic 401.
var (
	errMissingHeaders = errors.New("missing signature headers")
	errBadTimestamp   = errors.New("timestamp is not a number")
	errStale          = errors.New("timestamp is more than 5 minutes from now")
	errBadSignature   = errors.New("signature does not match")
)

// verifySignature checks Slack's v0 request signature: HMAC-SHA256 with the
// signing secret over "v0:<timestamp>:<body>", compared in constant time,
// with the timestamp within five minutes of now (old or ahead). Neither the
// expected nor the computed signature ever leaves this function.
func verifySignature(secret []byte, h http.Header, body []byte, now time.Time) error {
	ts := h.Get("X-Slack-Request-Timestamp")
	sig := h.Get("X-Slack-Signature")
	if ts == "" || sig == "" {
		return errMissingHeaders
	}
	if len(ts) > 12 {
		return errBadTimestamp
	}
	for _, c := range ts {
		if c < '0' || c > '9' {
			return errBadTimestamp
		}
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errBadTimestamp
	}
	if d := now.Sub(time.Unix(n, 0)); d > maxSkew || d < -maxSkew {
		return errStale
	}
	const prefix = "v0="
	if len(sig) != len(prefix)+2*sha256.Size || sig[:len(prefix)] != prefix {
		return errBadSignature
	}
	got, err := hex.DecodeString(sig[len(prefix):])
	if err != nil {
		return errBadSignature
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), got) {
		return errBadSignature
	}
	return nil
}

// verified reads the raw body (bounded: 413 beyond max), verifies its
// signature before anything parses it (401 otherwise), and hands the body to
// next with r.Body restored, since slack-go's parsers call ParseForm.
func (b *Bot) verified(max int64, next func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	secret := []byte(b.cfg.SigningSecret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				b.metrics.request(r.URL.Path, "too_large")
				b.log.Warn("slack request rejected", "path", r.URL.Path, "reason", "body too large", "remote", r.RemoteAddr)
				http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if err := verifySignature(secret, r.Header, body, b.now()); err != nil {
			b.metrics.request(r.URL.Path, "unauthorized")
			b.log.Warn("slack request rejected", "path", r.URL.Path, "reason", err.Error(), "remote", r.RemoteAddr)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		b.metrics.request(r.URL.Path, "verified")
		r.Body = io.NopCloser(bytes.NewReader(body))
		next(w, r, body)
	})
}
