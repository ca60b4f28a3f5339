package domain_test

import (
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
)

func TestParseJSONPath(t *testing.T) {
	k := func(s string) domain.PathStep { return domain.PathStep{Key: s, IsKey: true} }
	i := func(n int) domain.PathStep { return domain.PathStep{Index: n} }
	ok := []struct {
		in   string
		want []domain.PathStep
	}{
		{"", nil},
		{"$", nil},
		{"data.today", []domain.PathStep{k("data"), k("today")}},
		{"$.data.today", []domain.PathStep{k("data"), k("today")}},
		{"items[0].count", []domain.PathStep{k("items"), i(0), k("count")}},
		{"result.0.value.1", []domain.PathStep{k("result"), i(0), k("value"), i(1)}},
		{"m[2][3]", []domain.PathStep{k("m"), i(2), i(3)}},
		{"web-leads_total", []domain.PathStep{k("web-leads_total")}},
	}
	for _, tt := range ok {
		got, err := domain.ParseJSONPath(tt.in)
		if err != nil || len(got) != len(tt.want) {
			t.Errorf("%q: %v, %v", tt.in, got, err)
			continue
		}
		for j := range got {
			if got[j] != tt.want[j] {
				t.Errorf("%q: step %d = %+v, want %+v", tt.in, j, got[j], tt.want[j])
			}
		}
	}
	for _, in := range []string{"a..b", "a[", "a[x]", "a[-1]", "a[01]", "a b", "a.[0]x", "$where()", "a]"} {
		if _, err := domain.ParseJSONPath(in); domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("%q: err = %v, want invalid", in, err)
		}
	}
}

func TestKPISourceValidate(t *testing.T) {
	good := []domain.KPISource{
		{Kind: domain.SourceJSON, URL: "https://stats.example.com/leads.json", Path: "data.today"},
		{Kind: domain.SourceJSON, URL: "http://10.0.0.5:8080/x?key=1"},
		{Kind: domain.SourcePrometheus, URL: "https://prom.example.com", Query: "sum(up)"},
	}
	for _, s := range good {
		if err := s.Validate(); err != nil {
			t.Errorf("%+v: %v", s, err)
		}
	}
	bad := []domain.KPISource{
		{Kind: domain.SourceJSON, URL: "ftp://example.com/x"},
		{Kind: domain.SourceJSON, URL: "file:///etc/passwd"},
		{Kind: domain.SourceJSON, URL: "example.com/x"},
		{Kind: domain.SourceJSON, URL: "https://user:pw@example.com/x"},
		{Kind: domain.SourceJSON, URL: "https://example.com/x#frag"},
		{Kind: domain.SourceJSON, URL: "https:///nohost"},
		{Kind: domain.SourceJSON, URL: "https://example.com/x", Path: "a..b"},
		{Kind: domain.SourcePrometheus, URL: "https://prom.example.com"},
		{Kind: "csv", URL: "https://example.com"},
	}
	for _, s := range bad {
		if err := s.Validate(); domain.ErrorCode(err) != domain.EINVALID || domain.ErrorExample(err) == "" {
			t.Errorf("%+v: err = %v, want invalid with an example", s, err)
		}
	}
}

func TestCadencePeriod(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	at := time.Date(2026, 11, 29, 23, 30, 0, 0, time.UTC) // Monday 00:30 in Paris
	tests := []struct {
		c    domain.Cadence
		loc  *time.Location
		want string
	}{
		{domain.Daily, time.UTC, "2026-11-29"},
		{domain.Daily, paris, "2026-11-30"},
		{domain.Weekly, time.UTC, "2026-W48"},
		{domain.Weekly, paris, "2026-W49"},
		{domain.Monthly, time.UTC, "2026-11"},
	}
	for _, tt := range tests {
		if got := domain.CadencePeriod(tt.c, at, tt.loc); got != tt.want {
			t.Errorf("%s in %s = %s, want %s", tt.c, tt.loc, got, tt.want)
		}
	}
}

func TestTokens(t *testing.T) {
	if h := domain.HashToken("okrbot_abc"); len(h) != 64 || h == domain.HashToken("okrbot_abd") {
		t.Errorf("hash %q", h)
	}
	for _, n := range []string{"grafana", "nightly-etl", "ci-prod_2"} {
		if err := domain.ValidateTokenName(n); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	for _, n := range []string{"", "-x", "a b", "<!channel>", "ci.prod", "x123456789012345678901234567890123456789012"} {
		if err := domain.ValidateTokenName(n); domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("%q accepted", n)
		}
	}
}
