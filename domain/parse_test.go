package domain_test

import (
	"strings"
	"testing"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/phrasings"
)

func TestKeyResultPhrasings(t *testing.T) {
	measured, asked := 0, 0
	for _, tt := range phrasings.KeyResults {
		name := tt.Text
		if len(tt.Options) > 0 {
			name += " (with options)"
		}
		t.Run(name, func(t *testing.T) {
			p, err := domain.ParseKeyResult(tt.Text, tt.ParseOptions())
			if tt.Code != "" {
				if domain.ErrorCode(err) != tt.Code {
					t.Fatalf("got %+v, %v; want code %s", p, err, tt.Code)
				}
				if tt.Code == domain.EAMBIGUOUS && len(domain.ErrorChoices(err)) < 2 {
					t.Errorf("asked without choices: %v", err)
				}
				if tt.Code == domain.EINVALID && domain.ErrorExample(err) == "" {
					t.Errorf("refused without an example: %v", err)
				}
				if strings.Contains(domain.ErrorMessage(err), "\n") {
					t.Errorf("message has several lines: %q", domain.ErrorMessage(err))
				}
				return
			}
			if err != nil {
				t.Fatalf("error: %v (choices %+v)", err, domain.ErrorChoices(err))
			}
			if p.Kind != tt.Kind || !near(p.Start, tt.Start) || !near(p.Target, tt.Target) || p.Unit != tt.Unit || p.StartFrom != tt.From {
				t.Errorf("got %s %v → %v %q (start from %q), want %s %v → %v %q (%q)",
					p.Kind, p.Start, p.Target, p.Unit, p.StartFrom, tt.Kind, tt.Start, tt.Target, tt.Unit, tt.From)
			}
			if p.Title != strings.Join(strings.Fields(tt.Text), " ") {
				t.Errorf("title %q is not the text as typed", p.Title)
			}
		})
		if tt.Code == domain.EAMBIGUOUS {
			asked++
		} else if tt.Code == "" {
			measured++
		}
	}
	if len(phrasings.KeyResults) < 60 {
		t.Errorf("only %d phrasings", len(phrasings.KeyResults))
	}
	t.Logf("%d phrasings: %d read, %d asked, %d refused", len(phrasings.KeyResults), measured, asked, len(phrasings.KeyResults)-measured-asked)
}

// TestAskedPhrasingsAnswerThemselves checks that every reading offered for
// an ambiguous key result is itself read without a question, as what it says.
func TestAskedPhrasingsAnswerThemselves(t *testing.T) {
	for _, tt := range phrasings.KeyResults {
		if tt.Code != domain.EAMBIGUOUS {
			continue
		}
		_, err := domain.ParseKeyResult(tt.Text, tt.ParseOptions())
		for _, c := range domain.ErrorChoices(err) {
			if strings.Contains(c.Text+c.Options, "N ") || strings.HasSuffix(c.Options, " N") || strings.Contains(c.Options, "<slug>") {
				continue // a placeholder the person fills in
			}
			opt := tt.ParseOptions()
			switch {
			case strings.HasPrefix(c.Options, "--start "):
				opt.Start = strings.TrimPrefix(c.Options, "--start ")
			case strings.HasPrefix(c.Options, "--target "):
				opt.Target = strings.TrimPrefix(c.Options, "--target ")
			case c.Options == "--milestone":
				opt.Milestone = true
			}
			if _, err := domain.ParseKeyResult(c.Text, opt); err != nil {
				t.Errorf("%q: the reading %q (%s %s) is not accepted: %v", tt.Text, c.Meaning, c.Text, c.Options, err)
			}
		}
	}
}

