package conversations_test

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/phrasings"
)

// withPhrasingKPIs defines the KPIs the key result phrasings name, at the
// values their baselines have.
func (f *fixture) withPhrasingKPIs() {
	f.t.Helper()
	slugs := make([]string, 0, len(phrasings.KPIs))
	for slug := range phrasings.KPIs {
		slugs = append(slugs, slug)
	}
	sort.Strings(slugs)
	for _, slug := range slugs {
		b := phrasings.KPIs[slug]
		dir := "higher"
		if b.Direction == domain.LowerIsBetter {
			dir = "lower"
		}
		if b.Unmeasured {
			f.must("ada", fmt.Sprintf(`/kpi create %s "%s" %s`, slug, slug, dir)) // no value yet
			continue
		}
		f.must("ada", fmt.Sprintf(`/kpi create %s "%s" unit %s %s`, slug, slug, b.Unit, dir),
			fmt.Sprintf(`/kpi set %s %s`, slug, strings.TrimRight(strings.TrimRight(fmt.Sprintf("%f", b.Value), "0"), ".")))
	}
}

func krAddLine(oref string, p phrasings.KeyResult) string {
	line := "/okr kr add " + oref + " " + p.Text
	keys := make([]string, 0, len(p.Options))
	for k := range p.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		line += " --" + k
		if v := p.Options[k]; v != "" {
			line += ` "` + v + `"`
		}
	}
	return line
}

// TestKeyResultPhrasingsThroughCommands types every phrasing of the table
// as /okr kr add, stores it in the real store, and checks what is stored
// and that the answer echoes what was understood; then it types every
// phrasing that must be asked about or refused, and checks that they left
// the store as it was, refs included.
func TestKeyResultPhrasingsThroughCommands(t *testing.T) {
	f := newFixture(t)
	f.withPhrasingKPIs()
	objectives, inCurrent := 0, domain.MaxKRs
	type added struct {
		p    phrasings.KeyResult
		line string
		oref string
		n    int // its place in the objective
	}
	var stored []added
	var refused []phrasings.KeyResult
	for _, p := range phrasings.KeyResults {
		if p.Code != "" {
			refused = append(refused, p)
			continue
		}
		if inCurrent == domain.MaxKRs {
			objectives++
			f.must("ada", fmt.Sprintf("/okr create Phrasings %d", objectives))
			inCurrent = 0
		}
		oref := fmt.Sprintf("O-%d", objectives)
		line := krAddLine(oref, p)
		r, text := f.run("ada", line)
		if r.Failed() {
			t.Errorf("%s: %s: %s", line, r.Code, text)
			continue
		}
		stored = append(stored, added{p, line, oref, inCurrent})
		inCurrent++
		if p.Kind != domain.Milestone && !strings.Contains(text, "Understood: ") {
			t.Errorf("%s: the answer does not echo what was understood:\n%s", line, text)
		}
	}
	os, _ := f.st.Objectives(ctx, "slack:T1", domain.ObjectiveFilter{})
	byRef := map[string]domain.Objective{}
	krs := 0
	for _, o := range os {
		byRef[o.Ref] = o
		krs += len(o.KeyResults)
	}
	for _, a := range stored {
		kr := byRef[a.oref].KeyResults[a.n]
		p := a.p
		if kr.Kind != p.Kind || math.Abs(kr.Start-p.Start) > 1e-6 || math.Abs(kr.Target-p.Target) > 1e-6 || kr.Unit != p.Unit && !(p.Unit == "" && kr.Unit != "" && p.Options["kpi"] != "") {
			t.Errorf("%s stored %s %v → %v %q, want %s %v → %v %q", a.line, kr.Kind, kr.Start, kr.Target, kr.Unit, p.Kind, p.Start, p.Target, p.Unit)
		}
		if kr.Title != strings.Join(strings.Fields(p.Text), " ") {
			t.Errorf("%s: title %q is not as typed", a.line, kr.Title)
		}
	}
	// Every question and refusal, against one snapshot: none may change anything.
	f.must("ada", "/okr create Questions")
	qref := fmt.Sprintf("O-%d", len(os)+1)
	before := f.snapshot()
	n := 0
	for _, p := range refused {
		if strings.TrimSpace(p.Text) == "" {
			continue // the command grammar asks for a text before the parser sees it
		}
		n++
		line := krAddLine(qref, p)
		r, text := f.run("ada", line)
		if r.Code != p.Code {
			t.Errorf("%s: code %q, want %q: %s", line, r.Code, p.Code, text)
		}
		if p.Code == domain.EAMBIGUOUS && strings.Count(text, "• ") < 2 {
			t.Errorf("%s: asked without readings to choose from:\n%s", line, text)
		}
		if p.Code == domain.EINVALID && !strings.Contains(text, "Example:") {
			t.Errorf("%s: refused without an example:\n%s", line, text)
		}
	}
	if after := f.snapshot(); after != before {
		t.Errorf("questions and refusals changed the store:\n%s\n---\n%s", before, after)
	}
	if n < 20 {
		t.Errorf("only %d refused or asked phrasings", n)
	}
	// No question or refusal used up a ref.
	f.assertNextRefs(fmt.Sprintf("O-%d", len(os)+2), fmt.Sprintf("KR-%d", krs+1))
}

// TestAskedReadingsRunAsTyped runs, for every question /okr kr add asks,
// each offered command that needs nothing filled in: each is taken.
func TestAskedReadingsRunAsTyped(t *testing.T) {
	f := newFixture(t)
	f.withPhrasingKPIs()
	f.must("ada", "/okr create Readings")
	n := 0
	placeholder := regexp.MustCompile(`\bN\b|<slug>`)
	for _, p := range phrasings.KeyResults {
		if p.Code != domain.EAMBIGUOUS {
			continue
		}
		r, _ := f.run("ada", krAddLine("O-1", p))
		for _, l := range r.Message.Sections[0].Lines[1:] {
			cmd := ""
			for _, sp := range l {
				if sp.Style == conversations.Code {
					cmd = sp.Text
				}
			}
			if cmd == "" || placeholder.MatchString(cmd) {
				continue
			}
			o, _ := f.st.Objective(ctx, "slack:T1", fmt.Sprintf("O-%d", 1+n/domain.MaxKRs))
			if len(o.KeyResults) == domain.MaxKRs {
				f.must("ada", fmt.Sprintf("/okr create Readings %d", n))
			}
			cmd = strings.Replace(cmd, "O-1", fmt.Sprintf("O-%d", 1+n/domain.MaxKRs), 1)
			if r2, text := f.run("ada", cmd); r2.Failed() {
				t.Errorf("%q offers %q, which is refused: %s", p.Text, cmd, text)
			}
			n++
		}
	}
	if n < 10 {
		t.Errorf("only %d readings ran", n)
	}
}

