package csvio_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations/csvio"
	"github.com/okrbot/okrbot/domain"
)

func f64(v float64) *float64 { return &v }

var t0 = time.Date(2026, 10, 2, 9, 30, 0, 123000000, time.UTC)

// sample is a small workspace with one of everything, and the awkward
// cases: text with commas, quotes and new lines, exact floats, no values.
func sample() *csvio.Data {
	grade := 0.7
	return &csvio.Data{
		Workspace: &domain.Workspace{ID: "slack:T1", Platform: domain.Slack, ExternalID: "T1", Name: "Acme",
			Settings: domain.Settings{CheckIn: domain.Schedule{Weekday: time.Friday, Minute: 900, Set: true},
				Reminder: domain.Schedule{Off: true, Set: true}, Digest: domain.Schedule{Weekday: time.Monday, Minute: 540, Set: true}, TimeZone: "Europe/Paris"},
			Admins: []string{"U1", "U2"}, CreatedAt: t0},
		People: []domain.User{
			{ID: "U2", Name: "Bob, the builder", Email: "bob@example.com"},
			{ID: "U1", Name: `Ada "the first"`, Email: "ada@example.com", TimeZone: "Europe/London", AwayUntil: t0.AddDate(0, 1, 0)},
		},
		KPIs: []domain.KPI{
			{Slug: "web-leads", Name: "Web leads", Unit: "/day", Direction: domain.HigherIsBetter, Target: f64(35), Warn: f64(25), Alert: f64(15),
				Cadence: domain.Daily, Owner: "U1", Team: "C1", Health: domain.HealthGreen, HealthSince: t0, CreatedAt: t0,
				Source: &domain.KPISource{Kind: domain.SourceJSON, URL: "https://stats.example.com/x.json?a=1&b=2", Path: "data.today"}},
			{Slug: "churn", Name: "Churn", Unit: "%", Direction: domain.LowerIsBetter, Cadence: domain.Monthly, Owner: "U2", CreatedAt: t0, Archived: true},
		},
		KPIValues: []domain.KPIValue{
			{Slug: "web-leads", Value: 0.1 + 0.2, At: t0, Note: "line one\nline two", By: "U1"},
			{Slug: "web-leads", Value: 28, At: t0.Add(-24 * time.Hour), By: "api-grafana"},
			{Slug: "churn", Value: 1.25e-7, At: t0},
		},
		Objectives: []domain.Objective{
			{Ref: "O-10", Title: "Second", Owner: "U2", Cycle: "2026-Q4", Commitment: domain.Committed, Status: domain.Active, CreatedBy: "U2", CreatedAt: t0, UpdatedAt: t0,
				Parent: "KR-1", KeyResults: []domain.KeyResult{{Ref: "KR-12", Title: "Hire a VP of sales", Kind: domain.Milestone, Target: 1, Weight: 1, Owner: "U2", Done: true, UpdatedAt: t0}}},
			{Ref: "O-2", Title: "Grow the European market, fast", Owner: "U1", Team: "C1", Cycle: "2026-Q4", Commitment: domain.Aspirational,
				Status: domain.Closed, Grade: &grade, GradeNote: `two of "three"`, CreatedBy: "U1", CreatedAt: t0, UpdatedAt: t0,
				KeyResults: []domain.KeyResult{
					{Ref: "KR-3", Title: "Keep churn below 2%", Kind: domain.StayBelow, Target: 2, Unit: "%", Weight: 2, Owner: "U2", KPI: "churn", Confidence: 6},
					{Ref: "KR-1", Title: "Increase web leads from 22 to 35 per day", Kind: domain.Increase, Start: 22, Target: 35, Current: 28.5,
						Measured: true, Unit: "/day", Weight: 1, Owner: "U1", Confidence: 7, UpdatedAt: t0, CreatedAt: t0.AddDate(0, 0, -30),
						Initiatives: []domain.Initiative{
							{Ref: "I-2", Title: "Run a webinar series, monthly", CreatedBy: "U1", CreatedAt: t0},
							{Ref: "I-9", Title: "Fix the signup form", Done: true, CreatedBy: "U2", CreatedAt: t0, DoneAt: t0.Add(time.Hour)},
						}},
				}},
		},
		CheckIns: []domain.CheckIn{
			{KR: "KR-1", Objective: "O-2", UserID: "U1", Week: "2026-W40", Value: 25, Confidence: 6, Note: "slow, start", At: t0, FirstAt: t0.Add(-time.Hour), By: "U2"},
			{KR: "KR-1", Objective: "O-2", UserID: "U1", Week: "2026-W39", Value: 23, Confidence: 5, At: t0.AddDate(0, 0, -7)},
			{KR: "KR-12", Objective: "O-10", UserID: "U2", Week: "2026-W40", Done: true, Confidence: 9, At: t0},
		},
		WeekNotes: []domain.WeekNote{{UserID: "U1", Week: "2026-W41", Note: "Good week", At: t0},
			{UserID: "U2", Week: "2026-W41", Wins: "two deals", Blockers: "legal, again", Help: "a lawyer", At: t0}},
	}
}

