package conversations_test

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/conversations/csvio"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/sources"
)

// csvFiles turns file name -> body into import inputs, freshly readable.
func csvFiles(files map[string]string) []csvio.Input {
	var in []csvio.Input
	for _, name := range csvio.Files {
		if body, ok := files[name]; ok {
			in = append(in, csvio.Input{Name: name, R: strings.NewReader(body)})
		}
	}
	return in
}

func problemLines(rep conversations.ImportReport) []string {
	var out []string
	for _, p := range rep.Problems {
		out = append(out, p.String())
	}
	return out
}

// TestImportDependsOnRefused: with --skip-bad-rows, every row that depends
// on a refused row (of the files, or refused by the reader) is refused
// too and says which row it depends on; nothing is attached to what the
// store has under the same ref; the dry run and the import agree exactly.
func TestImportDependsOnRefused(t *testing.T) {
	f := newFixture(t)
	f.must("ada",
		`/kpi create web-leads "Web leads" unit /day higher target 35 every day`,
		`/kpi set web-leads 22`,
		`/okr create Secret objective`,
		`/okr kr add O-1 Keep churn below 2%`,
		`/okr update KR-1 1.5 confidence 7`,
		`/okr create Another secret`,
	)
	files := map[string]string{
		"people.csv": "user,name,email\nada,Ada,ada@example.com\nmallory,Mallory,ada@example.com\n",
		"kpis.csv":   "slug,name,owner\nweb-leads,Website leads,ada\n",
		"kpi_values.csv": "slug,at,value\n" +
			"web-leads,2026-11-10,99\n",
		"objectives.csv": "ref,title,owner,cycle,parent\n" +
			"O-1,Grow the European market,ada,2026-Q4,\n" + // row 2: another objective than the store's O-1
			"O-2,Bad cycle,ada,2026-Q5,\n" + // row 3: refused by the reader; the store has an O-2
			"O-3,Delight customers,ada,2026-Q4,\n" + // row 4: fine
			"O-4,Child of a refused one,ada,2026-Q4,O-1\n" + // row 5: depends on row 2
			"O-5,Mallory's,mallory,2026-Q4,\n", // row 6: depends on people.csv row 3
		"key_results.csv": "ref,objective,title,kind,start,target,owner,kpi\n" +
			"KR-1,O-1,Keep churn below 2%,stay-below,0,2,ada,\n" + // row 2: same title as the store's KR-1, but of the refused O-1
			"KR-5,O-1,Reduce response time from 12 to 4,decrease,12,4,ada,\n" + // row 3
			"KR-6,O-2,Raise NPS from 30 to 50,increase,30,50,ada,\n" + // row 4: O-2 refused by the reader
			"KR-7,O-3,Raise NPS from 30 to 50,increase,30,50,ada,\n" + // row 5: fine
			"KR-8,O-4,Open Spain,milestone,,,ada,\n" + // row 6: O-4 depends on O-1
			"KR-9,O-3,Double web leads,increase,22,44,ada,web-leads\n", // row 7: the KPI's row was refused
		"initiatives.csv": "ref,kr,title\nI-1,KR-5,Hire two agents\nI-2,KR-7,Survey\n",
		"checkins.csv": "kr,user,week,value,confidence\n" +
			"KR-1,ada,2026-W46,11,6\n" + // row 2: the refused KR-1 row's, not the store's KR-1's
			"KR-5,ada,2026-W46,10,6\n" + // row 3
			"KR-6,ada,2026-W46,31,7\n" + // row 4
			"KR-7,ada,2026-W46,31,7\n" + // row 5: fine
			"KR-8,ada,2026-W46,0,5\n", // row 6
	}
	before := f.snapshot()
	beforeCI, _ := f.st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{KRs: []string{"KR-1"}})
	opt := conversations.ImportOptions{Workspace: "slack:T1", SkipBadRows: true, DryRun: true}
	dry, err := f.svc.Import(ctx, csvFiles(files), opt)
	if err != nil {
		t.Fatal(err)
	}
	if f.snapshot() != before {
		t.Fatal("the dry run wrote")
	}
	want := []string{
		`objectives.csv row 3, column cycle: "2026-Q5"`,
		`people.csv row 3: the email ada@example.com appears twice`,
		`kpis.csv row 2, column slug: "web-leads": okrbot has the KPI web-leads already, as "Web leads"`,
		`kpi_values.csv row 2, column slug: "web-leads": depends on kpis.csv row 2, refused`,
		`objectives.csv row 2, column ref: "O-1": okrbot has O-1 already, as "Secret objective"`,
		`objectives.csv row 6, column owner: "mallory": depends on people.csv row 3, refused`,
		`key_results.csv row 2, column objective: "O-1": depends on objectives.csv row 2, refused`,
		`key_results.csv row 3, column objective: "O-1": depends on objectives.csv row 2, refused`,
		`key_results.csv row 4, column objective: "O-2": depends on objectives.csv row 3, refused`,
		`key_results.csv row 7, column kpi: "web-leads": depends on kpis.csv row 2, refused`,
		`checkins.csv row 2, column kr: "KR-1": depends on key_results.csv row 2, refused`,
		`checkins.csv row 3, column kr: "KR-5": depends on key_results.csv row 3, refused`,
		`checkins.csv row 4, column kr: "KR-6": depends on key_results.csv row 4, refused`,
		`objectives.csv row 5, column parent: "O-1": depends on objectives.csv row 2, refused`,
		`key_results.csv row 6, column objective: "O-4": depends on objectives.csv row 5, refused`,
		`initiatives.csv row 2, column kr: "KR-5": depends on key_results.csv row 3, refused`,
		`checkins.csv row 6, column kr: "KR-8": depends on key_results.csv row 6, refused`,
	}
	got := problemLines(dry)
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || strings.HasPrefix(g, w)
		}
		if !found {
			t.Errorf("no problem %s…", w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	if dry.Create[csvio.FileObjectives] != 1 || dry.Create[csvio.FileKeyResults] != 1 || dry.Create[csvio.FileCheckIns] != 1 || dry.Create[csvio.FileInitiatives] != 1 ||
		dry.Create[csvio.FileKPIValues] != 0 {
		t.Errorf("would create %v", dry.Create)
	}

	opt.DryRun = false
	rep, err := f.svc.Import(ctx, csvFiles(files), opt)
	if err != nil || !rep.Written {
		t.Fatalf("%v %+v", err, rep)
	}
	if !reflect.DeepEqual(problemLines(rep), got) || !reflect.DeepEqual(rep.Create, dry.Create) || !reflect.DeepEqual(rep.Exists, dry.Exists) {
		t.Errorf("the import and its dry run disagree:\n%v %v\n%v %v", rep.Create, rep.Exists, dry.Create, dry.Exists)
	}
	o1, _ := f.st.Objective(ctx, "slack:T1", "O-1")
	o2, _ := f.st.Objective(ctx, "slack:T1", "O-2")
	if o1.Title != "Secret objective" || len(o1.KeyResults) != 1 || len(o2.KeyResults) != 0 {
		t.Errorf("rows of refused objectives reached the store's: O-1 %d key results, O-2 %d", len(o1.KeyResults), len(o2.KeyResults))
	}
	if cs, _ := f.st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{KRs: []string{"KR-1"}}); len(cs) != len(beforeCI) {
		t.Errorf("KR-1 gained check-ins of the refused KR-1 row: %+v", cs)
	}
	if k, _ := f.st.KPI(ctx, "slack:T1", "web-leads"); k.Latest == nil || k.Latest.Value != 22 {
		t.Errorf("web-leads took the refused KPI's values: %+v", k.Latest)
	}
	for _, ref := range []string{"O-4", "O-5"} {
		if _, err := f.st.Objective(ctx, "slack:T1", ref); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("%s was written: %v", ref, err)
		}
	}
	o3, err := f.st.Objective(ctx, "slack:T1", "O-3")
	if err != nil || len(o3.KeyResults) != 1 || o3.KeyResults[0].Ref != "KR-7" || len(o3.KeyResults[0].Initiatives) != 1 {
		t.Errorf("O-3: %+v %v", o3, err)
	}
}