// updatePhrasing is /okr update as people type it, and what it saves.
type updatePhrasing struct {
	as, kr, args string
	// What the week's check-in of the key result holds afterwards.
	value      float64
	done       bool
	confidence int
	note       string
	code       string // the refusal instead
}

func TestUpdatePhrasings(t *testing.T) {
	f := newFixture(t)
	f.quarter()
	f.must("ada",
		`/okr kr add O-1 Reduce p95 latency from 800 ms to 200 ms`,       // KR-4
		`/okr kr add O-1 Increase revenue from $1.2M to $2M`,             // KR-5
		`/okr kr add O-1 Increase conversion from 2,5% to 4%`,            // KR-6
		`/okr kr add O-1 Keep uptime above 99.9%`,                        // KR-7
		`/okr kr add O-1 Increase demos from 10 per week to 25 per week`, // KR-8
		`/okr kr add O-1 Increase web signups from 22 to 35 per day`,     // KR-9
		`/okr kr add O-1 Raise engagement score from 6.5/10 to 8/10`,     // KR-10
		`/okr create Grow recurring revenue --cycle 2026-Q4`,             // O-3
		`/okr kr add O-2 Increase MRR from $10k to $20k monthly`,         // KR-11
	)
	admin := "carol"
	table := []updatePhrasing{
		{kr: "KR-2", args: "10 confidence 6", value: 10, confidence: 6},
		{kr: "KR-2", args: "9.5 7", value: 9.5, confidence: 7},
		{kr: "KR-2", args: "9.5 conf 6", value: 9.5, confidence: 6},
		{kr: "KR-2", args: "9 confidence 8 two agents hired", value: 9, confidence: 8, note: "two agents hired"},
		{kr: "KR-2", args: "8.5", value: 8.5, confidence: 8, note: "two agents hired"},
		{kr: "KR-2", args: "8 hours c7", value: 8, confidence: 7, note: "two agents hired"},
		{kr: "KR-2", args: "7,5 h 7/10 fewer tickets", value: 7.5, confidence: 7, note: "fewer tickets"},
		{kr: "KR-2", args: "c5", value: 7.5, confidence: 5, note: "fewer tickets"},
		{kr: "KR-2", args: "conf: 6 escalations down", value: 7.5, confidence: 6, note: "escalations down"},
		{kr: "KR-2", args: "confidence=7", value: 7.5, confidence: 7, note: "escalations down"},
		{kr: "KR-2", args: "7 hrs (8/10)", value: 7, confidence: 8, note: "escalations down"},
		{kr: "KR-2", args: "6.5 8 “$where” is the money", value: 6.5, confidence: 8, note: "“$where” is the money"},
		{kr: "KR-2", args: "6 7 $set everything", value: 6, confidence: 7, note: "$set everything"},
		{kr: "KR-2", args: `6 7 "3 new hires"`, value: 6, confidence: 7, note: "3 new hires"},
		{kr: "KR-2", args: `6 7 {"$gt": ""}`, value: 6, confidence: 7, note: `{"$gt": ""}`},
		{kr: "KR-4", args: "180 ms confidence 9", value: 180, confidence: 9},
		{kr: "KR-4", args: "170ms 8", value: 170, confidence: 8},
		{kr: "KR-4", args: "165ms (c8)", value: 165, confidence: 8},
		{kr: "KR-4", args: "160 ms confidence: 7/10 canary", value: 160, confidence: 7, note: "canary"},
		{kr: "KR-4", args: "155ms c8/10", value: 155, confidence: 8, note: "canary"},
		{kr: "KR-5", args: "$1.5M 7", value: 1.5e6, confidence: 7},
		{kr: "KR-5", args: "1,600,000 conf 7", value: 1.6e6, confidence: 7},
		{kr: "KR-5", args: "1.7M USD 7", value: 1.7e6, confidence: 7},
		{kr: "KR-6", args: "3,1% 6", value: 3.1, confidence: 6},
		{kr: "KR-6", args: "3.2 % 7", value: 3.2, confidence: 7},
		{kr: "KR-6", args: "3.3 percent 7 pricing page live", value: 3.3, confidence: 7, note: "pricing page live"},
		{kr: "KR-3", args: "done 9 signed!", done: true, confidence: 9, note: "signed!"},
		{kr: "KR-3", args: "not done confidence 4 slipped", confidence: 4, note: "slipped"},
		{kr: "KR-1", args: "conf 8 campaign live", value: 22, confidence: 8, note: "campaign live"},
		{kr: "KR-8", args: "12 per week 6", value: 12, confidence: 6},
		{kr: "KR-8", args: "13/week 7", value: 13, confidence: 7},
		{kr: "KR-8", args: "14 7", value: 14, confidence: 7},
		{kr: "KR-7", args: "99.95% 9", value: 99.95, confidence: 9},
		{kr: "KR-7", args: "99.97 c9 all green", value: 99.97, confidence: 9, note: "all green"},
		{kr: "KR-2", args: "done 9", value: 4, done: true, confidence: 9, note: `{"$gt": ""}`},
		// The key result's unit in another spelling, or what it counts, then the confidence.
		{kr: "KR-9", args: "30 9", value: 30, confidence: 9},
		{kr: "KR-9", args: "31 /day 3", value: 31, confidence: 3},
		{kr: "KR-9", args: "27 per day 7", value: 27, confidence: 7},
		{kr: "KR-9", args: "32 signups 2", value: 32, confidence: 2},
		{kr: "KR-9", args: "33 signups per day 4 launch week", value: 33, confidence: 4, note: "launch week"},
		{kr: "KR-9", args: "34 5 of 10", value: 34, confidence: 5, note: "launch week"},
		{kr: "KR-9", args: "35/day 6 out of 10 all good", value: 35, confidence: 6, note: "all good"},
		{kr: "KR-9", args: "36 conf 7 of 10", value: 36, confidence: 7, note: "all good"},
		{kr: "KR-9", args: "37 signups slower than hoped", value: 37, confidence: 7, note: "signups slower than hoped"},
		{kr: "KR-9", args: "3.5 5 of 10", value: 3.5, confidence: 5, note: "signups slower than hoped"},
		{kr: "KR-10", args: "7/10 8", value: 7, confidence: 8},
		{kr: "KR-10", args: "7.2 8/10", value: 7.2, confidence: 8},
		{kr: "KR-10", args: "7.4/10 conf 6", value: 7.4, confidence: 6},
		// The parts separated as in a sentence: commas, semicolons, dashes.
		{kr: "KR-9", args: "35, conf 6, slow month", value: 35, confidence: 6, note: "slow month"},
		{kr: "KR-9", args: "34, 7", value: 34, confidence: 7, note: "slow month"},
		{kr: "KR-9", args: "33; confidence 8; webinar moved, again", value: 33, confidence: 8, note: "webinar moved, again"},
		{kr: "KR-9", args: "32 - c7 - partner launch", value: 32, confidence: 7, note: "partner launch"},
		{kr: "KR-9", args: "31 per day, 6/10 — holidays", value: 31, confidence: 6, note: "holidays"},
		{kr: "KR-9", args: "30 | 5 | quiet week", value: 30, confidence: 5, note: "quiet week"},
		{kr: "KR-2", args: "7,5 h, 7, fewer tickets", value: 7.5, confidence: 7, note: "fewer tickets"},
		{kr: "KR-3", args: "done, 9, signed!", done: true, confidence: 9, note: "signed!"},
		{kr: "KR-3", args: "Done!! 9", done: true, confidence: 9, note: "signed!"},
		{kr: "KR-3", args: "not done, confidence 4, legal review", confidence: 4, note: "legal review"},
		{kr: "KR-9", args: `29, conf 6, "2 webinars next week"`, value: 29, confidence: 6, note: "2 webinars next week"},
		// A value in its key result's currency, its rate said or not.
		{kr: "KR-11", args: "12k 7", value: 12000, confidence: 7},
		{kr: "KR-11", args: "$13k 7", value: 13000, confidence: 7},
		{kr: "KR-11", args: "$14k monthly 7", value: 14000, confidence: 7},
		{kr: "KR-11", args: "$15k/mo conf 8", value: 15000, confidence: 8},
		// An admin's update is that week's check-in of the owner's, not a second one.
		{as: admin, kr: "KR-2", args: "5 6 by carol", value: 5, confidence: 6, note: "by carol"},

		// Refused with an example; nothing saved.
		{kr: "KR-2", args: "9.5 conf eleven", code: domain.EINVALID},
		{kr: "KR-2", args: "9.5 confidence 11", code: domain.EINVALID},
		{kr: "KR-2", args: "9.5 c12", code: domain.EINVALID},
		{kr: "KR-2", args: "9.5 confidence", code: domain.EINVALID},
		{kr: "KR-2", args: "ten confidence 7", code: domain.EINVALID},
		{kr: "KR-2", args: "9,5,3 7", code: domain.EINVALID},
		{kr: "KR-2", args: "200 ms 7", code: domain.EINVALID},
		{kr: "KR-2", args: "9 conf 7 8", code: domain.EINVALID},
		{kr: "KR-2", args: "9 7 conf 8", code: domain.EINVALID},
		{kr: "KR-2", args: "great week", code: domain.EINVALID},
		{kr: "KR-2", args: "", code: domain.EINVALID},
		{kr: "KR-6", args: "3% 11", code: domain.EINVALID},
		{kr: "KR-3", args: "42 confidence 7", code: domain.EINVALID},
		{kr: "KR-1", args: "40 confidence 7", code: domain.EINVALID},
		{kr: "KR-7", args: "done 9", code: domain.EINVALID},
		{kr: "KR-5", args: "€1.5M 7", code: domain.EINVALID},
		{kr: "KR-5", args: "1.5M 7 8", code: domain.EINVALID},
		{kr: "KR-9", args: "31 /week 3", code: domain.EINVALID},
		{kr: "KR-9", args: "31 per week 3", code: domain.EINVALID},
		{kr: "KR-9", args: "32 visitors 2", code: domain.EINVALID},
		{kr: "KR-9", args: "32 visitors 2/10", code: domain.EINVALID},
		{kr: "KR-9", args: "32, 6, 7", code: domain.EINVALID},
		{kr: "KR-11", args: "€16k 7", code: domain.EINVALID},
		// A dash before the value is no separator (nor a sign: "-12"), and a
		// bare number after a dash may start a note: asked, never guessed.
		{kr: "KR-9", args: "- 12, 7", code: domain.EINVALID},
		// A sign says a change, not where it stands: asked.
		{kr: "KR-9", args: "+8 c7", code: domain.EINVALID},
		{kr: "KR-9", args: "-3 conf 6", code: domain.EINVALID},
		{kr: "KR-6", args: "−0.4% 7", code: domain.EINVALID},
		// A number ending the note, with no confidence: asked, never the last kept.
		{kr: "KR-9", args: "33 feeling good 7", code: domain.EINVALID},
		{kr: "KR-9", args: "– 12 7", code: domain.EINVALID},
		{kr: "KR-9", args: "— 12, conf 7", code: domain.EINVALID},
		{kr: "KR-9", args: "30 - 5 new deals", code: domain.EINVALID},
		{kr: "KR-2", args: "5 – 6", code: domain.EINVALID},
		{kr: "KR-11", args: "$16k/week 7", code: domain.EINVALID},
		{kr: "KR-9", args: "32, conf 6, conf 7", code: domain.EINVALID},
		{kr: "KR-9", args: "- , ;", code: domain.EINVALID},
		// Asked: which number is meant.
		{kr: "KR-2", args: "1.200 7", code: domain.EAMBIGUOUS},
		{kr: "KR-2", args: "12m 7", code: domain.EAMBIGUOUS},
	}
	saved := 0
	var before string // the store before the first refusal; the refusals come last
	for i, tt := range table {
		if tt.code != "" && before == "" {
			before = f.snapshot()
		}
		if tt.code == "" && before != "" {
			t.Fatalf("row %d: saved rows must come before the refused ones", i)
		}
		who := "ada"
		a := actor("ada")
		if tt.as != "" {
			who, a = tt.as, actor(tt.as)
			a.Admin = true
		}
		line := strings.TrimSpace("update " + tt.kr + " " + tt.args)
		r := f.svc.Command(ctx, a, "okr", line)
		text := conversations.PlainText(r.Message)
		if tt.code != "" {
			if r.Code != tt.code {
				t.Errorf("%s: code %q, want %q: %s", line, r.Code, tt.code, text)
			}
			if tt.code == domain.EINVALID && !strings.Contains(text, "Example:") {
				t.Errorf("%s: refused without an example: %s", line, text)
			}
			continue
		}
		if r.Failed() {
			t.Errorf("%s by %s: %s: %s", line, who, r.Code, text)
			continue
		}
		saved++
		cs, _ := f.st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{KRs: []string{tt.kr}})
		if len(cs) != 1 {
			t.Errorf("%s: %d check-ins of %s this week, want one", line, len(cs), tt.kr)
			continue
		}
		c := cs[0]
		if math.Abs(c.Value-tt.value) > 1e-9 || c.Done != tt.done || c.Confidence != tt.confidence || c.Note != tt.note || c.UserID != "ada" {
			t.Errorf("%s saved value %v done %v confidence %d note %q for %s; want %v %v %d %q for ada",
				line, c.Value, c.Done, c.Confidence, c.Note, c.UserID, tt.value, tt.done, tt.confidence, tt.note)
		}
		if tt.as != "" && c.By != tt.as {
			t.Errorf("%s: typed by %q, want %q", line, c.By, tt.as)
		}
		if !strings.Contains(text, "Saved for week 47: ") || !strings.Contains(text, fmt.Sprintf("confidence %d/10", tt.confidence)) {
			t.Errorf("%s: the answer does not say what was saved:\n%s", line, text)
		}
		if tt.note != "" && !strings.Contains(text, tt.note) {
			t.Errorf("%s: the answer does not show the note %q:\n%s", line, tt.note, text)
		}
	}
	if after := f.snapshot(); after != before {
		t.Errorf("refused updates changed the store:\n%s\n---\n%s", before, after)
	}
	if saved < 30 {
		t.Errorf("only %d update phrasings saved", saved)
	}
	f.assertNextRefs("O-3", "KR-12")
	t.Logf("%d update phrasings: %d saved, %d refused or asked", len(table), saved, len(table)-saved)
}

