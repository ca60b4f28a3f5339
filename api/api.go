// Package api is okrbot's HTTP API, version 1, under /api/v1: JSON in and
// out, bearer tokens that each belong to one workspace, JSON errors with a
// code and a message, bounded bodies, a request rate per token, and
// Idempotency-Key for the requests that write. Its OpenAPI 3.1 document is
// served at /api/v1/openapi.json.
//
// It is a front end like the chat adapters: every request becomes a call of
// the conversations (Service), which reads and records through the same
// code as the chat commands. It never reaches a store directly, except to
// remember idempotency keys through the small interface it declares.
package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

// Prefix is where the API is served.
const Prefix = "/api/v1"

// Service is what the API asks of the conversations
// (*conversations.Service).
type Service interface {
	Authenticate(ctx context.Context, secret string) (conversations.Caller, bool, error)
	RecordKPIValues(ctx context.Context, c conversations.Caller, slug string, in []conversations.ValueInput) (conversations.Recorded, error)
	KPIStates(ctx context.Context, c conversations.Caller) ([]conversations.KPIState, error)
	KPIState(ctx context.Context, c conversations.Caller, slug string, limit int) (conversations.KPIState, error)
	ObjectiveStates(ctx context.Context, c conversations.Caller, q conversations.ObjectiveQuery) ([]conversations.ObjectiveState, error)
	RecordCheckIn(ctx context.Context, c conversations.Caller, in conversations.CheckInInput) (conversations.CheckedIn, error)
}

// Idempotency remembers requests sent with an Idempotency-Key.
type Idempotency interface {
	// BeginIdempotent stores rec unless a record with its ID exists. It
	// returns the record now stored and whether it is rec (the caller goes
	// ahead). A record that is not Done and began before staleBefore was
	// left by a request that died: it is taken over (replaced by rec).
	BeginIdempotent(ctx context.Context, rec domain.IdempotencyRecord, staleBefore time.Time) (domain.IdempotencyRecord, bool, error)
	// FinishIdempotent stores the answer of the request that began rec,
	// unless another took it over since.
	FinishIdempotent(ctx context.Context, rec domain.IdempotencyRecord, status int, body []byte) error
	// AbandonIdempotent forgets a request that failed on okrbot's side, so
	// that it can be sent again.
	AbandonIdempotent(ctx context.Context, rec domain.IdempotencyRecord) error
}

// Defaults of Options.
const (
	DefaultRate    = 10 // requests per second per token
	DefaultBurst   = 40
	DefaultMaxBody = 1 << 20
	// staleAfter is when a request that began and never finished is taken to
	// have died. Requests end well before it (the server's write timeout).
	staleAfter = 2 * time.Minute
)

// Options tune the API. Zero values give the defaults.
type Options struct {
	Now func() time.Time
	Log *slog.Logger
	// Rate and Burst bound each token's requests: Rate a second on
	// average, Burst at once.
	Rate  float64
	Burst int
	// MaxBody bounds a request's body (413 beyond); 1 MiB.
	MaxBody int64
}

// API serves /api/v1.
type API struct {
	svc     Service
	idem    Idempotency
	opt     Options
	limiter *limiter
	mux     *http.ServeMux
}

// Route is one operation of the API.
type Route struct {
	Method, Path, Operation string
	auth                    bool
	handle                  func(a *API, r *http.Request, c conversations.Caller) (int, any)
	writes                  bool
}

// Routes lists the API's operations; the OpenAPI document names the same.
var Routes = []Route{
	{Method: "GET", Path: "/api/v1/openapi.json", Operation: "getOpenAPI"},
	{Method: "GET", Path: "/api/v1/kpis", Operation: "listKPIs", auth: true, handle: (*API).listKPIs},
	{Method: "GET", Path: "/api/v1/kpis/{slug}", Operation: "getKPI", auth: true, handle: (*API).getKPI},
	{Method: "POST", Path: "/api/v1/kpis/{slug}/values", Operation: "recordKPIValues", auth: true, handle: (*API).recordValues, writes: true},
	{Method: "GET", Path: "/api/v1/objectives", Operation: "listObjectives", auth: true, handle: (*API).listObjectives},
	{Method: "POST", Path: "/api/v1/checkins", Operation: "recordCheckIn", auth: true, handle: (*API).recordCheckIn, writes: true},
}

//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the API's OpenAPI 3.1 document.
func OpenAPI() []byte { return bytes.Clone(openAPI) }