func TestAmounts(t *testing.T) {
	type amount struct {
		Value float64
		Unit  string
	}
	good := map[string]amount{
		"42": {42, ""}, "1,200": {1200, ""}, "2,5": {2.5, ""}, "2,5 %": {2.5, "%"}, "2.5%": {2.5, "%"},
		"$40": {40, "$"}, "-3": {-3, ""}, ".5": {0.5, ""}, "12h": {12, "h"}, "10 hours": {10, "hours"},
		"180 ms": {180, "ms"}, "27/day": {27, "/day"}, "$1.2M": {1.2e6, "$"}, "€10k": {1e4, "€"},
		"2bn": {2e9, ""}, "1.2 million": {1.2e6, ""}, "10k€": {1e4, "€"}, "1.234,5": {1234.5, ""}, "1'000": {1000, ""},
	}
	good["+8"], good["−0.4%"], good["$-5"] = amount{8, ""}, amount{-0.4, "%"}, amount{-5, "$"}
	// A sign typed with the number is kept: it may say a change.
	signs := map[string]rune{"-3": '-', "+8": '+', "−0.4%": '-', "$-5": '-'}
	for s, want := range good {
		a, err := domain.ParseAmount(s)
		if err != nil || !near(a.Value, want.Value) || a.Unit != want.Unit || a.Sign != signs[s] {
			t.Errorf("ParseAmount(%q) = %+v, %v; want %+v", s, a, err, want)
		}
	}
	for _, s := range []string{"forty", "1e400", "NaN", "12 34", "$gt", "Inf", "9,5,3", "1.2.3", "2FA"} {
		if _, err := domain.ParseAmount(s); domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("ParseAmount(%q) = %v, want EINVALID", s, err)
		}
	}
	for _, s := range []string{"1.200", "12m"} {
		if _, err := domain.ParseAmount(s); domain.ErrorCode(err) != domain.EAMBIGUOUS || len(domain.ErrorChoices(err)) != 2 {
			t.Errorf("ParseAmount(%q) = %v, want a question", s, err)
		}
	}
	in := []struct {
		s, unit string
		want    float64
		ok      bool
	}{
		{"10 hours", "h", 10, true}, {"600 min", "h", 0, false}, {"27/day", "per day", 27, true}, {"27", "/day", 27, true},
		{"200 ms", "h", 0, false}, {"3%", "", 0, false}, {"$5", "€", 0, false}, {"3 months", "days", 0, false},
	}
	for _, tt := range in {
		a, _ := domain.ParseAmount(tt.s)
		v, err := a.In(tt.unit)
		if (err == nil) != tt.ok || tt.ok && !near(v, tt.want) {
			t.Errorf("%q in %q = %v, %v", tt.s, tt.unit, v, err)
		}
	}
}

func TestSameUnit(t *testing.T) {
	same := [][2]string{{"h", "hours"}, {"hrs", "hour"}, {"per day", "/day"}, {"a day", "/day"}, {"USD", "$"}, {"%", "percent"}, {"leads per day", "leads/day"}}
	for _, p := range same {
		if !domain.SameUnit(p[0], p[1]) {
			t.Errorf("%q and %q should be one unit", p[0], p[1])
		}
	}
	for _, p := range [][2]string{{"h", "min"}, {"%", "points"}, {"$", "€"}, {"", "h"}, {"/day", "/week"}} {
		if domain.SameUnit(p[0], p[1]) {
			t.Errorf("%q and %q should differ", p[0], p[1])
		}
	}
	if v, ok := domain.ConvertUnit(2, "hours", "min"); !ok || v != 120 {
		t.Errorf("2 hours = %v min, %v", v, ok)
	}
	if _, ok := domain.ConvertUnit(1, "months", "days"); ok {
		t.Error("months converted to days")
	}
}

// BenchmarkParseKeyResult reads every phrasing of the table once per
// iteration: go test ./domain -run '^$' -bench ParseKeyResult -benchmem
func BenchmarkParseKeyResult(b *testing.B) {
	for b.Loop() {
		for _, p := range phrasings.KeyResults {
			domain.ParseKeyResult(p.Text, p.ParseOptions())
		}
	}
}