func TestUpdateOfANeverMeasuredKeyResultIsNoZero(t *testing.T) {
	f := newFixture(t)
	f.quarter()
	f.must("ada", `/okr kr add O-1 Keep uptime above 99.9%`) // KR-4, never measured
	text := f.must("ada", `/okr update KR-4 c8`)
	if !strings.Contains(text, "not a check-in") {
		t.Errorf("a confidence alone on an unmeasured key result: %s", text)
	}
	if cs, _ := f.st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{KRs: []string{"KR-4"}}); len(cs) != 0 {
		t.Errorf("a confidence alone recorded a value: %+v", cs)
	}
	o, _ := f.st.Objective(ctx, "slack:T1", "O-1")
	if kr := o.KeyResult("KR-4"); kr.Measured || kr.Confidence != 8 {
		t.Errorf("KR-4 = %+v, want unmeasured with confidence 8", kr)
	}
}

// TestCheckInFormSkipsWhatWasNeverMeasured: in the form, an unmeasured
// key result must be given a value or skipped, and a skipped one is not a
// check-in of 0; a measured one keeps its value on an empty answer.
func TestCheckInFormSkipsWhatWasNeverMeasured(t *testing.T) {
	f := newFixture(t)
	f.quarter()
	f.must("ada", `/okr kr add O-1 Keep uptime above 99.9%`, `/okr update KR-2 10 confidence 6`)
	r, _ := f.run("ada", `/okr checkin`)
	var uptime, response conversations.Input
	for _, s := range r.Form.Sections {
		for _, in := range s.Inputs {
			switch in.ID {
			case "value/KR-4":
				uptime = in
			case "value/KR-2":
				response = in
			}
		}
	}
	if uptime.Skip != "skip" || uptime.Initial != "" || uptime.Placeholder != "" || !uptime.Optional {
		t.Errorf("an unmeasured key result's input offers a value: %+v", uptime)
	}
	if response.Initial != "10" || response.Skip != "" {
		t.Errorf("a measured key result's input does not keep its value: %+v", response)
	}
	for _, skip := range []string{"", "skip"} {
		values := map[string]string{"value/KR-4": skip, "confidence/KR-4": "", "value/KR-2": "", "confidence/KR-2": "7", "value/KR-3": "not done", "confidence/KR-3": "8", "confidence/KR-1": "7"}
		res := f.svc.Submit(ctx, actor("ada"), conversations.Submission{Form: r.Form.ID, State: r.Form.State, Values: values})
		if len(res.Errors) > 0 || res.Failed() {
			t.Fatalf("submit with %q: %+v", skip, res)
		}
		if text := conversations.PlainText(res.Message); !strings.Contains(text, "KR-4 skipped") {
			t.Errorf("the answer does not say KR-4 was skipped:\n%s", text)
		}
		if cs, _ := f.st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{KRs: []string{"KR-4"}}); len(cs) != 0 {
			t.Errorf("a skipped key result has a check-in: %+v", cs)
		}
		o, _ := f.st.Objective(ctx, "slack:T1", "O-1")
		if kr := o.KeyResult("KR-4"); kr.Measured || kr.Progress() != 0 {
			t.Errorf("skipped KR-4 = %+v", kr)
		}
		cs, _ := f.st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{KRs: []string{"KR-2"}})
		if len(cs) != 1 || cs[0].Value != 10 || cs[0].Confidence != 7 {
			t.Errorf("KR-2 did not keep its value: %+v", cs)
		}
	}
}