func inputs(files []csvio.File) []csvio.Input {
	var in []csvio.Input
	for _, f := range files {
		in = append(in, csvio.Input{Name: f.Name, R: bytes.NewReader(f.Data)})
	}
	return in
}

// back turns what Decode read into Data again, as an importer would.
func back(d *csvio.Decoded) *csvio.Data {
	out := &csvio.Data{}
	if d.Workspace != nil {
		w := d.Workspace.Workspace
		out.Workspace = &w
	}
	for _, p := range d.People {
		out.People = append(out.People, p.User)
	}
	for _, k := range d.KPIs {
		out.KPIs = append(out.KPIs, k.KPI)
	}
	for _, v := range d.KPIValues {
		out.KPIValues = append(out.KPIValues, v.KPIValue)
	}
	idx := map[string]int{}
	for _, o := range d.Objectives {
		idx[o.Ref] = len(out.Objectives)
		out.Objectives = append(out.Objectives, o.Objective)
	}
	for _, kr := range d.KeyResults {
		o := &out.Objectives[idx[kr.Objective]]
		o.KeyResults = append(o.KeyResults, kr.KeyResult)
	}
	for _, in := range d.Initiatives {
		for i := range out.Objectives {
			if kr := out.Objectives[i].KeyResult(in.KR); kr != nil {
				kr.Initiatives = append(kr.Initiatives, in.Initiative)
			}
		}
	}
	for _, c := range d.CheckIns {
		out.CheckIns = append(out.CheckIns, c.CheckIn)
	}
	for _, n := range d.WeekNotes {
		out.WeekNotes = append(out.WeekNotes, n.WeekNote)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	files, err := csvio.Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(csvio.Files) {
		t.Fatalf("%d files, want %d", len(files), len(csvio.Files))
	}
	d, probs := csvio.Decode(inputs(files), csvio.DecodeOptions{})
	for _, p := range probs {
		t.Errorf("problem: %s", p)
	}
	again, err := csvio.Encode(back(d))
	if err != nil {
		t.Fatal(err)
	}
	for i := range files {
		if !bytes.Equal(files[i].Data, again[i].Data) {
			t.Errorf("%s differs:\n%s\n---\n%s", files[i].Name, files[i].Data, again[i].Data)
		}
	}
	if d.Rows[csvio.FileCheckIns] != 3 || d.Rows[csvio.FileKeyResults] != 3 {
		t.Errorf("rows %v", d.Rows)
	}
	if got := string(files[2].Data); !strings.Contains(got, "web-leads,Web leads,/day,higher,35,25,15,day,U1,C1,green") {
		t.Errorf("kpis.csv:\n%s", got)
	}
	// Sorted by number, not text: O-2 before O-10, KR-1 before KR-12.
	if o := string(files[4].Data); strings.Index(o, "O-2,") > strings.Index(o, "O-10,") {
		t.Errorf("objectives.csv order:\n%s", o)
	}
	z, err := csvio.Zip(files)
	if err != nil {
		t.Fatal(err)
	}
	z2, _ := csvio.Zip(again)
	if !bytes.Equal(z, z2) {
		t.Error("the same files gave different archives")
	}
	un, err := csvio.Unzip(z, 1<<20)
	if err != nil || len(un) != len(files) || !bytes.Equal(un[6].Data, files[6].Data) {
		t.Fatalf("unzip: %d files, %v", len(un), err)
	}
	if _, err := csvio.Unzip(z, 100); err == nil {
		t.Error("an archive larger than the limit was unpacked")
	}
}

// TestRefusedRows: each bad row is reported with its file, row number,
// column and an example, and is left out; the good rows are read.
func TestRefusedRows(t *testing.T) {
	tests := []struct {
		file, header, row string
		col, reason       string
	}{
		{"checkins.csv", "kr,user,week,value,confidence", "KR-1,U1,2026-W41,25,11", "confidence", "from 1 to 10"},
		{"checkins.csv", "kr,user,week,value,confidence", "KR-1,U1,2026-W41,25,seven", "confidence", "whole number"},
		{"checkins.csv", "kr,user,week,value,confidence", "KR-1,U1,2026-11-20,25,7", "week", "not an ISO week"},
		{"checkins.csv", "kr,user,week,value,confidence", "KR-1,U1,2026-W54,25,7", "week", "no such week"},
		{"checkins.csv", "kr,user,week,value,confidence", "KR-1,U1,2026-W41,\"1,250\",7", "value", "no thousands separators"},
		{"checkins.csv", "kr,user,week,value,confidence", "O-1,U1,2026-W41,25,7", "kr", "not a ref like KR-31"},
		{"checkins.csv", "kr,user,week,value,confidence", "KR-1,ada@,2026-W41,25,7", "user", "not an email address"},
		{"checkins.csv", "kr,user,week,value,confidence", "KR-1,<@U1>,2026-W41,25,7", "user", "not an email address or a platform user id"},
		{"checkins.csv", "kr,user,week,value,confidence", "KR-1,U1,2026-W41,NaN,7", "value", "not a number"},
		{"key_results.csv", "ref,objective,title,kind,start,target,owner", "KR-1,O-1,Grow leads,increase,35,22,U1", "", "must be above the start"},
		{"key_results.csv", "ref,objective,title,kind,start,target,owner", "KR-1,O-1,Grow leads,grow,22,35,U1", "kind", "not one of"},
		{"key_results.csv", "ref,objective,title,kind,start,target,owner", "KR-1,O-1,Grow leads,increase,22,,U1", "target", "give a number"},
		{"key_results.csv", "ref,objective,title,kind,start,target,owner,weight", "KR-1,O-1,Grow leads,increase,22,35,U1,0", "weight", "(example: 2)"},
		{"key_results.csv", "ref,objective,title,kind,start,target,owner", "KR-1,O-1,,reach,0,35,U1", "title", "empty"},
		{"key_results.csv", "ref,objective,title,kind,start,target,owner", "KR-1,O-1,Reach NPS 60,reach,,60,U1", "start", "the value it starts from"},
		{"key_results.csv", "ref,objective,title,kind,start,target,owner", "KR-1,O-1,Cut churn to 2%,decrease,,2,U1", "start", "(example: 22)"},
		{"objectives.csv", "ref,title,owner,cycle", "O-1,Grow,U1,2026-Q5", "cycle", "not a cycle"},
		{"objectives.csv", "ref,title,owner,cycle,grade", "O-1,Grow,U1,2026-Q4,1.5", "grade", "(example: 0.7)"},
		{"objectives.csv", "ref,title,owner,cycle,parent", "O-1,Grow,U1,2026-Q4,O-1", "parent", "its own parent"},
		{"objectives.csv", "ref,title,owner,cycle,status", "O-1,Grow,U1,2026-Q4,done", "status", "draft, active or closed"},
		{"kpis.csv", "slug,name,owner,direction,target,warn,alert", "leads,Leads,U1,higher,35,25,30", "", "alert ≤ warn ≤ target"},
		{"kpis.csv", "slug,name,owner,direction,target,warn,alert", "leads,Leads,U1,higher,35,25,30", "", "(example: direction higher, target 35, warn 25, alert 15"},
		{"checkins.csv", "kr,user,week,value,confidence", "KR-1,U1,2026-W41,25,11", "confidence", "(example: 7)"},
		{"kpis.csv", "slug,name,owner", "Web Leads,Leads,U1", "slug", "not a KPI slug"},
		{"kpis.csv", "slug,name,owner,source_url", "leads,Leads,U1,ftp://x.example.com/a", "source_url", "Only http and https"},
		{"kpi_values.csv", "slug,at,value", "leads,yesterday,3", "at", "not a date and time"},
		{"people.csv", "user,email", "U1,not-an-email", "email", "not an email address"},
		{"people.csv", "user,timezone", "U1,Mars/Olympus", "timezone", "IANA"},
		{"workspace.csv", "id,platform,external_id", "slack:T2,slack,T1", "id", "platform and the external id"},
		{"week_notes.csv", "user,week,note", "U1,2026-W41,", "note", "says nothing"},
		{"week_notes.csv", "user,week,wins,blockers,help", "U1,2026-W41,,,", "note", "says nothing"},
		{"initiatives.csv", "ref,kr,title", "KR-4,KR-1,Run webinars", "ref", "not a ref like I-4"},
		{"initiatives.csv", "ref,kr,title", "I-4,O-1,Run webinars", "kr", "not a ref like KR-31"},
		{"initiatives.csv", "ref,kr,title,done", "I-4,KR-1,Run webinars,maybe", "done", "not true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.file+" "+tt.row, func(t *testing.T) {
			good := map[string]string{
				"checkins.csv":    "KR-2,U1,2026-W41,25,7",
				"key_results.csv": "KR-2,O-1,Grow leads,increase,22,35,U1",
				"objectives.csv":  "O-2,Grow,U1,2026-Q4",
				"kpis.csv":        "other,Other,U1",
				"kpi_values.csv":  "leads,2026-11-20,3",
				"people.csv":      "U2",
				"week_notes.csv":  "U2,2026-W41,fine",
			}[tt.file]
			body := tt.header + "\n" + tt.row + "\n"
			if good != "" {
				body += strings.Join(padTo(good, strings.Count(tt.header, ",")+1), ",") + "\n"
			}
			d, probs := csvio.Decode([]csvio.Input{{Name: tt.file, R: strings.NewReader(body)}}, csvio.DecodeOptions{})
			if len(probs) != 1 {
				t.Fatalf("problems %v", probs)
			}
			p := probs[0]
			if p.File != tt.file || p.Row != 2 || p.Column != tt.col || !strings.Contains(p.String(), tt.reason) {
				t.Errorf("got %+v (%s)", p, p)
			}
			if p.Column != "" && p.Example == "" {
				t.Errorf("no example: %s", p)
			}
			if strings.HasPrefix(p.Example, "/") || strings.HasPrefix(p.Example, "--") {
				t.Errorf("a chat command as the example of a cell: %s", p)
			}
			if good != "" && d.Rows[tt.file] != 2 {
				t.Errorf("rows %v", d.Rows)
			}
		})
	}
}