// New returns the API over the conversations. idem keeps idempotency keys.
func New(svc Service, idem Idempotency, opt Options) *API {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Rate <= 0 {
		opt.Rate = DefaultRate
	}
	if opt.Burst <= 0 {
		opt.Burst = DefaultBurst
	}
	if opt.MaxBody <= 0 {
		opt.MaxBody = DefaultMaxBody
	}
	a := &API{svc: svc, idem: idem, opt: opt, limiter: newLimiter(opt.Rate, opt.Burst, opt.Now), mux: http.NewServeMux()}
	byPath := map[string][]Route{}
	var paths []string
	for _, rt := range Routes {
		if byPath[rt.Path] == nil {
			paths = append(paths, rt.Path)
		}
		byPath[rt.Path] = append(byPath[rt.Path], rt)
	}
	for _, p := range paths {
		a.mux.Handle(p, a.path(byPath[p]))
	}
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "There is no "+clip(r.URL.Path, 80)+" in the API; see /api/v1/openapi.json.", "")
	})
	return a
}

// ServeHTTP serves every path under /api/v1.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			a.opt.Log.Error("api: panic", "path", r.URL.Path, "panic", fmt.Sprint(v))
			writeError(w, http.StatusInternalServerError, domain.EINTERNAL, "Internal error.", "")
		}
	}()
	w.Header().Set("Cache-Control", "no-store")
	a.mux.ServeHTTP(w, r)
}

// path serves one path: the method decides the route.
func (a *API) path(routes []Route) http.Handler {
	var allow []string
	for _, rt := range routes {
		allow = append(allow, rt.Method)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, rt := range routes {
			if r.Method == rt.Method || r.Method == http.MethodHead && rt.Method == http.MethodGet {
				a.serve(w, r, rt)
				return
			}
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed here; use "+strings.Join(allow, " or ")+".", "")
	})
}

func (a *API) serve(w http.ResponseWriter, r *http.Request, rt Route) {
	if !rt.auth {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPI)
		return
	}
	c, ok := a.authenticate(w, r)
	if !ok {
		return
	}
	if wait, ok := a.limiter.take(c.TokenID); !ok {
		secs := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		writeError(w, http.StatusTooManyRequests, "rate_limited", fmt.Sprintf("Too many requests with this token; at most %s a second on average. Try again in %d s.", strconv.FormatFloat(a.opt.Rate, 'f', -1, 64), max(secs, 1)), "")
		return
	}
	var body []byte
	if rt.writes {
		if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
			writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Send JSON (Content-Type: application/json).", "")
			return
		}
		var err error
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, a.opt.MaxBody))
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("The body is larger than %d KiB; send fewer values at once.", a.opt.MaxBody>>10), "")
			return
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, domain.EINVALID, "The body could not be read.", "")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" || !rt.writes {
		status, v := rt.handle(a, r, c)
		a.write(w, r, c, status, v)
		return
	}
	a.idempotent(w, r, rt, c, key, body)
}

// authenticate reads the bearer token; it answers 401 itself when there is
// none that opens this API.
func (a *API) authenticate(w http.ResponseWriter, r *http.Request) (conversations.Caller, bool) {
	h := r.Header.Get("Authorization")
	scheme, secret, _ := strings.Cut(h, " ")
	secret = strings.TrimSpace(secret)
	unauthorized := func(msg string) (conversations.Caller, bool) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="okrbot"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", msg, "Authorization: Bearer okrbot_…")
		return conversations.Caller{}, false
	}
	if h == "" {
		return unauthorized("Send an API token: Authorization: Bearer <token>. An admin creates one with /okr settings api-token create <name>.")
	}
	if !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return unauthorized("The Authorization header must be Bearer <token>.")
	}
	c, ok, err := a.svc.Authenticate(r.Context(), secret)
	if err != nil {
		a.opt.Log.ErrorContext(r.Context(), "api: authenticate", "err", err)
		writeError(w, http.StatusServiceUnavailable, domain.EBUSY, "okrbot cannot check tokens right now; try again in a moment.", "")
		return conversations.Caller{}, false
	}
	if !ok {
		return unauthorized("This token is not valid: unknown, mistyped or revoked.")
	}
	return c, true
}