func TestUserWordsAreKeptLiterally(t *testing.T) {
	f := newFixture(t)
	f.must("ada", `/okr create $where this.owner`)
	f.must("ada", `/okr kr add O-1 Win “enterprise” deals in the "Nordics"`)
	f.must("ada", `/okr kr add O-1 $set everything`)
	f.must("ada", `/okr update KR-1 done 8 $where is the money`)
	o, _ := f.st.Objective(ctx, "slack:T1", "O-1")
	if o.Title != "$where this.owner" || o.KeyResults[0].Title != `Win “enterprise” deals in the "Nordics"` || o.KeyResults[1].Title != "$set everything" {
		t.Errorf("text changed: %q, %q, %q", o.Title, o.KeyResults[0].Title, o.KeyResults[1].Title)
	}
	cs, _ := f.st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{KRs: []string{"KR-1"}})
	if len(cs) != 1 || cs[0].Note != "$where is the money" {
		t.Errorf("note %+v", cs)
	}
	f.must("ada", `/okr create "Grow the Nordic market"`)
	if o, _ := f.st.Objective(ctx, "slack:T1", "O-2"); o.Title != "Grow the Nordic market" {
		t.Errorf("a title quoted as a whole keeps its quotes: %q", o.Title)
	}
}

func TestEditKeepsHistoryAndCheckIns(t *testing.T) {
	f := newFixture(t)
	f.quarter()
	f.must("bob", `/okr create Bob's company objective`)
	f.must("ada", `/okr update KR-2 10 confidence 6 first week`)
	text := f.must("ada", `/okr edit O-1 Grow the Nordic market --owner @bob --cycle 2027-Q1 --committed --parent O-2 --team #nordics`)
	for _, want := range []string{"title: Grow the European market → Grow the Nordic market", "owner: @Ada → @Bob", "cycle: 2026-Q4 → 2027-Q1", "commitment: aspirational → committed", "parent: none → O-2", "team: none → nordics"} {
		if !strings.Contains(text, want) {
			t.Errorf("the answer lacks %q:\n%s", want, text)
		}
	}
	f.must("bob", `/okr edit O-1 --parent none`)
	f.must("bob", `/okr kr edit KR-2 --target 3`)
	o, _ := f.st.Objective(ctx, "slack:T1", "O-1")
	kr := o.KeyResult("KR-2")
	if kr.Target != 3 || kr.Title != "Reduce response time from 12h to 3h" || kr.Kind != domain.Decrease || kr.Current != 10 {
		t.Errorf("KR-2 after --target 3: %+v", kr)
	}
	text = f.must("bob", `/okr kr edit KR-2 Reduce support response time from 12 hours to 4 hours`)
	if !strings.Contains(text, "Understood: decrease from 12 hours to 4 hours") {
		t.Errorf("re-parsed text not echoed:\n%s", text)
	}
	// A unit change with check-ins asks first; --yes relabels.
	r, text := f.run("bob", `/okr kr edit KR-2 --unit min`)
	if r.Failed() || len(r.Message.Sections[0].Buttons) != 2 || !strings.Contains(text, "1 check-in recorded in hours") {
		t.Errorf("unit change did not ask: %s", text)
	}
	btn := r.Message.Sections[0].Buttons[0]
	if r := f.svc.Action(ctx, actor("bob"), btn.Action, btn.Value); r.Failed() {
		t.Fatalf("confirm: %s", conversations.PlainText(r.Message))
	}
	o, _ = f.st.Objective(ctx, "slack:T1", "O-1")
	if o.Title != "Grow the Nordic market" || o.Owner != "bob" || o.Cycle != "2027-Q1" || o.Commitment != domain.Committed || o.Parent != "" || o.Team != "nordics" {
		t.Errorf("objective after edits: %+v", o)
	}
	if kr := o.KeyResult("KR-2"); kr.Unit != "min" || kr.Title != "Reduce support response time from 12 hours to 4 hours" {
		t.Errorf("KR-2 after edits: %+v", kr)
	}
	// The check-ins survive every edit.
	if cs, _ := f.st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{KRs: []string{"KR-2"}}); len(cs) != 1 || cs[0].Note != "first week" {
		t.Errorf("check-ins after edits: %+v", cs)
	}
	fields := map[string]bool{}
	for _, c := range o.History {
		fields[c.Ref+" "+c.Field] = true
		if c.At.IsZero() || c.By == "" {
			t.Errorf("change without who or when: %+v", c)
		}
	}
	for _, want := range []string{"O-1 title", "O-1 owner", "O-1 cycle", "O-1 commitment", "O-1 parent", "O-1 team", "KR-2 target", "KR-2 title", "KR-2 unit"} {
		if !fields[want] {
			t.Errorf("history lacks %s: %+v", want, o.History)
		}
	}
	_, text = f.run("ada", `/okr show O-1`)
	if !strings.Contains(text, "Changes") || !strings.Contains(text, "KR-2 target: 4h → 3h") || !strings.Contains(text, "@Bob") {
		t.Errorf("show does not show the history:\n%s", text)
	}
	_, text = f.run("ada", `/okr show KR-2`)
	if !strings.Contains(text, "unit: hours → min") {
		t.Errorf("show KR does not show its history:\n%s", text)
	}
	// Nothing to change is said, not done.
	if r, text := f.run("bob", `/okr edit O-1 Grow the Nordic market`); r.Failed() || !strings.Contains(text, "Nothing to change") {
		t.Errorf("an edit to the same: %s", text)
	}
}

