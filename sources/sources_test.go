package sources_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/sources"
)

var ctx = context.Background()

// loopback allows the tests' own servers, which listen on 127.0.0.1.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func body(s string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, s)
	}
}

func TestJSONSource(t *testing.T) {
	tests := []struct {
		name, body, path string
		want             float64
		err              string
	}{
		{"bare number", `42`, "", 42, ""},
		{"nested key", `{"data":{"today":28.5}}`, "data.today", 28.5, ""},
		{"dollar prefix", `{"data":{"today":28}}`, "$.data.today", 28, ""},
		{"array index", `{"items":[{"v":1},{"v":7}]}`, "items[1].v", 7, ""},
		{"dotted index", `{"result":[3,4]}`, "result.1", 4, ""},
		{"numeric string", `{"count":"1250"}`, "count", 1250, ""},
		{"negative exponent", `{"x":-1.5e2}`, "x", -150, ""},
		{"big integer", `{"x":12345678901}`, "x", 12345678901, ""},
		{"missing key", `{"data":{}}`, "data.today", 0, "at data.today: no such key"},
		{"null", `{"v":null}`, "v", 0, "expected a number, found null"},
		{"object", `{"v":{"a":1}}`, "v", 0, "expected a number, found an object"},
		{"bool", `{"v":true}`, "v", 0, "found true or false"},
		{"text", `{"v":"n/a"}`, "v", 0, `"n/a" is not a finite number`},
		{"percent text", `{"v":"12%"}`, "v", 0, "not a finite number"},
		{"NaN text", `{"v":"NaN"}`, "v", 0, "not a finite number"},
		{"index past end", `{"items":[1]}`, "items[3]", 0, "the array has 1 items"},
		{"key into array", `{"items":[1]}`, "items.a", 0, "expected an object, found an array"},
		{"index into object", `{"items":{"a":1}}`, "items[0]", 0, "expected an array, found an object"},
		{"through a number", `{"a":1}`, "a.b", 0, "nothing there"},
		{"not JSON", `<html>oops</html>`, "", 0, "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, body(tt.body))
			f := sources.New(sources.Options{Allow: loopback})
			got, err := f.Fetch(ctx, domain.KPISource{Kind: domain.SourceJSON, URL: srv.URL + "/leads.json", Path: tt.path})
			checkFetch(t, got, err, tt.want, tt.err)
		})
	}
}

