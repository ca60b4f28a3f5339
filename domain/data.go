package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// APITokenPrefix starts every API token, so that a token pasted where it
// should not be (a log, a repository) is recognisable and can be searched for.
const APITokenPrefix = "okrbot_"

// MaxTokenName is the longest name an API token may have.
const MaxTokenName = 40

var tokenNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$`)

// APIToken is a bearer token of the HTTP API. Only its SHA-256 hash is
// stored: the secret is shown once, when it is created. A token belongs to
// one workspace and sees nothing else.
type APIToken struct {
	ID          string // the hash, hex; also the lookup key
	WorkspaceID string
	Name        string // unique among the workspace's live tokens
	Hint        string // the first characters of the secret, to tell tokens apart
	CreatedBy   string
	CreatedAt   time.Time
	LastUsedAt  time.Time
	RevokedAt   time.Time
}

// Revoked reports whether the token no longer opens anything.
func (t APIToken) Revoked() bool { return !t.RevokedAt.IsZero() }

// HashToken returns the stored form of a token's secret. Tokens carry 256
// random bits, so a plain SHA-256 is enough: there is nothing to guess that
// a slow hash would protect.
func HashToken(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// ValidateTokenName checks an API token's name: letters, digits, '-'
// and '_', up to 40 characters ("grafana", "nightly-etl").
func ValidateTokenName(s string) error {
	if !tokenNameRE.MatchString(s) {
		return Invalid("/okr settings api-token create nightly-etl", "%q is not a token name; use letters, digits, dashes and underscores (up to %d).", truncate(s, MaxTokenName), MaxTokenName)
	}
	return nil
}

// SourceKind is where a KPI's values come from when okrbot fetches them.
type SourceKind string

// Source kinds: a URL answering JSON (or a bare number), or a Prometheus
// server's instant query.
const (
	SourceJSON       SourceKind = "json"
	SourcePrometheus SourceKind = "prometheus"
)

// Limits on sources.
const (
	MaxSourceURL   = 2000
	MaxSourceQuery = 2000
	MaxSourcePath  = 200
)

// KPISource makes okrbot fetch a KPI's value itself, once per cadence.
type KPISource struct {
	Kind  SourceKind
	URL   string // the JSON URL, or the Prometheus server's base URL
	Path  string // json: where the number is in the answer ("data.leads", "items[0].value")
	Query string // prometheus: the PromQL expression
	SetBy string
	SetAt time.Time
	State SourceState
}

// SourceState is what happened when okrbot last fetched a source.
type SourceState struct {
	// Period is the cadence period ("2026-11-20", "2026-W47", "2026-11") of
	// the last successful fetch: one value per period.
	Period    string
	LastFetch time.Time // last attempt, successful or not
	LastValue *float64
	LastError string // "" after a success
	// FailingSince is the first failure of the current run of failures; a
	// run of failures alerts the owner once.
	FailingSince time.Time
	Failures     int
	NextAt       time.Time // when to try again after a failure
}

// Failing reports whether the last fetch failed.
func (s SourceState) Failing() bool { return s.LastError != "" }

// Validate checks a source's definition: an absolute http or https URL
// with a host, and a path or query of the right shape. Where the URL points
// (loopback, private networks) is checked when it is fetched, because that
// depends on what its name resolves to at that moment.
func (s KPISource) Validate() error {
	ex := "/kpi source web-leads https://stats.example.com/leads.json json data.today"
	if s.Kind == SourcePrometheus {
		ex = `/kpi source error-rate prometheus https://prometheus.example.com sum(rate(http_errors_total[1d]))`
	}
	if len(s.URL) > MaxSourceURL {
		return Invalid(ex, "The URL is %d characters long; the limit is %d.", len(s.URL), MaxSourceURL)
	}
	if err := ValidateSourceURL(s.URL); err != nil {
		return err
	}
	switch s.Kind {
	case SourceJSON:
		if s.Query != "" {
			return Invalid(ex, "A JSON source takes a path, not a query.")
		}
		if _, err := ParseJSONPath(s.Path); err != nil {
			return err
		}
	case SourcePrometheus:
		if strings.TrimSpace(s.Query) == "" {
			return Invalid(ex, "Give the PromQL query after the server's URL.")
		}
		if len(s.Query) > MaxSourceQuery {
			return Invalid(ex, "The query is %d characters long; the limit is %d.", len(s.Query), MaxSourceQuery)
		}
		if err := ValidateText("query", s.Query, MaxSourceQuery, true); err != nil {
			return err
		}
	default:
		return Invalid(ex, "%q is not a kind of source; use a URL with json, or prometheus.", truncate(string(s.Kind), 20))
	}
	return nil
}