func TestEditFormsOnEveryField(t *testing.T) {
	f := newFixture(t)
	f.quarter()
	r, _ := f.run("ada", `/okr edit O-1`)
	if r.Form == nil || r.Form.ID != conversations.FormEditObjective {
		t.Fatalf("no edit form: %+v", r)
	}
	ids := map[string]string{}
	for _, in := range r.Form.Sections[0].Inputs {
		ids[in.ID] = in.Initial
	}
	for _, id := range []string{"title", "owner", "team", "cycle", "commitment", "parent"} {
		if _, ok := ids[id]; !ok {
			t.Errorf("the objective form has no %s", id)
		}
	}
	ids["title"], ids["owner"], ids["commitment"] = "Grow the DACH market", "U0BOB", "committed"
	res := f.svc.Submit(ctx, actor("ada"), conversations.Submission{Form: r.Form.ID, State: r.Form.State, Values: ids})
	if res.Failed() || len(res.Errors) > 0 {
		t.Fatalf("submit: %+v", res)
	}
	// The form's state is the version: a second submission of the same form is stale.
	admin := actor("carol")
	admin.Admin = true
	ids["title"] = "Stale"
	if res := f.svc.Submit(ctx, admin, conversations.Submission{Form: r.Form.ID, State: r.Form.State, Values: ids}); res.Code != domain.ECONFLICT {
		t.Errorf("a stale form was saved: %+v", res)
	}
	o, _ := f.st.Objective(ctx, "slack:T1", "O-1")
	if o.Title != "Grow the DACH market" || o.Owner != "U0BOB" || o.Commitment != domain.Committed {
		t.Errorf("after the form: %+v", o)
	}
	// Someone who owns neither the objective nor the key result has no form.
	if r, _ = f.run("dan", `/okr kr edit KR-2`); r.Code != domain.EFORBIDDEN {
		t.Fatalf("a stranger edits a key result: %+v", r)
	}
	// The key result form: a field error stays on its field, and writes nothing.
	r = f.svc.Command(ctx, admin, "okr", "kr edit KR-2")
	if r.Form == nil || r.Form.ID != conversations.FormEditKR {
		t.Fatalf("no key result form: %+v", r)
	}
	values := map[string]string{}
	for _, in := range r.Form.Sections[0].Inputs {
		values[in.ID] = in.Initial
	}
	before := f.snapshot()
	values["target"] = "lots"
	if res := f.svc.Submit(ctx, admin, conversations.Submission{Form: r.Form.ID, State: r.Form.State, Values: values}); res.Errors["target"] == "" {
		t.Errorf("a bad target: %+v", res)
	}
	if after := f.snapshot(); after != before {
		t.Error("a refused form changed the store")
	}
	values["target"] = "2"
	if res := f.svc.Submit(ctx, admin, conversations.Submission{Form: r.Form.ID, State: r.Form.State, Values: values}); res.Failed() || len(res.Errors) > 0 {
		t.Fatalf("key result form: %+v", res)
	}
	o, _ = f.st.Objective(ctx, "slack:T1", "O-1")
	if kr := o.KeyResult("KR-2"); kr.Target != 2 || kr.Title != "Reduce response time from 12h to 2h" {
		t.Errorf("KR-2 after its form: %+v", kr)
	}
	// The KPI form.
	r, _ = f.run("ada", `/kpi edit web-leads`)
	if r.Form == nil || r.Form.ID != conversations.FormEditKPI {
		t.Fatalf("no KPI form: %+v", r)
	}
	kv := map[string]string{}
	for _, in := range r.Form.Sections[0].Inputs {
		kv[in.ID] = in.Initial
	}
	kv["name"], kv["warn"], kv["target"] = "Inbound leads", "", "40"
	if res := f.svc.Submit(ctx, actor("ada"), conversations.Submission{Form: r.Form.ID, State: r.Form.State, Values: kv}); res.Failed() || len(res.Errors) > 0 {
		t.Fatalf("KPI form: %+v", res)
	}
	k, _ := f.st.KPI(ctx, "slack:T1", "web-leads")
	if k.Name != "Inbound leads" || k.Warn != nil || k.Target == nil || *k.Target != 40 || len(k.History) != 3 {
		t.Errorf("KPI after its form: %+v", k)
	}
	// Every form can be had again (Teams re-sends a card with its errors).
	for _, id := range [][2]string{{conversations.FormEditKPI, "web-leads"}, {conversations.FormEditKR, "KR-2@1"}, {conversations.FormEditObjective, "O-1@1"}} {
		if form, err := f.svc.Form(ctx, admin, id[0], id[1]); err != nil || form == nil || form.State != id[1] {
			t.Errorf("Form(%s, %s) = %+v, %v", id[0], id[1], form, err)
		}
	}
	if conversations.OpensForm("okr", "edit O-1") != true || conversations.OpensForm("okr", "edit O-1 New") || !conversations.OpensForm("kpi", "edit web-leads") || !conversations.OpensForm("okr", "kr edit KR-2") {
		t.Error("OpensForm does not match the commands that open forms")
	}
}

