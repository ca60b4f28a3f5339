package conversations_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/conversations/chart"
)

// The digest's headline pace is the chart's expected figure and the roll-up
// of its objectives' own paces; an objective added today neither shows a
// meaningless "0 %" pace nor pulls the headline and the trend's expected
// line down (QA finding 9).
func TestDigestPaceAgreesWithItsObjectivesAndChart(t *testing.T) {
	f := newFixture(t)
	var got []chart.Chart
	f.svc = conversations.New(f.st, conversations.Options{Now: f.clock.now, Chart: func(c chart.Chart) ([]byte, error) {
		got = append(got, c)
		return []byte("png"), nil
	}})
	f.clock.t = friday.AddDate(0, 0, -49) // 2 October
	f.must("ada", `/okr create Grow the European market`, `/okr kr add O-1 Increase offers from 0 to 10`,
		`/okr kr add O-1 Increase partners from 0 to 4 --weight 3`)
	for w := 1; w <= 7; w++ {
		f.clock.t = friday.AddDate(0, 0, -49+7*w)
		f.must("ada", fmt.Sprintf("/okr update KR-1 %d confidence 7", w), fmt.Sprintf("/okr update KR-2 %d confidence 7", w/2))
	}
	digest := func() (string, chart.Chart) {
		t.Helper()
		got = nil
		m, err := f.svc.Digest(ctx, "slack:T1", conversations.DigestScope{Company: true}, f.clock.t)
		if err != nil || len(got) != 1 {
			t.Fatalf("digest: %v, %d charts", err, len(got))
		}
		return conversations.PlainText(m), got[0]
	}
	nowPoint := func(c chart.Chart) (prev, now chart.TrendPoint) {
		t.Helper()
		pts := c.Trend.Points
		for i, p := range pts {
			if p.At.Equal(f.clock.t) {
				return pts[i-1], p
			}
		}
		t.Fatalf("no point at now in %+v", pts)
		return
	}
	_, before := digest()
	_, nowBefore := nowPoint(before)

	// Bob adds an objective today.
	f.must("bob", `/okr create Ship the mobile app`, `/okr kr add O-2 Increase stores from 0 to 2`)
	text, c := digest()
	prev, now := nowPoint(c)
	o1 := c.Bars[0]
	if !strings.HasPrefix(o1.Label, "O-1") {
		o1 = c.Bars[1]
	}
	head := fmt.Sprintf("Objectives (2) · %d%% · pace %d%% (1 new this week not counted yet)", pctOf(o1.Progress), pctOf(o1.Expected))
	if !strings.Contains(text, head) {
		t.Errorf("want %q in\n%s", head, text)
	}
	// One figure: the trend's point now is the headline, weighted as progress.
	if math.Abs(now.Expected-o1.Expected) > 1e-9 || math.Abs(now.Actual-o1.Progress) > 1e-9 {
		t.Errorf("trend now %+v, objective %+v", now, o1)
	}
	if math.Abs(now.Expected-nowBefore.Expected) > 1e-9 || now.Expected < prev.Expected {
		t.Errorf("expected line moved when an objective was added: %v then %v (previous week %v)", nowBefore.Expected, now.Expected, prev.Expected)
	}
	for _, b := range c.Bars {
		if strings.HasPrefix(b.Label, "O-2") && b.HasExpected {
			t.Errorf("the new objective has a pace tick: %+v", b)
		}
	}
	if strings.Contains(text, "0% expected by now") {
		t.Errorf("a pace of 0 %% is shown as if it meant something:\n%s", text)
	}
	if show := f.must("bob", "/okr show O-2"); !strings.Contains(show, "new: pace from 27 Nov") || strings.Contains(show, "pace 0%") {
		t.Errorf("show O-2:\n%s", show)
	}
}

func pctOf(x float64) int { return int(x*100 + 0.5) }
