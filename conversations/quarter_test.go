package conversations_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/conversations/chart"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage/storagetest"
)

// TestSimulatedQuarter runs 2026-Q4 week by week on a fake clock, from the
// set-up on 1 Oct to the review on Monday 4 Jan 2027, with people in three
// time zones, a key result added mid-quarter, a milestone, a stay key
// result and KPI-linked ones, and a week away, and checks every Monday's
// digests against testdata/quarter.txt (go test ./conversations -run
// TestSimulatedQuarter -update).
func TestSimulatedQuarter(t *testing.T) {
	c := &clock{t: time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)}
	st := storagetest.Open(t, c.now)
	svc := conversations.New(st, conversations.Options{Now: c.now, Chart: chart.NewRenderer(false).Render})
	tz := map[string]string{"ada": "Europe/Paris", "bob": "America/New_York", "carol": "Asia/Tokyo"}
	who := func(user, channel string) conversations.Actor {
		return conversations.Actor{Platform: domain.Slack, Workspace: "T1", User: user, Name: strings.ToUpper(user[:1]) + user[1:],
			TimeZone: tz[user], Channel: channel, ChannelName: channel, Admin: user == "ada"}
	}
	do := func(user, channel, line string) string {
		t.Helper()
		cmd, args, _ := conversations.SplitCommand(line)
		r := svc.Command(ctx, who(user, channel), cmd, args)
		if r.Failed() {
			t.Fatalf("%s %s: %s: %s", c.now().Format(time.DateTime), line, r.Code, conversations.PlainText(r.Message))
		}
		return conversations.PlainText(r.Message)
	}
	// checkIn submits a person's check-in form: values and confidences by
	// key result, and the week's notes.
	checkIn := func(user string, rows map[string][2]string, blockers, help, wins string) {
		t.Helper()
		f, err := svc.CheckInForm(ctx, who(user, ""))
		if err != nil || f == nil {
			t.Fatalf("%s: no form for %s: %v", c.now(), user, err)
		}
		v := map[string]string{"blockers": blockers, "help": help, "wins": wins}
		for kr, row := range rows {
			v["value/"+kr], v["confidence/"+kr] = row[0], row[1]
		}
		r := svc.Submit(ctx, who(user, ""), conversations.Submission{Form: f.ID, State: f.State, Values: v, Key: user + c.now().String()})
		if r.Failed() || len(r.Errors) > 0 {
			t.Fatalf("%s: %s's check-in: %v %s", c.now(), user, r.Errors, conversations.PlainText(r.Message))
		}
	}
	at := func(day time.Time, user string, hour int) {
		loc, _ := time.LoadLocation(tz[user])
		c.mu.Lock()
		c.t = time.Date(day.Year(), day.Month(), day.Day(), hour, 0, 0, 0, loc)
		c.mu.Unlock()
	}

	// Thursday 1 Oct: the quarter is set up.
	do("ada", "growth", `/kpi create web-leads "Web leads" unit /day higher target 35 warn 25 alert 15 every week`)
	do("ada", "growth", `/kpi set web-leads 22`)
	do("ada", "growth", `/kpi create churn "Monthly churn" unit % lower target 2 warn 3 alert 5 every week`)
	do("ada", "growth", `/kpi set churn 1.8`)
	do("ada", "growth", `/okr create Grow the European market --aspirational`)
	do("ada", "growth", `/okr kr add O-1 Increase web leads from 22 to 35 per day --kpi web-leads`)
	do("ada", "growth", `/okr kr add O-1 Keep churn below 2% --kpi churn`)
	do("ada", "growth", `/okr kr add O-1 Hire a VP of sales for Europe`)
	do("ada", "growth", `/okr kr add O-1 Increase signed partners from 0 to 8 --owner @carol`)
	do("ada", "growth", `/okr initiative add KR-3 Brief two recruiting agencies`)
	do("ada", "growth", `/okr initiative add KR-3 Interview five finalists`)
	do("bob", "mobile", `/okr create Ship the mobile app`)
	do("bob", "mobile", `/okr kr add O-2 Increase app rating from 3.9 to 4.5`)
	do("ada", "growth", `/okr digest subscribe <#growth|growth>`)
	do("ada", "leadership", `/okr digest subscribe <#leadership|leadership> --company`)

	var transcript strings.Builder
	digest := func(label string, scope conversations.DigestScope) string {
		t.Helper()
		m, err := svc.Digest(ctx, "slack:T1", scope, c.now())
		if err != nil {
			t.Fatal(err)
		}
		text := conversations.PlainText(m)
		fmt.Fprintf(&transcript, "=== %s · %s ===\n%s\n", c.now().Format("Mon 2 Jan 2006 15:04 MST"), label, text)
		return text
	}

	growth := conversations.DigestScope{Channel: "growth"}
	company := conversations.DigestScope{Company: true}
	first := time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC) // Friday of the first week
	leads := []float64{22, 23, 24, 24, 26, 27, 28, 28, 30, 31, 32, 33, 34}
	churn := []float64{1.8, 1.9, 1.9, 2.0, 1.9, 2.3, 2.1, 1.9, 1.8, 1.8, 1.9, 1.7, 1.8}
	rating := []float64{3.9, 3.95, 4.0, 4.0, 4.05, 4.1, 4.1, 4.15, 4.2, 4.25, 4.3, 4.3, 4.35}
	partners := []string{"0", "1", "1", "2", "", "3", "", "", "5", "5", "6", "7", "7"}
	for w := 0; w < 13; w++ {
		fri := first.AddDate(0, 0, 7*w)
		mon := fri.AddDate(0, 0, 3)
		// KPI values arrive on Thursday.
		at(fri.AddDate(0, 0, -1), "ada", 12)
		do("ada", "growth", fmt.Sprintf("/kpi set web-leads %g", leads[w]))
		do("ada", "growth", fmt.Sprintf("/kpi set churn %g", churn[w]))

		// Friday afternoon, each in their own time zone.
		at(fri, "ada", 16)
		hire := "not done"
		if w >= 9 {
			hire = "done"
		}
		blockers, help, wins := "", "", ""
		switch w {
		case 2:
			blockers, help = "Legal review of the Dutch contract", "A Dutch speaker for two customer calls"
		case 5:
			blockers, wins = "Churn spiked after the price change", "Signed Acme Benelux"
		case 9:
			wins = "VP of sales for Europe starts in January"
		}
		conf := "7"
		if w == 5 || w == 6 {
			conf = "4"
		}
		checkIn("ada", map[string][2]string{"KR-1": {"", "7"}, "KR-2": {"", conf}, "KR-3": {hire, "8"}}, blockers, help, wins)
		if w == 4 {
			do("ada", "growth", `/okr initiative done I-1`)
		}
		// Bob is away for the fourth week: not missed in the review.
		if w == 3 {
			at(fri.AddDate(0, 0, -1), "bob", 17)
			do("bob", "mobile", "/okr away until "+mon.AddDate(0, 0, 1).Format(time.DateOnly))
		}
		at(fri, "bob", 15)
		if w != 3 {
			rows := map[string][2]string{"KR-5": {fmt.Sprint(rating[w]), "8"}}
			if w >= 7 {
				rows["KR-6"] = [2]string{fmt.Sprintf("%.1f", 2-0.15*float64(w-6)), "6"}
			}
			checkIn("bob", rows, "", "", "")
		}
		// Carol, in Tokyo, checks in on Monday morning when she does at all
		// (late), and misses some weeks.
		if partners[w] != "" {
			at(mon, "carol", 11) // after her 10:00 reminder
			checkIn("carol", map[string][2]string{"KR-4": {partners[w], "6"}}, "", "", "")
		}
		// Mid-quarter, Bob adds a key result.
		if w == 6 {
			at(mon, "bob", 8)
			do("bob", "mobile", `/okr kr add O-2 Reduce crash rate from 2% to 0.5%`)
		}
		// Monday 09:00 UTC: the digests.
		at(mon, "ada", 10) // 09:00 UTC in winter, 10:00 in Paris
		c.mu.Lock()
		c.t = time.Date(mon.Year(), mon.Month(), mon.Day(), 9, 0, 0, 0, time.UTC)
		c.mu.Unlock()
		text := digest("#growth", growth)
		if w == 0 && (strings.Contains(text, "at risk: at ") || strings.Contains(text, "no check-in")) {
			t.Errorf("the first Monday judges pace or missing check-ins:\n%s", text)
		}
		if w == 0 || w == 6 || w == 12 {
			digest("company", company)
		}
	}

	// The last days of December: grades, and the next quarter's objectives.
	at(time.Date(2026, 12, 30, 0, 0, 0, 0, time.UTC), "ada", 11)
	do("ada", "growth", `/okr grade O-1 0.8 VP hired, leads nearly there --yes`)
	do("ada", "growth", `/okr create Win the Benelux market --cycle 2027-Q1 --aspirational`)
	do("ada", "growth", `/okr kr add O-3 Increase signed partners from 0 to 8 --owner @carol`)
	do("bob", "mobile", `/okr create Make the app fast --cycle 2027-Q1`)

	// Monday 4 Jan 2027, 09:00: the first digest after the quarter is its review.
	c.mu.Lock()
	c.t = time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	c.mu.Unlock()
	text := digest("#growth", growth)
	ctext := digest("company", company)
	for _, want := range []string{"review of 2026-Q4", "Grades (1)", "0.80", "Aspirational objectives: average grade 0.80", "Check-in discipline",
		"@Carol: 0 on time · 10 late · 3 missed", "carried over as KR-", "Now: #growth OKRs · 2027-Q1", "O-3 Win the Benelux market"} {
		if !strings.Contains(text, want) {
			t.Errorf("the 4 Jan #growth digest lacks %q", want)
		}
	}
	for _, want := range []string{"Committed objectives: 0 of 1 met", "O-2 Ship the mobile app", "(not graded: its progress)", "O-4 Make the app fast",
		"@Bob: 12 on time · 0 late · 0 missed"} {
		if !strings.Contains(ctext, want) {
			t.Errorf("the 4 Jan company digest lacks %q", want)
		}
	}

	// The #leadership channel previews the company roll-up it is subscribed to.
	r := svc.Command(ctx, who("ada", "leadership"), "okr", "digest preview")
	if got := conversations.PlainText(r.Message); got != ctext {
		t.Errorf("the --company channel's preview is not what it receives:\n%s", got)
	}
	golden(t, "quarter.txt", transcript.String())
}
