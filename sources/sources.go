// Package sources fetches KPI values from where they are measured: a URL
// answering JSON (or a bare number), or a Prometheus server's instant query.
//
// Fetching a URL a person typed in chat is a server-side request on their
// behalf, so the fetcher refuses what would let a chat user look inside the
// network okrbot runs in: only http and https, no credentials in URLs, no
// proxy from the environment, and no connection to a loopback, link-local,
// private or otherwise special address unless the operator allows that
// network (OKRBOT_SOURCE_ALLOW). The check is made on the address actually
// dialled, after name resolution and on every redirect, so a name that
// resolves to an internal address (or changes what it resolves to) is
// refused too. Answers are bounded in time and size.
package sources

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// Defaults of Options.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultMaxBytes = 1 << 20
	maxRedirects    = 3
)

// Options tune a Fetcher. Zero values give the defaults.
type Options struct {
	// Timeout bounds one fetch, from dialling to the last byte; 10 s.
	Timeout time.Duration
	// MaxBytes bounds an answer's body; 1 MiB.
	MaxBytes int64
	// Allow lists networks that may be fetched although they are loopback,
	// private or link-local (an in-cluster Prometheus at 10.0.0.0/8). Public
	// addresses are always allowed.
	Allow []netip.Prefix
	// UserAgent is sent with every request.
	UserAgent string
}

// Fetcher fetches sources. It is safe for concurrent use.
type Fetcher struct {
	opt    Options
	client *http.Client
}

// New returns a Fetcher.
func New(opt Options) *Fetcher {
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = DefaultMaxBytes
	}
	if opt.UserAgent == "" {
		opt.UserAgent = "okrbot-kpi-source"
	}
	f := &Fetcher{opt: opt}
	dialer := &net.Dialer{Timeout: min(5*time.Second, opt.Timeout), Control: f.control}
	tr := &http.Transport{
		// No proxy: the address check must see the real destination.
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   min(5*time.Second, opt.Timeout),
		ResponseHeaderTimeout: opt.Timeout,
		MaxIdleConns:          10,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	f.client = &http.Client{
		Transport: tr,
		Timeout:   opt.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return &Error{Msg: fmt.Sprintf("more than %d redirects", maxRedirects)}
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return &Error{Msg: "redirected to a " + req.URL.Scheme + " URL; only http and https are fetched"}
			}
			if req.URL.User != nil {
				return &Error{Msg: "redirected to a URL with credentials"}
			}
			return nil
		},
	}
	return f
}

// Error is a failed fetch, in words fit to show the KPI's owner: it never
// holds the URL (which may carry a key in its query).
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// ParseAllow reads OKRBOT_SOURCE_ALLOW: comma-separated networks or
// addresses ("10.0.0.0/8, 192.168.1.20").
func ParseAllow(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not a network (10.0.0.0/8) or an address (10.1.2.3)", part)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// special lists the IPv4 networks that are not the public internet, beside
// what netip.Addr's own predicates cover (RFC 6890 and friends).
var special = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("100::/64"),        // discard
}

