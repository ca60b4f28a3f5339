package slackbot

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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

// verified reads the raw body (bounded: 413 beyond max), answers Slack's
// ssl_check, verifies the signature before anything parses the body (401
// otherwise), refuses a replay of a request already handled, and hands the
// body to next with r.Body restored, since slack-go's parsers call ParseForm.
func (b *Bot) verified(max int64, next func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	secret := []byte(b.cfg.SigningSecret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				b.metrics.request(r.URL.Path, "too_large")
				b.rejected(r, reasonTooLarge)
				http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if sslCheck(r, body) {
			// Slack checks the certificate of a slash command's URL with an
			// unsigned ssl_check=1 request; Bolt answers 200 and does
			// nothing else, and so does okrbot.
			b.metrics.request(r.URL.Path, "ssl_check")
			w.WriteHeader(http.StatusOK)
			return
		}
		if err := verifySignature(secret, r.Header, body, b.now()); err != nil {
			b.metrics.request(r.URL.Path, "unauthorized")
			b.rejected(r, reasonOf(err))
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if replay, err := b.replayed(r); err != nil {
			b.log.Error("slack request dedupe", "path", r.URL.Path, "err", err)
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		} else if replay {
			// Answered as if handled, so that a replay learns nothing; the
			// first delivery had the effect.
			b.metrics.request(r.URL.Path, "replay")
			b.rejected(r, reasonReplay)
			w.WriteHeader(http.StatusOK)
			return
		}
		b.metrics.request(r.URL.Path, "verified")
		r.Body = io.NopCloser(bytes.NewReader(body))
		sw := &statusWriter{ResponseWriter: w}
		next(sw, r, body)
		if sw.status == http.StatusServiceUnavailable {
			// Not handled (okrbot could not admit the workspace for now):
			// the same request sent again is a retry, not a replay.
			b.store.Forget(context.WithoutCancel(r.Context()), replayKey(r))
		}
	})
}

// statusWriter notes the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// replayKey is the key a verified request is remembered by.
func replayKey(r *http.Request) string {
	return "slack/request/" + r.Header.Get("X-Slack-Request-Timestamp") + "/" + r.Header.Get("X-Slack-Signature")
}

// replayed reports whether a verified request's (timestamp, signature) was
// seen before: the same signed bytes sent again. The key is kept in the
// store, so a replay to another replica is caught too. Retries Slack marks
// with X-Slack-Retry-Num (events only) are not replays: they keep their
// handling, once per event id.
//
// A timestamp is accepted up to maxSkew either side of now, so a key must
// outlive its request by twice that; the store keeps remembered keys for a
// week (the scheduler's clean-up), so none expires early.
func (b *Bot) replayed(r *http.Request) (bool, error) {
	if r.URL.Path == PathEvents && r.Header.Get("X-Slack-Retry-Num") != "" {
		return false, nil
	}
	first, err := b.store.Remember(r.Context(), replayKey(r))
	if err != nil {
		return false, err
	}
	return !first, nil
}

// sslCheck reports whether a request is Slack's certificate check: a form
// with ssl_check=1 (and no command).
func sslCheck(r *http.Request, body []byte) bool {
	if !bytes.Contains(body, []byte("ssl_check=")) {
		return false
	}
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	if !strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded") {
		return false
	}
	v, err := url.ParseQuery(string(body))
	return err == nil && v.Get("ssl_check") == "1" && v.Get("command") == ""
}