// padTo adds empty fields to a row so that it has n.
func padTo(row string, n int) []string {
	f := strings.Split(row, ",")
	for len(f) < n {
		f = append(f, "")
	}
	return f[:n]
}

func TestFileProblems(t *testing.T) {
	tests := []struct {
		name, file, body, want string
	}{
		{"empty", "objectives.csv", "", "the file is empty"},
		{"missing column", "objectives.csv", "ref,title,cycle\nO-1,Grow,2026-Q4\n", "column owner: a required column is missing"},
		{"unknown column", "objectives.csv", "ref,title,owner,cycle,owner_email\n", "column owner_email: not a column"},
		{"twice", "objectives.csv", "ref,title,owner,cycle,title\n", "column title: the column appears twice"},
		{"semicolons", "objectives.csv", "ref;title;owner;cycle\n", "separated by semicolons"},
		{"unknown file", "goals.csv", "a\n", "goals.csv: not a file okrbot reads"},
		{"duplicate row", "objectives.csv", "ref,title,owner,cycle\nO-1,A,U1,2026-Q4\nO-1,B,U1,2026-Q4\n", "row 3: the objective O-1 appears twice: this row repeats row 2"},
		{"field count", "objectives.csv", "ref,title,owner,cycle\nO-1,A,U1\n", "row 2: the row has 3 fields and the header 4"},
		{"bad quote", "objectives.csv", "ref,title,owner,cycle\nO-1,\"A,U1,2026-Q4\n", "not CSV from here on"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs := csvio.Decode([]csvio.Input{{Name: tt.file, R: strings.NewReader(tt.body)}}, csvio.DecodeOptions{})
			var all []string
			for _, p := range probs {
				all = append(all, p.String())
			}
			if !strings.Contains(strings.Join(all, "\n"), tt.want) {
				t.Errorf("problems:\n%s\nwant %q", strings.Join(all, "\n"), tt.want)
			}
		})
	}
}