// TestImportReconcilesKeyResults: a key result's current value, measured,
// done and confidence agree with its latest check-in once imported: an
// empty column takes the check-in's, a row older than it is moved to it, a
// newer row stands, and a row that disagrees is refused with what it
// should say (and its check-ins with it). An empty confidence never
// becomes 0 when there are check-ins.
func TestImportReconcilesKeyResults(t *testing.T) {
	const header = "ref,objective,title,kind,start,target,current,measured,done,confidence,updated_at,owner\n"
	// KR-1's check-ins: 25 (6/10) in W45, then 29 (8/10) in W46 at 13 Nov 15:00.
	const checkins = "kr,user,week,value,done,confidence,at\nKR-1,ada,2026-W45,25,false,6,2026-11-06T15:00:00Z\nKR-1,ada,2026-W46,29,false,8,2026-11-13T15:00:00Z\n"
	latest := time.Date(2026, 11, 13, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		name, row string
		// want, when the row is accepted
		current    float64
		measured   bool
		confidence int
		updated    time.Time
		// refused column, when it is refused
		col string
	}{
		{"empty columns take the check-in's", "KR-1,O-1,Grow leads,increase,22,35,,,,,,ada", 29, true, 8, latest, ""},
		{"a spreadsheet's start as current, older than the check-ins", "KR-1,O-1,Grow leads,increase,22,35,22,false,false,,2026-09-28T09:00:00Z,ada", 29, true, 8, latest, ""},
		{"a stale current, older", "KR-1,O-1,Grow leads,increase,22,35,1.2,true,false,8,2026-09-28T09:00:00Z,ada", 29, true, 8, latest, ""},
		{"the same as the check-in", "KR-1,O-1,Grow leads,increase,22,35,29,true,false,8,,ada", 29, true, 8, latest, ""},
		{"only the confidence empty", "KR-1,O-1,Grow leads,increase,22,35,29,true,,,,ada", 29, true, 8, latest, ""},
		{"newer than the check-in (an edit, a skipped week)", "KR-1,O-1,Grow leads,increase,22,35,29,true,false,5,2026-11-16T10:00:00Z,ada", 29, true, 5, time.Date(2026, 11, 16, 10, 0, 0, 0, time.UTC), ""},
		{"not measured, no date", "KR-1,O-1,Grow leads,increase,22,35,22,false,false,,,ada", 0, false, 0, time.Time{}, "current"},
		{"another value, no date", "KR-1,O-1,Grow leads,increase,22,35,31,true,false,8,,ada", 0, false, 0, time.Time{}, "current"},
		{"another confidence at the same moment", "KR-1,O-1,Grow leads,increase,22,35,29,true,false,3,2026-11-13T15:00:00Z,ada", 0, false, 0, time.Time{}, "confidence"},
		{"measured false with the check-in's value", "KR-1,O-1,Grow leads,increase,22,35,29,false,false,8,,ada", 0, false, 0, time.Time{}, "measured"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.must("ada", "/okr help")
			const ws = "slack:T1"
			files := map[string]string{
				"objectives.csv":  "ref,title,owner,cycle\nO-1,Grow,ada,2026-Q4\n",
				"key_results.csv": header + tt.row + "\n",
				"checkins.csv":    checkins,
			}
			rep, err := f.svc.Import(ctx, csvFiles(files), conversations.ImportOptions{Workspace: ws, SkipBadRows: true})
			if err != nil {
				t.Fatal(err)
			}
			if tt.col != "" {
				if len(rep.Problems) != 3 || rep.Problems[0].Column != tt.col || rep.Problems[0].File != csvio.FileKeyResults || rep.Problems[0].Example == "" {
					t.Fatalf("case %d: problems %s", i, strings.Join(problemLines(rep), "\n"))
				}
				if s := rep.Problems[0].String(); !strings.Contains(s, "latest check-in (2026-W46, 13 Nov 2026) says 29, confidence 8/10") || strings.Contains(s, "\n") {
					t.Errorf("the reason: %s", s)
				}
				for _, p := range rep.Problems[1:] {
					if p.File != csvio.FileCheckIns || !strings.Contains(p.Reason, "depends on key_results.csv row 2") {
						t.Errorf("check-in not refused with its key result: %s", p)
					}
				}
				return
			}
			if len(rep.Problems) > 0 {
				t.Fatalf("problems %s", strings.Join(problemLines(rep), "\n"))
			}
			o, err := f.st.ObjectiveOfKR(ctx, ws, "KR-1")
			if err != nil {
				t.Fatal(err)
			}
			kr := o.KeyResult("KR-1")
			if kr.Current != tt.current || kr.Measured != tt.measured || kr.Confidence != tt.confidence || !kr.UpdatedAt.Equal(tt.updated) {
				t.Errorf("KR-1 %v measured %v confidence %d updated %v; want %v %v %d %v", kr.Current, kr.Measured, kr.Confidence, kr.UpdatedAt, tt.current, tt.measured, tt.confidence, tt.updated)
			}
		})
	}

	// A milestone takes done and confidence; a key result with no check-in
	// and no confidence has none (0), as one created in chat.
	f := newFixture(t)
	files := map[string]string{
		"objectives.csv":  "ref,title,owner,cycle\nO-1,Grow,ada,2026-Q4\n",
		"key_results.csv": header + "KR-1,O-1,Hire a VP,milestone,,,,,,,,ada\nKR-2,O-1,Reach NPS 60,reach,0,60,,,,,,ada\n",
		"checkins.csv":    "kr,user,week,value,done,confidence\nKR-1,ada,2026-W46,0,false,3\nKR-1,ada,2026-W47,1,true,9\n",
	}
	f.must("ada", "/okr help")
	rep, err := f.svc.Import(ctx, csvFiles(files), conversations.ImportOptions{Workspace: "slack:T1"})
	if err != nil || len(rep.Problems) > 0 {
		t.Fatalf("%v %s", err, strings.Join(problemLines(rep), "\n"))
	}
	o, _ := f.st.Objective(ctx, "slack:T1", "O-1")
	if m := o.KeyResult("KR-1"); !m.Done || m.Confidence != 9 {
		t.Errorf("milestone %+v", m)
	}
	if r := o.KeyResult("KR-2"); r.Confidence != 0 || r.Measured {
		t.Errorf("no check-in: %+v", r)
	}
}