// ValidateSourceURL checks that s is an absolute http or https URL with a
// host and without credentials (which would be stored and shown in clear).
func ValidateSourceURL(s string) error {
	const ex = "/kpi source web-leads https://stats.example.com/leads.json"
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Hostname() == "" {
		return Invalid(ex, "%q is not a URL; give one starting with https://.", truncate(s, 60))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Invalid(ex, "Only http and https URLs can be fetched, not %s.", truncate(u.Scheme, 20))
	}
	if u.User != nil {
		return Invalid(ex, "Leave user names and passwords out of the URL: okrbot would store and show them.")
	}
	if u.Fragment != "" {
		return Invalid(ex, "Leave the #fragment out of the URL; give the part of the answer to read with json <path>.")
	}
	return nil
}

// PathStep is one step of a JSON path: a key of an object or an index of an
// array.
type PathStep struct {
	Key   string
	Index int
	IsKey bool
}

var pathKeyRE = regexp.MustCompile(`^[A-Za-z0-9_\-$@]+$`)

// ParseJSONPath reads a path into a JSON document: dot-separated keys and
// [n] indexes, optionally starting with "$." ("data.today",
// "$.items[0].value", "result.0.count"). An empty path means the document is
// the number itself.
func ParseJSONPath(p string) ([]PathStep, error) {
	const ex = "/kpi source web-leads https://stats.example.com/leads.json json data.items[0].count"
	bad := func() ([]PathStep, error) {
		return nil, Invalid(ex, "%q is not a JSON path; use keys and indexes like data.items[0].count.", truncate(p, 60))
	}
	if len(p) > MaxSourcePath {
		return nil, Invalid(ex, "The path is %d characters long; the limit is %d.", len(p), MaxSourcePath)
	}
	p = strings.TrimPrefix(strings.TrimPrefix(p, "$"), ".")
	if p == "" {
		return nil, nil
	}
	var steps []PathStep
	for _, part := range strings.Split(p, ".") {
		key, rest, bracket := strings.Cut(part, "[")
		if key == "" && !bracket {
			return bad()
		}
		if key != "" {
			if n, err := strconv.Atoi(key); err == nil && n >= 0 && !bracket && key == strconv.Itoa(n) {
				steps = append(steps, PathStep{Index: n})
				continue
			}
			if !pathKeyRE.MatchString(key) {
				return bad()
			}
			steps = append(steps, PathStep{Key: key, IsKey: true})
		}
		if !bracket {
			continue
		}
		for _, ix := range strings.Split("["+rest, "[")[1:] {
			num, ok := strings.CutSuffix(ix, "]")
			n, err := strconv.Atoi(num)
			if !ok || err != nil || n < 0 || num != strconv.Itoa(n) {
				return bad()
			}
			steps = append(steps, PathStep{Index: n})
		}
	}
	return steps, nil
}

// CadencePeriod names the cadence period that t falls in, in loc: the day
// ("2026-11-20"), the ISO week ("2026-W47") or the month ("2026-11"). A
// source is fetched once per period.
func CadencePeriod(c Cadence, t time.Time, loc *time.Location) string {
	t = t.In(loc)
	switch c {
	case Daily:
		return t.Format(time.DateOnly)
	case Monthly:
		return t.Format("2006-01")
	}
	y, w := t.ISOWeek()
	return strconv.Itoa(y) + "-W" + twoDigits(w)
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// IdempotencyRecord remembers a request of the HTTP API sent with an
// Idempotency-Key, so that the same request sent again has one effect and
// gets the first answer again. Keys are per workspace.
type IdempotencyRecord struct {
	ID          string // workspace/key
	WorkspaceID string
	Key         string
	Fingerprint string // hash of method, path and body
	Done        bool
	Status      int
	Body        []byte
	CreatedAt   time.Time // when the request began; renewed by a take-over
}

// IdempotencyID is the key of a record.
func IdempotencyID(workspace, key string) string { return workspace + "/" + key }

// ImportBatch is everything an import writes, checked and resolved: every
// person is a platform id, every reference points at something in the
// batch or in the store, and every ref is given (an import keeps the refs
// of its files).
type ImportBatch struct {
	// Workspace is set when the import creates the workspace.
	Workspace *Workspace
	// People are stored with their name, email, time zone and away state.
	People []User
	// KPIs are new KPIs, stored with their creation time, alerted health
	// and source as given; KPIValues are values of KPIs of the batch or of
	// the store.
	KPIs      []KPI
	KPIValues []KPIValue
	// Objectives are new objectives with their key results and
	// initiatives, with their refs and times as given.
	Objectives []Objective
	// KeyResults are new key results of objectives the store has already,
	// by objective ref, appended after the ones it has.
	KeyResults map[string][]KeyResult
	// CheckIns are stored as history: they do not move their key results,
	// which carry their current state themselves.
	CheckIns  []CheckIn
	WeekNotes []WeekNote
}

// Size counts the records of the batch.
func (b ImportBatch) Size() int {
	n := len(b.People) + len(b.KPIs) + len(b.KPIValues) + len(b.Objectives) + len(b.CheckIns) + len(b.WeekNotes)
	for _, o := range b.Objectives {
		n += len(o.KeyResults)
	}
	for _, krs := range b.KeyResults {
		n += len(krs)
	}
	if b.Workspace != nil {
		n++
	}
	return n
}