func TestGradeAsksThenClosesAndReopens(t *testing.T) {
	f := newFixture(t)
	f.quarter()
	before := f.snapshot()
	r, text := f.run("ada", `/okr grade O-1`)
	if r.Code != domain.EINVALID || !strings.Contains(text, "/okr grade O-1 0.00") {
		t.Errorf("grade without a value: %s", text)
	}
	r, text = f.run("ada", `/okr grade O-1 0.7 two of three markets`)
	if r.Failed() || len(r.Message.Sections[0].Buttons) != 2 || !strings.Contains(text, "and close it?") {
		t.Fatalf("grade did not ask to confirm: %s", text)
	}
	if after := f.snapshot(); after != before {
		t.Fatal("asking to confirm changed the store")
	}
	btn := r.Message.Sections[0].Buttons[0]
	if !strings.HasSuffix(btn.Command, "--yes") {
		t.Errorf("the button's typed form: %q", btn.Command)
	}
	// Another person cannot press it to grade.
	if r := f.svc.Action(ctx, actor("bob"), btn.Action, btn.Value); r.Code != domain.EFORBIDDEN {
		t.Errorf("bob pressed grade: %+v", r)
	}
	if r := f.svc.Action(ctx, actor("ada"), btn.Action, btn.Value); r.Failed() || !strings.Contains(conversations.PlainText(r.Message), "Graded O-1") {
		t.Fatalf("confirm: %s", conversations.PlainText(r.Message))
	}
	o, _ := f.st.Objective(ctx, "slack:T1", "O-1")
	if o.Status != domain.Closed || o.Grade == nil || *o.Grade != 0.7 || o.GradeNote != "two of three markets" {
		t.Fatalf("after grading: %+v", o)
	}
	if r, _ := f.run("ada", `/okr grade O-1 0.8 --yes`); r.Code != domain.EINVALID {
		t.Error("a closed objective was graded again")
	}
	f.must("ada", `/okr reopen O-1`)
	o, _ = f.st.Objective(ctx, "slack:T1", "O-1")
	if o.Status != domain.Active || o.Grade != nil || len(o.History) != 2 || o.History[1].From != "closed, graded 0.70" {
		t.Errorf("after reopening: %+v", o)
	}
	f.must("ada", `/okr update KR-2 10 confidence 6`)
	// A forged confirm button runs nothing but confirmable commands.
	if r := f.svc.Action(ctx, actor("ada"), conversations.ActionConfirm, "okr settings timezone Asia/Tokyo"); !r.Failed() {
		t.Error("a confirm button ran a command that never asks to confirm")
	}
}

func TestKPIEditAndArchive(t *testing.T) {
	f := newFixture(t)
	f.quarter()
	text := f.must("ada", `/kpi edit web-leads name "Inbound leads" target 40 warn 30 alert none every week`)
	for _, want := range []string{"name: Web leads → Inbound leads", "target: 35/day → 40/day", "warn: 25/day → 30/day", "alert: 15/day → none", "cadence: every day → every week"} {
		if !strings.Contains(text, want) {
			t.Errorf("the answer lacks %q:\n%s", want, text)
		}
	}
	k, _ := f.st.KPI(ctx, "slack:T1", "web-leads")
	if k.Name != "Inbound leads" || *k.Target != 40 || *k.Warn != 30 || k.Alert != nil || k.Cadence != domain.Weekly || len(k.History) != 5 || k.Latest == nil {
		t.Errorf("edited KPI %+v", k)
	}
	// KR-1 follows it: archiving is refused, until it is unlinked.
	if r, text := f.run("ada", `/kpi archive web-leads`); r.Code != domain.EINVALID || !strings.Contains(text, "KR-1") {
		t.Errorf("archived a KPI a key result follows: %s", text)
	}
	f.must("ada", `/okr kr edit KR-1 --kpi none`, `/kpi archive web-leads`)
	f.archived = []string{"web-leads"}
	if ks, _ := f.st.KPIs(ctx, "slack:T1"); len(ks) != 0 {
		t.Errorf("archived KPI listed: %+v", ks)
	}
	before := f.snapshot()
	for _, line := range []string{`/kpi set web-leads 30`, `/okr kr add O-1 Reach 40 leads --kpi web-leads`} {
		if r, text := f.run("ada", line); r.Code != domain.EINVALID {
			t.Errorf("%s on an archived KPI: %s", line, text)
		}
	}
	if f.snapshot() != before {
		t.Error("refused commands on an archived KPI changed the store")
	}
	_, text = f.run("ada", `/kpi show web-leads`)
	if !strings.Contains(text, "archived") || !strings.Contains(text, "archived: no → yes") {
		t.Errorf("show of an archived KPI:\n%s", text)
	}
	f.must("ada", `/kpi unarchive web-leads`, `/kpi set web-leads 30`)
	// A unit change with values asks first.
	if r, text := f.run("ada", `/kpi edit web-leads unit /week`); r.Failed() || len(r.Message.Sections[0].Buttons) != 2 {
		t.Errorf("unit change did not ask: %s", text)
	}
	if k, _ := f.st.KPI(ctx, "slack:T1", "web-leads"); k.Unit != "/day" {
		t.Error("asking changed the unit")
	}
	f.must("ada", `/kpi edit web-leads unit /week --yes`)
	if k, _ := f.st.KPI(ctx, "slack:T1", "web-leads"); k.Unit != "/week" {
		t.Errorf("unit %q", k.Unit)
	}
	if r, _ := f.run("bob", `/kpi edit web-leads target 50`); r.Code != domain.EFORBIDDEN {
		t.Error("someone else edited the KPI")
	}
	// The value's unit is accepted as written.
	f.must("ada", `/kpi set web-leads 27/week campaign`)
	if r, _ := f.run("ada", `/kpi set web-leads 27/day`); r.Code != domain.EINVALID {
		t.Error("a value in another unit was recorded")
	}
}