// idempotent runs a writing request once per key: a retry with the same
// key and body gets the first answer again (Idempotent-Replayed: true),
// without doing anything; the same key with another body is refused.
func (a *API) idempotent(w http.ResponseWriter, r *http.Request, rt Route, c conversations.Caller, key string, body []byte) {
	if len(key) > 200 || strings.ContainsFunc(key, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		writeError(w, http.StatusBadRequest, domain.EINVALID, "An Idempotency-Key is 1 to 200 visible ASCII characters, such as a UUID.", "Idempotency-Key: 9b2c6f0e-8d4a-4f1e-a3c7-2f5b1d9e7a10")
		return
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", r.Method, r.URL.Path)
	h.Write(body)
	now := a.opt.Now()
	rec := domain.IdempotencyRecord{ID: domain.IdempotencyID(c.Workspace, key), WorkspaceID: c.Workspace, Key: key,
		Fingerprint: hex.EncodeToString(h.Sum(nil)), CreatedAt: now}
	got, fresh, err := a.idem.BeginIdempotent(r.Context(), rec, now.Add(-staleAfter))
	if err != nil {
		a.write(w, r, c, statusOf(err), err)
		return
	}
	if !fresh {
		switch {
		case !got.Done:
			w.Header().Set("Retry-After", "2")
			writeError(w, http.StatusConflict, "in_progress", "A request with this Idempotency-Key is still being processed; try again in a moment.", "")
		case got.Fingerprint != rec.Fingerprint:
			writeError(w, http.StatusUnprocessableEntity, "idempotency_key_reused", "This Idempotency-Key was used for another request; use a new key for a new request.", "")
		default:
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(got.Status)
			w.Write(got.Body)
		}
		return
	}
	// The values a batch records carry keys made from the request, so that
	// a batch taken over after its first run died records nothing twice.
	// The fingerprint is in it: a key reused for another body (after its
	// record was cleaned up) makes other values.
	kh := sha256.Sum256([]byte(key + "\n" + rec.Fingerprint))
	r = r.WithContext(context.WithValue(r.Context(), valueKeyCtx{}, "api:"+hex.EncodeToString(kh[:12])))
	status, v := rt.handle(a, r, c)
	out, status := a.encode(r, c, status, v)
	ctx := context.WithoutCancel(r.Context())
	if status >= 500 {
		// Nothing is kept of a failure on okrbot's side: the retry runs.
		if err := a.idem.AbandonIdempotent(ctx, got); err != nil {
			a.opt.Log.WarnContext(ctx, "api: idempotency key not released", "err", err)
		}
	} else if err := a.idem.FinishIdempotent(ctx, got, status, out); err != nil {
		a.opt.Log.ErrorContext(ctx, "api: idempotent answer not stored", "err", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(out)
}

// valueKeyCtx holds, in an idempotent request's context, the prefix of
// the keys of the values it records.
type valueKeyCtx struct{}

// valueKey is the key of the i-th value an idempotent request records, ""
// for a request without an Idempotency-Key.
func valueKey(r *http.Request, i int) string {
	p, _ := r.Context().Value(valueKeyCtx{}).(string)
	if p == "" {
		return ""
	}
	return p + "#" + strconv.Itoa(i)
}

// write answers with v as JSON (an error when v is one).
func (a *API) write(w http.ResponseWriter, r *http.Request, c conversations.Caller, status int, v any) {
	out, status := a.encode(r, c, status, v)
	// A busy store clears in moments; a store that cannot save (its file is
	// gone) needs an operator, so no Retry-After promises otherwise.
	if err, ok := v.(error); status == http.StatusServiceUnavailable && !(ok && domain.ErrorCode(err) == domain.EUNAVAILABLE) {
		w.Header().Set("Retry-After", "5")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(out)
}

func (a *API) encode(r *http.Request, c conversations.Caller, status int, v any) ([]byte, int) {
	if err, ok := v.(error); ok {
		status = statusOf(err)
		code, msg, ex := domain.ErrorCode(err), domain.ErrorMessage(err), domain.ErrorExample(err)
		if code == domain.EINTERNAL {
			a.opt.Log.ErrorContext(r.Context(), "api: internal error", "path", r.URL.Path, "workspace", c.Workspace, "token", c.TokenName, "err", err)
		}
		if code == domain.EBUSY {
			msg = "okrbot is busy right now; nothing was changed. Try again in a moment."
		}
		v = errorBody{Error: errorDetail{Code: code, Message: msg, Example: ex}}
	}
	out, err := json.Marshal(v)
	if err != nil {
		a.opt.Log.ErrorContext(r.Context(), "api: encode", "err", err)
		return []byte(`{"error":{"code":"internal","message":"Internal error."}}`), http.StatusInternalServerError
	}
	return append(out, '\n'), status
}

// statusOf maps an error's code to its HTTP status.
func statusOf(err error) int {
	switch domain.ErrorCode(err) {
	case domain.EINVALID, domain.EAMBIGUOUS:
		return http.StatusBadRequest
	case domain.ENOTFOUND:
		return http.StatusNotFound
	case domain.EFORBIDDEN:
		return http.StatusForbidden
	case domain.ECONFLICT:
		return http.StatusConflict
	case domain.EBUSY, domain.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Example string `json:"example,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, msg, example string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	out, _ := json.Marshal(errorBody{Error: errorDetail{Code: code, Message: msg, Example: example}})
	w.Write(append(out, '\n'))
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