var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Internal reports whether a is not a public internet address: loopback,
// private, link-local (cloud metadata services live at 169.254.169.254),
// multicast, unspecified or reserved. An IPv4 address inside IPv6 (mapped or
// NAT64) is judged by its IPv4 part.
func Internal(a netip.Addr) bool {
	a = a.Unmap()
	if a.Is6() && nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() || !a.IsValid() {
		return true
	}
	for _, p := range special {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// allowed reports whether the fetcher may connect to a.
func (f *Fetcher) allowed(a netip.Addr) bool {
	a = a.Unmap()
	if !Internal(a) {
		return true
	}
	for _, p := range f.opt.Allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// control runs just before each connection is made, with the resolved
// address: the one place that sees where a request really goes.
func (f *Fetcher) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &Error{Msg: "cannot tell where " + address + " is"}
	}
	if !f.allowed(ap.Addr()) {
		return &Error{Msg: fmt.Sprintf("the address %s is internal (loopback, private or link-local); okrbot fetches only public addresses unless its operator allows that network with OKRBOT_SOURCE_ALLOW", ap.Addr().Unmap())}
	}
	return nil
}

// lookupTimeout bounds the name lookup of Check: a person waits for it.
const lookupTimeout = 2 * time.Second

// Check refuses a source URL whose host the fetcher would refuse to
// connect to, when the source is set rather than at its first fetch: an
// internal address written as one (127.0.0.1, [::1], 10.0.0.5), a name
// that is local by definition (localhost, *.localhost), or a name that
// resolves now only to internal addresses. It is the same rule as the
// fetch's (OKRBOT_SOURCE_ALLOW included), which still checks every
// connection: a name may resolve elsewhere later. A name that does not
// resolve now is not refused here; its fetch reports it.
func (f *Fetcher) Check(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return &Error{Msg: "not a URL with a host"}
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	refuse := func(what string) error {
		return &Error{Msg: fmt.Sprintf("%s is internal (loopback, private or link-local); okrbot fetches only public addresses unless its operator allows that network with OKRBOT_SOURCE_ALLOW", what)}
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if !f.allowed(a) {
			return refuse("the address " + a.Unmap().String())
		}
		return nil
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		if !f.allowed(netip.MustParseAddr("127.0.0.1")) {
			return refuse(host)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return nil
	}
	for _, a := range addrs {
		if f.allowed(a) {
			return nil
		}
	}
	return refuse(fmt.Sprintf("%s resolves to %s, which", host, addrs[0].Unmap()))
}

// Fetch fetches a source and returns its value.
func (f *Fetcher) Fetch(ctx context.Context, src domain.KPISource) (float64, error) {
	if err := src.Validate(); err != nil {
		return 0, &Error{Msg: domain.ErrorMessage(err)}
	}
	switch src.Kind {
	case domain.SourceJSON:
		steps, err := domain.ParseJSONPath(src.Path)
		if err != nil {
			return 0, &Error{Msg: domain.ErrorMessage(err)}
		}
		body, _, err := f.get(ctx, src.URL)
		if err != nil {
			return 0, err
		}
		return valueAt(body, steps)
	case domain.SourcePrometheus:
		return f.prometheus(ctx, src.URL, src.Query)
	}
	return 0, &Error{Msg: "unknown kind of source " + string(src.Kind)}
}

// get fetches u and returns the body of a 2xx answer. For another status it
// returns the body too (Prometheus explains its errors in it).
func (f *Fetcher) get(ctx context.Context, u string) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(ctx, f.opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, &Error{Msg: "not a URL okrbot can fetch"}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", f.opt.UserAgent)
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, 0, describe(err, f.opt.Timeout)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.opt.MaxBytes+1))
	if err != nil {
		return nil, resp.StatusCode, describe(err, f.opt.Timeout)
	}
	if int64(len(body)) > f.opt.MaxBytes {
		return nil, resp.StatusCode, &Error{Msg: fmt.Sprintf("the answer is larger than %s", size(f.opt.MaxBytes))}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return body, resp.StatusCode, &Error{Msg: "the server answered " + resp.Status}
	}
	return body, resp.StatusCode, nil
}

// describe turns a transport error into words without the URL.
func describe(err error, timeout time.Duration) error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	var ne net.Error
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return &Error{Msg: fmt.Sprintf("no complete answer within %s", timeout)}
	case errors.As(err, &dnsErr):
		return &Error{Msg: "the host name " + dnsErr.Name + " does not resolve"}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &Error{Msg: "the connection was refused"}
	case errors.Is(err, context.Canceled):
		return &Error{Msg: "the fetch was cancelled"}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &Error{Msg: "the request failed: " + err.Error()}
}