func TestPrometheusSource(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		want       float64
		err        string
	}{
		{"one series", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1763650000.123,"0.0123"]}]}}`, 200, 0.0123, ""},
		{"scalar", `{"status":"success","data":{"resultType":"scalar","result":[1763650000,"17"]}}`, 200, 17, ""},
		{"no series", `{"status":"success","data":{"resultType":"vector","result":[]}}`, 200, 0, "returned no series"},
		{"two series", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"1"},"value":[1,"1"]},{"metric":{"a":"2"},"value":[1,"2"]}]}}`, 200, 0, "returned 2 series"},
		{"matrix", `{"status":"success","data":{"resultType":"matrix","result":[]}}`, 200, 0, "returned a matrix"},
		{"NaN", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}}`, 200, 0, "not a finite number"},
		{"+Inf", `{"status":"success","data":{"resultType":"scalar","result":[1,"+Inf"]}}`, 200, 0, "not a finite number"},
		{"bad query", `{"status":"error","errorType":"bad_data","error":"parse error at char 5"}`, 400, 0, "Prometheus refused the query (400): bad_data: parse error at char 5"},
		{"server error, not JSON", `upstream down`, 502, 0, "the server answered 502"},
		{"not prometheus", `{"hello":"world"}`, 200, 0, "not a Prometheus query result"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotQuery, gotPath string
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				gotQuery, gotPath = r.URL.Query().Get("query"), r.URL.Path
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			f := sources.New(sources.Options{Allow: loopback})
			q := `sum(rate(http_requests_total{code=~"5.."}[1d]))`
			got, err := f.Fetch(ctx, domain.KPISource{Kind: domain.SourcePrometheus, URL: srv.URL + "/prom/", Query: q})
			if gotQuery != q || gotPath != "/prom/api/v1/query" {
				t.Errorf("asked %s?query=%s", gotPath, gotQuery)
			}
			checkFetch(t, got, err, tt.want, tt.err)
		})
	}
}

// checkFetch checks a fetch's outcome: want, or an error saying wantErr.
func checkFetch(t *testing.T, got float64, err error, want float64, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("err = %v, want %q", err, wantErr)
		}
		return
	}
	if err != nil || got != want {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
}

func TestLimits(t *testing.T) {
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		defer close(release)
		f := sources.New(sources.Options{Allow: loopback, Timeout: 200 * time.Millisecond})
		start := time.Now()
		_, err := f.Fetch(ctx, domain.KPISource{Kind: domain.SourceJSON, URL: srv.URL})
		if err == nil || !strings.Contains(err.Error(), "no complete answer within 200ms") {
			t.Fatalf("err = %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %s", d)
		}
	})
	t.Run("size", func(t *testing.T) {
		srv := serve(t, body(`{"v":1,"pad":"`+strings.Repeat("x", 2048)+`"}`))
		f := sources.New(sources.Options{Allow: loopback, MaxBytes: 1024})
		_, err := f.Fetch(ctx, domain.KPISource{Kind: domain.SourceJSON, URL: srv.URL, Path: "v"})
		if err == nil || !strings.Contains(err.Error(), "larger than 1 KiB") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("status", func(t *testing.T) {
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "nope", http.StatusServiceUnavailable) })
		f := sources.New(sources.Options{Allow: loopback})
		_, err := f.Fetch(ctx, domain.KPISource{Kind: domain.SourceJSON, URL: srv.URL})
		if err == nil || !strings.Contains(err.Error(), "503 Service Unavailable") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("too many redirects", func(t *testing.T) {
		var srv *httptest.Server
		srv = serve(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, srv.URL+"/again", http.StatusFound) })
		f := sources.New(sources.Options{Allow: loopback})
		_, err := f.Fetch(ctx, domain.KPISource{Kind: domain.SourceJSON, URL: srv.URL})
		if err == nil || !strings.Contains(err.Error(), "more than 3 redirects") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("redirect to another scheme", func(t *testing.T) {
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		})
		f := sources.New(sources.Options{Allow: loopback})
		_, err := f.Fetch(ctx, domain.KPISource{Kind: domain.SourceJSON, URL: srv.URL})
		if err == nil || !strings.Contains(err.Error(), "only http and https") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("errors never carry the URL", func(t *testing.T) {
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "nope", http.StatusForbidden) })
		f := sources.New(sources.Options{Allow: loopback})
		_, err := f.Fetch(ctx, domain.KPISource{Kind: domain.SourceJSON, URL: srv.URL + "/x?api_key=s3cret"})
		if err == nil || strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), srv.URL) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestInternalAddressesRefused: with no network allowed, a server on
// loopback (by address or by the name localhost) is refused before any
// connection is made; allowing one network does not open another.
func TestInternalAddressesRefused(t *testing.T) {
	hits := 0
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { hits++; fmt.Fprint(w, "1") })
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	for _, u := range []string{srv.URL, "http://localhost:" + port + "/"} {
		for _, allow := range [][]netip.Prefix{nil, {netip.MustParsePrefix("10.0.0.0/8")}} {
			f := sources.New(sources.Options{Allow: allow})
			_, err := f.Fetch(ctx, domain.KPISource{Kind: domain.SourceJSON, URL: u})
			var fe *sources.Error
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), "is internal") || !strings.Contains(err.Error(), "OKRBOT_SOURCE_ALLOW") {
				t.Errorf("%s allow %v: err = %v", u, allow, err)
			}
		}
	}
	if hits != 0 {
		t.Errorf("the refused server was reached %d times", hits)
	}
	f := sources.New(sources.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	if v, err := f.Fetch(ctx, domain.KPISource{Kind: domain.SourceJSON, URL: srv.URL}); err != nil || v != 1 {
		t.Errorf("allowed: %v, %v", v, err)
	}
}

// TestRedirectToInternalRefused: the check is made on every hop. The first
// server is allowed (127.0.0.1), the one it redirects to (on ::1) is not.
func TestRedirectToInternalRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback here:", err)
	}
	hidden := 0
	inner := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hidden++; fmt.Fprint(w, "99") }))
	inner.Listener = ln
	inner.Start()
	defer inner.Close()
	outer := serve(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, inner.URL, http.StatusFound) })
	f := sources.New(sources.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	_, err = f.Fetch(ctx, domain.KPISource{Kind: domain.SourceJSON, URL: outer.URL})
	if err == nil || !strings.Contains(err.Error(), "::1 is internal") {
		t.Fatalf("err = %v", err)
	}
	if hidden != 0 {
		t.Errorf("the internal server was reached")
	}
}

func TestInternal(t *testing.T) {
	internal := []string{"127.0.0.1", "127.1.2.3", "::1", "10.0.0.5", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"169.254.169.254", "fe80::1", "fd00::1", "fc00::1", "0.0.0.0", "::", "100.64.0.1", "224.0.0.1", "ff02::1",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "64:ff9b::7f00:1", "255.255.255.255", "198.18.0.1", "192.0.2.10"}
	public := []string{"8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "64:ff9b::808:808", "::ffff:8.8.4.4"}
	for _, s := range internal {
		if !sources.Internal(netip.MustParseAddr(s)) {
			t.Errorf("%s should be internal", s)
		}
	}
	for _, s := range public {
		if sources.Internal(netip.MustParseAddr(s)) {
			t.Errorf("%s should be public", s)
		}
	}
}

func TestParseAllow(t *testing.T) {
	got, err := sources.ParseAllow(" 10.0.0.0/8, 192.168.1.20 ,fd00::/8,")
	if err != nil || len(got) != 3 || got[1].String() != "192.168.1.20/32" || got[0].String() != "10.0.0.0/8" {
		t.Fatalf("got %v, %v", got, err)
	}
	if got, err := sources.ParseAllow(""); err != nil || len(got) != 0 {
		t.Fatalf("empty: %v, %v", got, err)
	}
	if _, err := sources.ParseAllow("10.0.0.0/8,intranet"); err == nil || !strings.Contains(err.Error(), `"intranet"`) {
		t.Fatalf("err = %v", err)
	}
}

// TestCheck: a source's host is judged when the source is set, by the
// fetcher's own rule: internal addresses and local names are refused
// unless their network is allowed; public ones, and names that do not
// resolve now, pass (the fetch checks every connection anyway).
func TestCheck(t *testing.T) {
	open := sources.New(sources.Options{})
	allow := sources.New(sources.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}})
	tests := []struct {
		url          string
		open, allows bool // accepted by a fetcher with no allowance, and with 127/8 and 10/8
	}{
		{"http://127.0.0.1:9/x", false, true},
		{"http://127.0.0.1/", false, true},
		{"https://[::1]:8443/metrics", false, false},
		{"http://[::ffff:127.0.0.1]/x", false, true},
		{"http://10.1.2.3/x", false, true},
		{"http://192.168.1.20/x", false, false},
		{"http://169.254.169.254/latest/meta-data", false, false},
		{"http://0.0.0.0/x", false, false},
		{"http://localhost:9090", false, true},
		{"http://LOCALHOST./x", false, true},
		{"http://grafana.localhost/x", false, true},
		{"https://93.184.216.34/x", true, true},
		{"https://[2606:4700::1111]/x", true, true},
		{"https://stats.invalid/x", true, true}, // does not resolve: the fetch says so
	}
	for _, tt := range tests {
		for _, c := range []struct {
			f    *sources.Fetcher
			want bool
		}{{open, tt.open}, {allow, tt.allows}} {
			err := c.f.Check(ctx, tt.url)
			if (err == nil) != c.want {
				t.Errorf("%s: %v, want accepted %v", tt.url, err, c.want)
			}
			if err != nil && !strings.Contains(err.Error(), "OKRBOT_SOURCE_ALLOW") {
				t.Errorf("%s: %v", tt.url, err)
			}
		}
	}
}