// TestImportRefusesWhatCannotBe: a date in the future (a KPI value of
// 2030 would stay its latest until then), a week to come, a check-in
// outside its key result's cycle, and one whose time is not in its week,
// are refused as chat and the API refuse them; today's date is today.
func TestImportRefusesWhatCannotBe(t *testing.T) {
	tests := []struct {
		file, body string
		col        string // "" accepted
		reason     string
	}{
		{"kpi_values.csv", "slug,at,value\nleads,2030-01-01T00:00:00Z,5\n", "at", "in the future"},
		{"kpi_values.csv", "slug,at,value\nleads,2026-11-21,5\n", "at", "in the future"},
		{"kpi_values.csv", "slug,at,value\nleads,2026-11-20T15:03:00Z,5\n", "", ""}, // a clock a little ahead
		{"kpi_values.csv", "slug,at,value\nleads,2026-11-20,5\n", "", ""},           // today
		{"checkins.csv", "kr,user,week,value,confidence\nKR-1,ada,2027-W10,34,9\n", "week", "in the future"},
		{"checkins.csv", "kr,user,week,value,confidence\nKR-1,ada,2026-W48,34,9\n", "week", "in the future"},
		{"checkins.csv", "kr,user,week,value,confidence,at\nKR-1,ada,2026-W44,27,8,2026-10-01T15:30:00Z\n", "at", "not in or just after 2026-W44"},
		{"checkins.csv", "kr,user,week,value,confidence,at\nKR-1,ada,2026-W44,27,8,2026-11-19T15:30:00Z\n", "at", "not in or just after"},
		{"checkins.csv", "kr,user,week,value,confidence,at\nKR-1,ada,2026-W44,27,8,2026-11-02T09:00:00Z\n", "", ""}, // answered the next Monday
		{"checkins.csv", "kr,user,week,value,confidence\nKR-1,ada,2026-W30,27,8\n", "week", "outside the cycle of KR-1, 2026-Q4"},
		{"checkins.csv", "kr,user,week,value,confidence\nKR-1,ada,2026-W39,27,8\n", "", ""}, // set up before the quarter began
		{"checkins.csv", "kr,user,week,value,confidence\nKR-1,ada,2026-W47,27,8\n", "", ""}, // this week
		{"key_results.csv", "ref,objective,title,kind,start,target,owner,updated_at\nKR-2,O-1,Reach NPS 60,reach,0,60,ada,2026-12-24T10:00:00Z\n", "updated_at", "in the future"},
		{"objectives.csv", "ref,title,owner,cycle,created_at\nO-2,Later,ada,2026-Q4,2027-01-01\n", "created_at", "in the future"},
	}
	base := map[string]string{
		"kpis.csv":        "slug,name,owner\nleads,Leads,ada\n",
		"objectives.csv":  "ref,title,owner,cycle,created_at\nO-1,Grow,ada,2026-Q4,2026-09-21T09:00:00Z\n",
		"key_results.csv": "ref,objective,title,kind,start,target,owner\nKR-1,O-1,Grow leads,increase,22,35,ada\n",
	}
	for _, tt := range tests {
		t.Run(tt.file+" "+strings.Split(tt.body, "\n")[1], func(t *testing.T) {
			f := newFixture(t)
			f.must("ada", "/okr help")
			files := map[string]string{}
			for k, v := range base {
				files[k] = v
			}
			files[tt.file] = tt.body
			rep, err := f.svc.Import(ctx, csvFiles(files), conversations.ImportOptions{Workspace: "slack:T1", DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			if tt.col == "" {
				if len(rep.Problems) > 0 {
					t.Errorf("refused: %s", strings.Join(problemLines(rep), "\n"))
				}
				return
			}
			if len(rep.Problems) == 0 {
				t.Fatalf("accepted")
			}
			p := rep.Problems[0]
			if p.File != tt.file || p.Row != 2 || p.Column != tt.col || !strings.Contains(p.Reason, tt.reason) || p.Example == "" {
				t.Errorf("got %s", p)
			}
		})
	}

	// Today's date-only value is stored at the moment of the import, not
	// at noon hours ahead; importing it again creates nothing.
	f := newFixture(t)
	f.must("ada", `/kpi create leads "Leads" every day`)
	files := map[string]string{"kpi_values.csv": "slug,at,value\nleads,2026-11-20,5\n"}
	f.clock.t = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	if rep, err := f.svc.Import(ctx, csvFiles(files), conversations.ImportOptions{Workspace: "slack:T1"}); err != nil || !rep.Written {
		t.Fatalf("%v %+v", err, rep)
	}
	if k, _ := f.st.KPI(ctx, "slack:T1", "leads"); k.Latest == nil || !k.Latest.At.Equal(f.clock.t) {
		t.Errorf("latest %+v", k.Latest)
	}
	f.clock.t = f.clock.t.AddDate(0, 0, 3)
	if rep, _ := f.svc.Import(ctx, csvFiles(files), conversations.ImportOptions{Workspace: "slack:T1"}); rep.Create[csvio.FileKPIValues] != 0 {
		t.Errorf("a second import creates %v", rep.Create)
	}
}

// TestKPISetBackDated: a value recorded for an earlier day reports its own
// health, and says that the newer latest value stays, with its health; a
// back-dated value that is the latest (the first one, or newer than the
// rest) reports the KPI's health as before. Nothing follows a value that
// is not the latest.
func TestKPISetBackDated(t *testing.T) {
	tests := []struct {
		name  string
		setup []string
		line  string
		want  []string
		not   []string
	}{
		{"below alert, behind a green latest", []string{`/kpi set web-leads 27`}, `/kpi set web-leads 14 on 2026-11-18`,
			[]string{"Recorded web-leads = 14/day on 2026-11-18 · 🔴 red", "The latest value stays 27/day on 2026-11-20 · 🟢 green"}, []string{"moved with it"}},
		{"green, behind a red latest", []string{`/kpi set web-leads 12`}, `/kpi set web-leads 30 on 2026-11-19 backfill`,
			[]string{"= 30/day on 2026-11-19 · 🟢 green", "stays 12/day on 2026-11-20 · 🔴 red"}, nil},
		{"yellow, between two values", []string{`/kpi set web-leads 27 on 2026-11-17`, `/kpi set web-leads 28`}, `/kpi set web-leads 20 on 2026-11-18`,
			[]string{"20/day on 2026-11-18 · 🟡 yellow", "stays 28/day on 2026-11-20 · 🟢 green"}, nil},
		{"the first value, back-dated, is the latest", nil, `/kpi set web-leads 14 on 2026-11-19`,
			[]string{"Recorded web-leads = 14/day on 2026-11-19 · 🔴 red", "moved with it"}, []string{"stays"}},
		{"newer than the latest", []string{`/kpi set web-leads 27 on 2026-11-17`}, `/kpi set web-leads 14 on 2026-11-19`,
			[]string{"14/day on 2026-11-19 · 🔴 red (was stale)", "moved with it"}, []string{"stays"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.must("ada", `/kpi create web-leads "Web leads" unit /day higher target 35 warn 25 alert 15 every day`,
				`/okr create Grow`, `/okr kr add O-1 Increase web leads from 10 to 35 per day --kpi web-leads`)
			f.must("ada", tt.setup...)
			o, _ := f.st.Objective(ctx, "slack:T1", "O-1")
			was := o.KeyResult("KR-1").Current
			text := f.must("ada", tt.line)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("no %q in:\n%s", w, text)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(text, n) {
					t.Errorf("%q in:\n%s", n, text)
				}
			}
			o, _ = f.st.Objective(ctx, "slack:T1", "O-1")
			if strings.Contains(text, "stays") && o.KeyResult("KR-1").Current != was {
				t.Errorf("KR-1 moved to a value that is not the latest: %v", o.KeyResult("KR-1").Current)
			}
		})
	}
}

// TestKPISourceInternalTarget: a source on a loopback, private or
// link-local address is refused when it is set (in chat or by an import),
// with the fetcher's own rule and OKRBOT_SOURCE_ALLOW's allowance, rather
// than failing at its first fetch.
func TestKPISourceInternalTarget(t *testing.T) {
	tests := []struct {
		allow []netip.Prefix
		line  string
		code  string
		ex    string
	}{
		{nil, "/kpi source web-leads http://127.0.0.1:9/x", domain.EINVALID, "Example: /kpi source web-leads https://"},
		{nil, "/kpi source web-leads http://localhost:8080/leads.json json data.today", domain.EINVALID, "Example: /kpi source web-leads"},
		{nil, "/kpi source web-leads http://169.254.169.254/latest/meta-data", domain.EINVALID, "Example: /kpi source"},
		{nil, "/kpi source web-leads prometheus http://10.0.0.7:9090 sum(up)", domain.EINVALID, "Example: /kpi source error-rate prometheus"},
		{nil, "/kpi source web-leads https://93.184.216.34/leads.json", "", ""},
		{[]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, "/kpi source web-leads http://127.0.0.1:9/x", "", ""},
		{[]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, "/kpi source web-leads prometheus http://10.0.0.7:9090 sum(up)", "", ""},
		{[]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, "/kpi source web-leads http://127.0.0.1:9/x", domain.EINVALID, "OKRBOT_SOURCE_ALLOW"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			f := newFixture(t)
			f.svc = conversations.New(f.st, conversations.Options{Now: f.clock.now, Sources: sources.New(sources.Options{Allow: tt.allow})})
			f.must("ada", `/kpi create web-leads "Web leads" unit /day higher target 35 every day`)
			r, text := f.run("ada", tt.line)
			if r.Code != tt.code || !strings.Contains(text, tt.ex) || tt.code != "" && strings.Count(strings.TrimSpace(text), "\n") > 0 {
				t.Fatalf("%q: %s", r.Code, text)
			}
			k, _ := f.st.KPI(ctx, "slack:T1", "web-leads")
			if (k.Source != nil) != (tt.code == "") {
				t.Errorf("source %+v", k.Source)
			}
			if tt.code != "" && !strings.Contains(text, "internal (loopback, private or link-local)") {
				t.Errorf("reason: %s", text)
			}
		})
	}
	// The same from kpis.csv.
	f := newFixture(t)
	f.svc = conversations.New(f.st, conversations.Options{Now: f.clock.now, Sources: sources.New(sources.Options{})})
	f.must("ada", "/okr help")
	files := map[string]string{
		"kpis.csv":       "slug,name,owner,source_url\nleads,Leads,ada,http://127.0.0.1:9/x\n",
		"kpi_values.csv": "slug,at,value\nleads,2026-11-19,3\n",
	}
	rep, err := f.svc.Import(ctx, csvFiles(files), conversations.ImportOptions{Workspace: "slack:T1", DryRun: true})
	if err != nil || len(rep.Problems) != 2 || rep.Problems[0].Column != "source_url" || !strings.Contains(rep.Problems[0].Reason, "127.0.0.1 is internal") ||
		!strings.Contains(rep.Problems[1].Reason, "depends on kpis.csv row 2") {
		t.Errorf("%v %s", err, strings.Join(problemLines(rep), "\n"))
	}
}