func size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// valueAt reads the number at steps in a JSON document. A number, or a
// string holding only a number, is a value; anything else is an error that
// says what was found, because guessing a value is worse than none.
func valueAt(body []byte, steps []domain.PathStep) (float64, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return 0, &Error{Msg: "the answer is not JSON"}
	}
	where := "the answer"
	cur := doc
	for i, s := range steps {
		where = "at " + stepString(steps[:i+1])
		switch c := cur.(type) {
		case map[string]any:
			if !s.IsKey {
				return 0, &Error{Msg: fmt.Sprintf("%s: expected an array, found an object", where)}
			}
			v, ok := c[s.Key]
			if !ok {
				return 0, &Error{Msg: fmt.Sprintf("%s: no such key", where)}
			}
			cur = v
		case []any:
			if s.IsKey {
				return 0, &Error{Msg: fmt.Sprintf("%s: expected an object, found an array", where)}
			}
			if s.Index >= len(c) {
				return 0, &Error{Msg: fmt.Sprintf("%s: the array has %d items", where, len(c))}
			}
			cur = c[s.Index]
		default:
			return 0, &Error{Msg: fmt.Sprintf("%s: nothing there (found %s)", where, kindOf(cur))}
		}
	}
	switch v := cur.(type) {
	case json.Number:
		return finite(string(v), where)
	case string:
		return finite(strings.TrimSpace(v), where)
	}
	return 0, &Error{Msg: fmt.Sprintf("%s: expected a number, found %s", where, kindOf(cur))}
}

func stepString(steps []domain.PathStep) string {
	var b strings.Builder
	for i, s := range steps {
		if s.IsKey {
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.Key)
		} else {
			b.WriteString("[" + strconv.Itoa(s.Index) + "]")
		}
	}
	return b.String()
}

func kindOf(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "true or false"
	case string:
		return fmt.Sprintf("the text %q", clip(v, 30))
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return "something else"
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func finite(s, where string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, &Error{Msg: fmt.Sprintf("%s: %q is not a finite number", where, clip(s, 30))}
	}
	return v, nil
}

// prometheus runs an instant query. It must give exactly one sample: a
// scalar, or a vector of one series. Several series are refused rather
// than one picked, with the way to make them one.
func (f *Fetcher) prometheus(ctx context.Context, base, query string) (float64, error) {
	u, err := url.Parse(base)
	if err != nil {
		return 0, &Error{Msg: "not a URL okrbot can fetch"}
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/api/v1/query"
	u.RawQuery = url.Values{"query": {query}}.Encode()
	body, status, ferr := f.get(ctx, u.String())
	var r struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
		Data      struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if body == nil || json.Unmarshal(body, &r) != nil || r.Status == "" {
		if ferr != nil {
			return 0, ferr
		}
		return 0, &Error{Msg: "the answer is not a Prometheus query result"}
	}
	if r.Status != "success" {
		msg := strings.TrimSpace(r.ErrorType + ": " + r.Error)
		if status != 0 && ferr != nil {
			msg = fmt.Sprintf("Prometheus refused the query (%d): %s", status, clip(msg, 300))
		} else {
			msg = "Prometheus refused the query: " + clip(msg, 300)
		}
		return 0, &Error{Msg: msg}
	}
	if ferr != nil {
		return 0, ferr
	}
	sample := func(raw json.RawMessage) (float64, error) {
		var pair []any
		if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
			return 0, &Error{Msg: "the answer's sample is not [time, value]"}
		}
		s, ok := pair[1].(string)
		if !ok {
			return 0, &Error{Msg: "the answer's sample value is not a string"}
		}
		return finite(s, "the query's value")
	}
	switch r.Data.ResultType {
	case "scalar":
		return sample(r.Data.Result)
	case "vector":
		var series []struct {
			Metric map[string]string `json:"metric"`
			Value  json.RawMessage   `json:"value"`
		}
		if err := json.Unmarshal(r.Data.Result, &series); err != nil {
			return 0, &Error{Msg: "the answer's vector is malformed"}
		}
		switch len(series) {
		case 0:
			return 0, &Error{Msg: "the query returned no series (nothing measured, or a typo in a metric name)"}
		case 1:
			return sample(series[0].Value)
		}
		return 0, &Error{Msg: fmt.Sprintf("the query returned %d series; okrbot needs one number: aggregate them, e.g. sum(%s)", len(series), clip(query, 60))}
	}
	return 0, &Error{Msg: fmt.Sprintf("the query returned a %s; okrbot needs one number (an instant vector of one series, or a scalar)", r.Data.ResultType)}
}