func TestHelpListsEveryCommandWithRelativeDates(t *testing.T) {
	f := newFixture(t)
	// Two years on, no example names a date already past.
	f.clock.t = friday.AddDate(2, 1, 0)
	_, text := f.run("ada", `/okr help`)
	for _, want := range []string{"create", "--aspirational", "--cycle", "--parent", "--team", "kr add", "--kpi", "--owner", "--weight",
		"--start", "--target", "--unit", "--milestone", "list", "show", "edit O-3", "kr edit", "align", "grade", "--yes", "reopen",
		"delete", "checkin", "update", "away until", "back", "digest preview", "digest subscribe", "--company", "digest unsubscribe",
		"settings", "/kpi create", "/kpi set", "/kpi show", "/kpi list", "/kpi edit", "/kpi archive", "/kpi unarchive"} {
		if !strings.Contains(text, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	// "on <yesterday>" records a value for a past day: it is the only past date, and relative too.
	today := f.clock.t.AddDate(0, 0, -1).Format(time.DateOnly)
	for _, d := range regexp.MustCompile(`\d{4}-\d{2}-\d{2}`).FindAllString(text, -1) {
		if d < today {
			t.Errorf("help names %s, already past on %s", d, today)
		}
	}
	for _, c := range regexp.MustCompile(`\d{4}-Q\d`).FindAllString(text, -1) {
		if c < string(domain.CycleOf(f.clock.t, time.UTC)) {
			t.Errorf("help names the past cycle %s", c)
		}
	}
	// Error examples too.
	_, text = f.run("ada", `/okr away until someday`)
	for _, d := range regexp.MustCompile(`\d{4}-\d{2}-\d{2}`).FindAllString(text, -1) {
		if d < today {
			t.Errorf("away example names %s: %s", d, text)
		}
	}
	// Did you mean.
	for line, want := range map[string]string{`/okr updte KR-1 3`: "did you mean /okr update", `/okr chekin`: "did you mean /okr checkin",
		`/kpi archve x`: "did you mean /kpi archive", `/okr kr edti KR-1`: "did you mean /okr kr edit", `/okr edit O-1 --ownr @x`: "did you mean --owner"} {
		if _, text := f.run("ada", line); !strings.Contains(text, want) {
			t.Errorf("%s: %s", line, text)
		}
	}
}

// TestOffScaleValuesAreConfirmed: a value far off its key result's scale
// (a magnitude or a unit slipped) is saved only once confirmed, by the
// button or --yes; the check-in form refuses it on its field.
func TestOffScaleValuesAreConfirmed(t *testing.T) {
	f := newFixture(t)
	f.quarter()
	f.must("ada",
		`/okr kr add O-1 Increase conversion from 2.5% to 4%`, // KR-4
		`/okr kr add O-1 Grow MRR from €1.2M to €2M`,          // KR-5
	)
	for _, tt := range []struct{ kr, args, want string }{
		{"KR-4", "50k 7", "50,000%"},
		{"KR-5", "1.5 8", "€1.5"},
		{"KR-2", "400 7", "400h"},
	} {
		before := f.snapshot()
		r, text := f.run("ada", "/okr update "+tt.kr+" "+tt.args)
		if r.Failed() || len(r.Message.Sections[0].Buttons) != 2 || !strings.Contains(text, "Record "+tt.want) || !strings.Contains(text, "far off its scale") {
			t.Errorf("%s %s: no confirmation: %s", tt.kr, tt.args, text)
			continue
		}
		if after := f.snapshot(); after != before {
			t.Errorf("%s %s: saved before it was confirmed", tt.kr, tt.args)
		}
		btn := r.Message.Sections[0].Buttons[0]
		r = f.svc.Action(ctx, actor("ada"), btn.Action, btn.Value)
		if text := conversations.PlainText(r.Message); r.Failed() || !strings.Contains(text, "Saved for week") {
			t.Errorf("%s %s confirmed: %s", tt.kr, tt.args, text)
		}
		o, _ := f.st.Objective(ctx, "slack:T1", "O-1")
		if kr := o.KeyResult(tt.kr); domain.FormatValue(kr.Current, kr.Unit) != tt.want {
			t.Errorf("%s after confirming: %v %s", tt.kr, kr.Current, kr.Unit)
		}
	}
	// --yes confirms as the button does; a value on the scale is not asked about.
	if text := f.must("ada", `/okr update KR-4 0.02 7 --yes`); !strings.Contains(text, "Saved for week 47: 0.02%") {
		t.Errorf("--yes: %s", text)
	}
	if text := f.must("ada", `/okr update KR-4 3.1% 7`); !strings.Contains(text, "Saved for week") {
		t.Errorf("a value on the scale was asked about: %s", text)
	}
	// The form refuses it on its field, with the command that records it.
	r, _ := f.run("ada", `/okr checkin`)
	values := map[string]string{"value/KR-4": "45", "confidence/KR-4": "7", "confidence/KR-1": "7", "value/KR-2": "", "confidence/KR-2": "7",
		"value/KR-3": "not done", "confidence/KR-3": "7", "value/KR-5": "", "confidence/KR-5": "7"}
	before := f.snapshot()
	res := f.svc.Submit(ctx, actor("ada"), conversations.Submission{Form: r.Form.ID, State: r.Form.State, Values: values})
	if msg := res.Errors["value/KR-4"]; !strings.Contains(msg, "far off KR-4's scale") || !strings.Contains(msg, "update KR-4 45 --yes") {
		t.Errorf("form errors %+v", res.Errors)
	}
	if f.snapshot() != before {
		t.Error("the refused form saved something")
	}
}

// TestSkippedRowSaysWhatItKeeps: a key result skipped in the form (no
// value) gets no check-in; a note typed for it is refused on its field
// rather than dropped, and a confidence typed for it is saved on the key
// result and the answer says so (as /okr update's confidence alone does).
func TestSkippedRowSaysWhatItKeeps(t *testing.T) {
	f := newFixture(t)
	f.quarter()
	f.must("ada", `/okr kr add O-1 Keep uptime above 99.9%`, `/okr update KR-2 10 confidence 6`) // KR-4, never measured
	r, _ := f.run("ada", `/okr checkin`)
	values := func(skip, conf, note string) map[string]string {
		return map[string]string{"value/KR-4": skip, "confidence/KR-4": conf, "note/KR-4": note, "value/KR-2": "", "confidence/KR-2": "7",
			"value/KR-3": "not done", "confidence/KR-3": "8", "confidence/KR-1": "7"}
	}
	for _, skip := range []string{"", "skip"} {
		before := f.snapshot()
		res := f.svc.Submit(ctx, actor("ada"), conversations.Submission{Form: r.Form.ID, State: r.Form.State, Values: values(skip, "7", "waiting on monitoring")})
		if msg := res.Errors["note/KR-4"]; !strings.Contains(msg, "no check-in") || !strings.Contains(msg, "Blockers") {
			t.Errorf("skip %q with a note: errors %+v", skip, res.Errors)
		}
		if f.snapshot() != before {
			t.Errorf("skip %q with a note: the refused form saved something", skip)
		}
	}
	res := f.svc.Submit(ctx, actor("ada"), conversations.Submission{Form: r.Form.ID, State: r.Form.State, Values: values("skip", "7", "")})
	text := conversations.PlainText(res.Message)
	if res.Failed() || len(res.Errors) > 0 || !strings.Contains(text, "KR-4 skipped this week: no value, so no check-in; its confidence 7/10 is saved on the key result") {
		t.Errorf("skip with a confidence: %+v\n%s", res.Errors, text)
	}
	o, _ := f.st.Objective(ctx, "slack:T1", "O-1")
	if kr := o.KeyResult("KR-4"); kr.Measured || kr.Confidence != 7 {
		t.Errorf("KR-4 = %+v, want unmeasured with the confidence the answer names", kr)
	}
	if cs, _ := f.st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{KRs: []string{"KR-4"}}); len(cs) != 0 {
		t.Errorf("a skipped key result has a check-in: %+v", cs)
	}
	res = f.svc.Submit(ctx, actor("ada"), conversations.Submission{Form: r.Form.ID, State: r.Form.State, Values: values("skip", "", "")})
	if text := conversations.PlainText(res.Message); strings.Contains(text, "KR-4 skipped this week: no value, so no check-in;") {
		t.Errorf("a kept confidence is announced as saved: %s", text)
	}
}

// TestKPIValuesWithTheirUnit: /kpi set takes the KPI's unit in any
// spelling after the value, never as a note; another unit is refused.
// /kpi edit's direction words are its own, with its own example.
func TestKPIValuesWithTheirUnit(t *testing.T) {
	f := newFixture(t)
	f.quarter() // web-leads in /day
	for _, tt := range []struct {
		line  string
		value float64
		note  string
	}{
		{`/kpi set web-leads 27 per day`, 27, ""},
		{`/kpi set web-leads 28 /day campaign live`, 28, "campaign live"},
		{`/kpi set web-leads 29/day`, 29, ""},
		{`/kpi set web-leads 30 a day good week`, 30, "good week"},
	} {
		f.must("ada", tt.line)
		k, _ := f.st.KPI(ctx, "slack:T1", "web-leads")
		if k.Latest == nil || k.Latest.Value != tt.value || k.Latest.Note != tt.note {
			t.Errorf("%s: latest %+v, want %v with note %q", tt.line, k.Latest, tt.value, tt.note)
		}
	}
	before := f.snapshot()
	r, text := f.run("ada", `/kpi set web-leads 31 per week`)
	if r.Code != domain.EINVALID || !strings.Contains(text, "Example:") {
		t.Errorf("another unit: %s %s", r.Code, text)
	}
	if f.snapshot() != before {
		t.Error("a refused value changed the store")
	}
	// Turning the direction round refuses with this edit's example, not create's.
	r, text = f.run("ada", `/kpi edit web-leads lower`)
	if r.Code != domain.EINVALID || strings.Contains(text, "/kpi create") || !strings.Contains(text, "Example: /kpi edit web-leads lower target 15 warn 25 alert 35") {
		t.Errorf("edit lower: %s", text)
	}
	if f.snapshot() != before {
		t.Error("a refused edit changed the store")
	}
	f.must("ada", `/kpi edit web-leads lower target 15 warn 25 alert 35`)
	if k, _ := f.st.KPI(ctx, "slack:T1", "web-leads"); k.Direction != domain.LowerIsBetter {
		t.Errorf("edit lower with thresholds: %+v", k.Direction)
	}
}

// TestMakingAMilestoneAsksAboutItsValues: a measured key result with
// check-ins made a milestone asks first, in those words (not as a change
// of unit); confirmed, its check-ins stay and it reads not done.
func TestMakingAMilestoneAsksAboutItsValues(t *testing.T) {
	f := newFixture(t)
	f.quarter()
	f.must("ada", `/okr update KR-2 10 confidence 6`)
	before := f.snapshot()
	r, text := f.run("ada", `/okr kr edit KR-2 --milestone`)
	if r.Failed() || len(r.Message.Sections[0].Buttons) != 2 || !strings.Contains(text, "Make it a milestone?") || strings.Contains(text, "unit") {
		t.Fatalf("no milestone confirmation: %s", text)
	}
	if r.Message.Sections[0].Buttons[0].Label != "Make KR-2 a milestone" {
		t.Errorf("button %+v", r.Message.Sections[0].Buttons[0])
	}
	if f.snapshot() != before {
		t.Error("changed before it was confirmed")
	}
	btn := r.Message.Sections[0].Buttons[0]
	if r := f.svc.Action(ctx, actor("ada"), btn.Action, btn.Value); r.Failed() {
		t.Fatalf("confirm: %s", conversations.PlainText(r.Message))
	}
	o, _ := f.st.Objective(ctx, "slack:T1", "O-1")
	if kr := o.KeyResult("KR-2"); kr.Kind != domain.Milestone || kr.Done {
		t.Errorf("KR-2 = %+v", kr)
	}
	if cs, _ := f.st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{KRs: []string{"KR-2"}}); len(cs) != 1 {
		t.Errorf("check-ins after: %+v", cs)
	}
}