// TestSpreadsheetInput: what a spreadsheet saves: a byte order mark,
// headers in another order and case, yes/no, dates without a time (read in
// the workspace's time zone), e-mail owners, aliases of kinds.
func TestSpreadsheetInput(t *testing.T) {
	ws := "id,platform,external_id,timezone\nslack:T1,slack,T1,America/New_York\n"
	krs := "\xEF\xBB\xBFOwner,Kind,Title,Target,Start,Objective,Ref,Done\r\n" +
		"Ada@Example.com,Stay Above,Keep NPS above 40,40,,O-1,KR-1,no\r\n" +
		"U2,milestone,Launch in Spain,,,O-1,KR-2,yes\r\n"
	vals := "slug,value,at\nleads,12.5,2026-11-20\n"
	d, probs := csvio.Decode([]csvio.Input{
		{Name: "key_results.csv", R: strings.NewReader(krs)},
		{Name: "KPI_values.csv", R: strings.NewReader(vals)},
		{Name: "workspace.csv", R: strings.NewReader(ws)},
	}, csvio.DecodeOptions{})
	if len(probs) > 0 {
		t.Fatalf("problems %v", probs)
	}
	if len(d.KeyResults) != 2 {
		t.Fatalf("key results %+v", d.KeyResults)
	}
	a, b := d.KeyResults[0], d.KeyResults[1]
	if a.Owner != "ada@example.com" || a.Kind != domain.StayAbove || a.Done || a.Measured || a.Weight != 1 || a.Row != 2 {
		t.Errorf("first %+v", a)
	}
	if b.Kind != domain.Milestone || !b.Done || b.Target != 1 {
		t.Errorf("second %+v", b)
	}
	// Noon in New York on the 20th.
	if got := d.KPIValues[0].At; !got.Equal(time.Date(2026, 11, 20, 17, 0, 0, 0, time.UTC)) {
		t.Errorf("at = %s", got)
	}
}

func TestProgress(t *testing.T) {
	var b strings.Builder
	b.WriteString("kr,user,week,value,confidence\n")
	for i := 0; i < 12000; i++ {
		b.WriteString("KR-1,U" + itoa(i) + ",2026-W41,1,7\n")
	}
	var seen []int
	done := false
	d, probs := csvio.Decode([]csvio.Input{{Name: "checkins.csv", R: strings.NewReader(b.String())}}, csvio.DecodeOptions{
		Progress: func(file string, rows int, end bool) {
			if end {
				done = true
			}
			seen = append(seen, rows)
		},
	})
	if len(probs) > 0 || len(d.CheckIns) != 12000 {
		t.Fatalf("%d rows, %v", len(d.CheckIns), probs)
	}
	if !done || len(seen) != 3 || seen[0] != 5000 || seen[1] != 10000 || seen[2] != 12000 {
		t.Errorf("progress %v done %v", seen, done)
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
