package conversations_test

import (
	"math"
	"strings"
	"testing"

	"github.com/okrbot/okrbot/domain"
)

// TestReachStartAskedOrCounted: a key result to reach with no start counts
// from 0 only when it counts new things won or done in the cycle, and the
// answer shows that 0; a level (MRR, NPS) is asked, and once its start is
// given, progress is measured from it: $80k of $70k → $100k is a third of
// the way, not 80%.
func TestReachStartAskedOrCounted(t *testing.T) {
	f := newFixture(t)
	f.must("ada", `/okr create Grow the business`,
		`/kpi create mrr "MRR" unit $ higher`, `/kpi set mrr 30000`,
		`/kpi create nps "NPS" higher`) // no value yet

	text := f.must("ada", `/okr kr add O-1 Sign 50 new customers`)
	if !strings.Contains(text, "Understood: reach from 0 new customers to 50 new customers") || !strings.Contains(text, "counting from 0") {
		t.Errorf("a count from zero does not show its 0:\n%s", text)
	}

	before := f.snapshot()
	for _, tt := range []struct {
		line string
		want []string // in the question: the readings offered
	}{
		{`/okr kr add O-1 Hit $100k MRR`, []string{"Where does it start", "--start N", "--kpi <slug>", "--start 0", "Keep at least $100k MRR"}},
		{`/okr kr add O-1 Reach NPS 60`, []string{"--start N", "Keep NPS at least 60"}},
		{`/okr kr add O-1 Achieve a CSAT of 4.5`, []string{"--start N", "Keep a CSAT of at least 4.5"}},
		{`/okr kr add O-1 Reach 10,000 active users`, []string{"--start N", "count new ones only"}},
		{`/okr kr add O-1 Reach NPS 60 --kpi nps`, []string{"KPI nps has no value yet", "--start N"}},
	} {
		r, text := f.run("ada", tt.line)
		if r.Code != domain.EAMBIGUOUS {
			t.Errorf("%s: code %q, want a question:\n%s", tt.line, r.Code, text)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the question lacks %q:\n%s", tt.line, w, text)
			}
		}
	}
	if f.snapshot() != before {
		t.Error("a question changed the store")
	}

	text = f.must("ada", `/okr kr add O-1 Hit $100k MRR --start 70k`)
	if !strings.Contains(text, "Understood: reach from $70,000 to $100,000") {
		t.Errorf("the start given is not echoed:\n%s", text)
	}
	text = f.must("ada", `/okr kr add O-1 Hit $100k MRR --kpi mrr`)
	if !strings.Contains(text, "reach from $30,000 to $100,000") || !strings.Contains(text, "KPI mrr's latest value") {
		t.Errorf("the KPI's value is not the start:\n%s", text)
	}
	f.must("ada", `/okr update KR-2 80k confidence 7`)
	o, _ := f.st.Objective(ctx, "slack:T1", "O-1")
	if len(o.KeyResults) != 3 {
		t.Fatalf("key results: %+v", o.KeyResults)
	}
	if p := o.KeyResults[1].Progress(); math.Abs(p-1.0/3) > 1e-9 {
		t.Errorf("$80k of $70k → $100k is %.2f of the way, want 0.33", p)
	}
}
