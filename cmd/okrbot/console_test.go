package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/okrbot/okrbot/domain"
)

// quarterScript is a whole quarter typed into the console by a team.
const quarterScript = `# a team's quarter, typed into okrbot console
/kpi create web-leads "Web leads" unit /day higher target 35 warn 25 alert 15 every day
/kpi set web-leads 22
/okr create Grow the European market --aspirational
/okr kr add O-1 Increase web leads from 22 to 35 per day --kpi web-leads
/okr kr add O-1 Reduce support response time from 12h to 4h
/okr kr add O-1 Hire a VP of sales for Europe --owner @bob
/kpi set web-leads 27 campaign started
/okr checkin
8
first week
10
6
two agents hired



/okr checkin
7

9
7
three agents hired


a good week
/as bob
/okr update KR-3 done confidence 10 signed!
/okr grade O-1 0.2
/as console
/okr create Win the enterprise segment
/okr align O-2 to KR-1
/okr list
/okr show O-1
/okr show KR-2
/okr digest preview
/okr grade O-1 0.8 great quarter
/okr grade O-1 0.8 great quarter --yes
/quit
`

func TestConsoleRunsAWholeQuarter(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	err := run(context.Background(), []string{"okrbot", "console", "--workspace", "T024BE7LD", "--user", "console"},
		env(map[string]string{"OKRBOT_DATA_DIR": dir}), strings.NewReader(quarterScript), &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"Created KPI web-leads", "Created O-1", "Added KR-1", "Added KR-2", "Added KR-3",
		"Checked in on 2 key results", "Only the owner of O-1", "Aligned O-2", "Your objectives",
		"KR-2 Reduce support response time", "Company OKRs", "and close it?", "Graded O-1", "meets the 0.7",
		"Understood: decrease from 12h to 4h",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("console output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(text)
	}

	// What the console stored is in the store, for the Slack workspace.
	st := openDataDir(t, dir)
	o, err := st.Objective(context.Background(), "slack:T024BE7LD", "O-1")
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != domain.Closed || o.Grade == nil || *o.Grade != 0.8 {
		t.Errorf("O-1 not graded and closed: %+v", o)
	}
	kinds := []domain.Kind{domain.Increase, domain.Decrease, domain.Milestone}
	for i, k := range kinds {
		if o.KeyResults[i].Kind != k {
			t.Errorf("KR %d is %s, want %s", i+1, o.KeyResults[i].Kind, k)
		}
	}
	if o.KeyResults[0].KPI != "web-leads" || o.KeyResults[0].Current != 27 || !o.KeyResults[2].Done || o.KeyResults[2].Owner != "bob" {
		t.Errorf("key results: %+v", o.KeyResults)
	}
	cs, err := st.CheckIns(context.Background(), "slack:T024BE7LD", domain.CheckInFilter{KRs: []string{"KR-2"}})
	if err != nil || len(cs) != 1 || cs[0].Value != 9 || cs[0].Note != "three agents hired" {
		t.Errorf("two check-ins in one week must store one, the second: %+v %v", cs, err)
	}
	if o2, _ := st.Objective(context.Background(), "slack:T024BE7LD", "O-2"); o2.Parent != "KR-1" {
		t.Errorf("O-2 aligned to %q", o2.Parent)
	}
	vals, _ := st.KPIValues(context.Background(), "slack:T024BE7LD", "web-leads", 10)
	if len(vals) != 2 {
		t.Errorf("%d KPI values", len(vals))
	}
}

// TestConsoleDigestSubscriptionsNeedRights: in the console too, a plain
// member can neither unsubscribe the company roll-up nor subscribe a
// channel; an admin can, and the console says it could not check okrbot's
// membership (no platform is configured).
func TestConsoleDigestSubscriptionsNeedRights(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	script := "/as boss --admin\n/okr digest subscribe #leadership --company\n/as eve\n/okr digest unsubscribe #leadership\n/okr digest subscribe #growth\n/in #growth\n/okr digest subscribe\n/quit\n"
	err := run(context.Background(), []string{"okrbot", "console", "--workspace", "T024BE7LD"},
		env(map[string]string{"OKRBOT_DATA_DIR": dir}), strings.NewReader(script), &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"leadership will get the weekly digest of the company roll-up",
		"could not check from here that it is a member",
		"Only a workspace admin can stop the company roll-up in #leadership; nothing was changed.",
		"Only a workspace admin or the owner of one of #growth's objectives can subscribe #growth; nothing was changed.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("console output lacks %q:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "Only a workspace admin or the owner"); n != 2 {
		t.Errorf("%d refusals of the member's subscribe, want 2:\n%s", n, text)
	}
	st := openDataDir(t, dir)
	subs, err := st.Subscriptions(context.Background(), "slack:T024BE7LD")
	if err != nil || len(subs) != 1 || subs[0].Channel != "leadership" || !subs[0].Company || subs[0].By != "boss" {
		t.Errorf("subscriptions: %+v %v", subs, err)
	}
}
