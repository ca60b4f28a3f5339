package slackbot

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/fakeslack"
	"github.com/okrbot/okrbot/storage/storagetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// idReference is the only mrkdwn okrbot sends: a mention or channel
// reference built from an id.
var idReference = regexp.MustCompile(`^<[@#][A-Z0-9]{2,40}>$`)

// checkLimits fails the test when blocks break any of Slack's limits (the
// fake Slack's check, which is Slack's documentation) or our own tighter
// bounds.
func checkLimits(t *testing.T, name string, blocks []slack.Block, max int) {
	t.Helper()
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := fakeslack.CheckBlocks(raw, max); err != nil {
		t.Errorf("%s: %v", name, err)
	}
	for i, b := range blocks {
		switch b := b.(type) {
		case *slack.ContextBlock:
			if len(b.ContextElements.Elements) > maxContextElems {
				t.Errorf("%s: block %d: %d context elements", name, i, len(b.ContextElements.Elements))
			}
			for _, e := range b.ContextElements.Elements {
				if to, ok := e.(*slack.TextBlockObject); ok && utf8.RuneCountInString(to.Text) > maxContextText {
					t.Errorf("%s: block %d: context element of %d characters", name, i, utf8.RuneCountInString(to.Text))
				}
				if to, ok := e.(*slack.TextBlockObject); ok && to.Type == slack.MarkdownType && !idReference.MatchString(to.Text) {
					t.Errorf("%s: block %d: mrkdwn that is not a mention or channel reference: %q", name, i, to.Text)
				}
			}
		case *slack.RichTextBlock:
			n := 0
			for _, el := range b.Elements {
				if s, ok := el.(*slack.RichTextSection); ok {
					for _, x := range s.Elements {
						if te, ok := x.(*slack.RichTextSectionTextElement); ok {
							n += utf8.RuneCountInString(te.Text)
						}
					}
				}
			}
			if n > maxSectionText {
				t.Errorf("%s: block %d: rich text of %d characters", name, i, n)
			}
		case *slack.SectionBlock:
			if b.Text != nil && b.Text.Type == slack.MarkdownType {
				t.Errorf("%s: block %d: a mrkdwn section (user text must not be parsed)", name, i)
			}
		}
	}
}

func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".json")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./bot/slackbot -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from its golden file (go test ./bot/slackbot -run TestGolden -update to accept):\n%s", path, got)
	}
}

// hostile is text a person might type that must appear literally.
const hostile = "Win <!channel> <@U123> *bold* _it_ ~s~ `c` <b>html</b> &amp; <https://evil.example|click>"

func escapingMessage() *conversations.Message {
	return &conversations.Message{
		Summary: "Created O-1 " + hostile,
		Title:   "Title " + hostile,
		Sections: []conversations.Section{
			{
				Heading: conversations.Text{}.AddCode("O-1").Add(" ").AddB(hostile),
				Lines: []conversations.Text{
					conversations.T("owner ").AddUser("U0ADA", "Ada <!here>").Add(" and ").
						Add("").AddChannel("C0GROWTH", "growth").Add(" ").AddBar(0.4, 0.6).AddI(" 40%"),
					{{Text: "ping ", Style: conversations.Plain}, {Text: "Ada", User: "U0ADA", Notify: true}},
				},
				Fields:  []conversations.Field{{Label: "Owner", Value: conversations.Text{}.AddUser("U0ADA", "Ada")}, {Label: "Title", Value: conversations.T(hostile)}},
				Buttons: []conversations.Button{{Label: "Delete O-1", Action: conversations.ActionDeleteConfirm, Value: "O-1", Style: conversations.Danger}, {Label: "Delete O-2", Action: conversations.ActionDeleteConfirm, Value: "O-2"}, {Label: "Cancel", Action: conversations.ActionDeleteCancel}},
				Note:    append(conversations.T("note "+hostile+" for ").AddUser("U0BOB", "Bob").Add(" "), conversations.Span{Text: "Ada", User: "U0ADA", Notify: true}),
			},
		},
	}
}

// TestUserTextStaysLiteral: text a person typed never becomes a mention,
// a link or markup: it goes in rich text and plain_text, which Slack shows
// as is; the only mrkdwn is a notifying mention built from a user id.
func TestUserTextStaysLiteral(t *testing.T) {
	m := escapingMessage()
	blocks := renderBlocks(m, maxMessageBlocks)
	checkLimits(t, "escaping", blocks, maxMessageBlocks)
	raw, _ := json.Marshal(blocks)
	var back []map[string]any
	json.Unmarshal(raw, &back)
	text := fmt.Sprint(back)
	for _, want := range []string{hostile, "@Ada <!here>", "▓▓▓▓░░┃░░░"} {
		if !strings.Contains(text, want) {
			t.Errorf("rendered text lacks %q", want)
		}
	}
	// Mentions: exactly the two Notify spans, never from text.
	if n := strings.Count(string(raw), `"type":"user"`) + strings.Count(string(raw), `\u003c@U0ADA\u003e`); n != 2 {
		t.Errorf("%d mentions, want 2: %s", n, raw)
	}
	if strings.Contains(string(raw), "U123") && !strings.Contains(text, "<@U123>") {
		t.Error("U123 became a mention")
	}
	if strings.Contains(string(raw), `"mrkdwn"`) && strings.Count(string(raw), `"type":"mrkdwn"`) != 1 {
		t.Errorf("mrkdwn used for text: %s", raw)
	}
	if got := fallbackText(m); strings.ContainsAny(got, "<>") {
		t.Errorf("notification text not escaped: %q", got)
	}
	golden(t, "escaping", blocks)
}

// TestGolden renders real answers of the conversations, on the embedded
// store at a fixed moment, and compares them with testdata/*.json.
func TestGolden(t *testing.T) {
	now := time.Date(2026, 11, 20, 15, 30, 0, 0, time.UTC)
	st := storagetest.Open(t, func() time.Time { return now })
	svc := conversations.New(st, conversations.Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	ada := conversations.Actor{Platform: domain.Slack, Workspace: "T0001", User: "U0ADA", Name: "Ada", Channel: "C0GROWTH"}
	run := func(text string) conversations.Reply {
		cmd, args, _ := conversations.SplitCommand(text)
		return svc.Command(ctx, ada, cmd, args)
	}
	help := run("/okr help")
	golden(t, "help", renderBlocks(help.Message, maxMessageBlocks))
	created := run("/okr create Grow the European market --aspirational")
	golden(t, "created", map[string]any{"answer": messageAnswer(created.Message, false), "announce": renderBlocks(created.Announce, maxMessageBlocks)})
	run("/okr kr add O-1 Increase web leads from 22 to 35 per day")
	run("/okr kr add O-1 Hire a VP of sales for Europe")
	run("/okr update KR-1 28 confidence 3 slow month")
	golden(t, "list", renderBlocks(run("/okr list").Message, maxMessageBlocks))
	golden(t, "delete", renderBlocks(run("/okr delete O-1").Message, maxMessageBlocks))
	form := run("/okr checkin").Form
	if form == nil {
		t.Fatal("no check-in form")
	}
	modal, err := renderModal(form, formMeta{Channel: "C0GROWTH"})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "checkin-modal", modal)
	// The edit forms: people and channels are picked, not typed.
	for name, line := range map[string]string{"edit-modal": "/okr edit O-1", "kr-edit-modal": "/okr kr edit KR-1"} {
		f := run(line).Form
		if f == nil {
			t.Fatalf("%s opens no form", line)
		}
		m, err := renderModal(f, formMeta{Channel: "C0GROWTH"})
		if err != nil {
			t.Fatal(err)
		}
		golden(t, name, m)
		raw, _ := json.Marshal(m)
		if err := fakeslack.CheckView(raw); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if !strings.Contains(string(raw), `"users_select"`) || !strings.Contains(string(raw), `"initial_user":"U0ADA"`) {
			t.Errorf("%s: the owner is not a people picker:\n%s", name, raw)
		}
	}
	var vs slack.ViewState
	json.Unmarshal([]byte(`{"values":{"owner":{"value":{"type":"users_select","selected_user":"U0BOB"}},"team":{"value":{"type":"channels_select","selected_channel":"C0NORD"}},"title":{"value":{"type":"plain_text_input","value":"Grow"}}}}`), &vs)
	if v := submittedValues(&vs); v["owner"] != "U0BOB" || v["team"] != "C0NORD" || v["title"] != "Grow" {
		t.Errorf("submitted values %+v", v)
	}
	home, err := svc.Home(ctx, ada)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "home", renderBlocks(home, maxViewBlocks))
	digest, err := svc.Digest(ctx, "slack:T0001", conversations.DigestScope{Company: true}, now)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "digest", renderBlocks(digest, maxMessageBlocks))
	for name, b := range map[string][]slack.Block{
		"help": renderBlocks(help.Message, maxMessageBlocks), "digest": renderBlocks(digest, maxMessageBlocks),
		"home": renderBlocks(home, maxViewBlocks),
	} {
		checkLimits(t, name, b, maxMessageBlocks)
	}
	raw, _ := json.Marshal(modal)
	if err := fakeslack.CheckView(raw); err != nil {
		t.Errorf("check-in modal: %v", err)
	}
}

// TestDigestOf200Objectives: a company with 200 objectives, 600 key results
// at risk, 200 people and 40 KPIs, all with long names full of markup, gets
// a digest that Slack accepts.
func TestDigestOf200Objectives(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 200-objective workspace")
	}
	now := time.Now()
	st := storagetest.Open(t, nil)
	svc := conversations.New(st, conversations.Options{})
	ctx := context.Background()
	boss := conversations.Actor{Platform: domain.Slack, Workspace: "T0001", User: "U0BOSS", Name: "Boss"}
	svc.Command(ctx, boss, "okr", "help") // sets up the workspace
	cycle := domain.CycleOf(now, time.UTC)
	long := strings.Repeat("<!channel> *grow* ", 12)[:190]
	for i := range 200 {
		owner := fmt.Sprintf("U%04d", i)
		if err := st.SaveUser(ctx, domain.User{WorkspaceID: "slack:T0001", ID: owner, Name: fmt.Sprintf("Person %d %s", i, strings.Repeat("x", 70))}); err != nil {
			t.Fatal(err)
		}
		o := &domain.Objective{
			WorkspaceID: "slack:T0001", Ref: fmt.Sprintf("O-%d", i+1), Title: fmt.Sprintf("%d %s", i, long), Owner: owner,
			Team: "C0GROWTH", Cycle: cycle, Commitment: domain.Committed, Status: domain.Active, CreatedBy: owner, CreatedAt: now,
		}
		for k := range 3 {
			o.KeyResults = append(o.KeyResults, domain.KeyResult{
				Ref: fmt.Sprintf("KR-%d", i*3+k+1), Title: "Increase " + long, Kind: domain.Increase,
				Start: 0, Target: 100, Current: float64(k), Measured: true, Weight: 1, Owner: owner, Confidence: 2, UpdatedAt: now,
			})
		}
		if err := st.CreateObjective(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 40 {
		k := domain.KPI{WorkspaceID: "slack:T0001", Slug: fmt.Sprintf("kpi-%d", i), Name: long, Direction: domain.HigherIsBetter, Team: "C0GROWTH"}
		if err := st.CreateKPI(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	for _, scope := range []conversations.DigestScope{{Company: true}, {Channel: "C0GROWTH"}} {
		m, err := svc.Digest(ctx, "slack:T0001", scope, now)
		if err != nil {
			t.Fatal(err)
		}
		blocks := renderBlocks(m, maxMessageBlocks)
		checkLimits(t, fmt.Sprintf("digest %+v", scope), blocks, maxMessageBlocks)
		raw, _ := json.Marshal(blocks)
		if !strings.Contains(string(raw), "more objectives") {
			t.Errorf("the digest does not say how many objectives were left out")
		}
		if len(fallbackText(m)) > maxFallbackText {
			t.Errorf("fallback text too long")
		}
		// The App Home of the busiest person and /okr list all stay within limits too.
		home, _ := svc.Home(ctx, conversations.Actor{Platform: domain.Slack, Workspace: "T0001", User: "U0001"})
		checkLimits(t, "home", renderBlocks(home, maxViewBlocks), maxViewBlocks)
		list := svc.Command(ctx, boss, "okr", "list all")
		checkLimits(t, "list all", renderBlocks(list.Message, maxMessageBlocks), maxMessageBlocks)
	}
}

// TestHugeMessageStaysWithinLimits: whatever the conversations produce, the
// renderer cuts it to what Slack accepts.
func TestHugeMessageStaysWithinLimits(t *testing.T) {
	m := &conversations.Message{Title: strings.Repeat("T", 500), Summary: strings.Repeat("s", 50000)}
	for i := range 200 {
		sec := conversations.Section{Heading: conversations.B(strings.Repeat("h", 4000)), Note: conversations.T(strings.Repeat("n", 5000))}
		for j := range 30 {
			sec.Lines = append(sec.Lines, conversations.T(strings.Repeat("l", 700)).AddUser(fmt.Sprintf("U%d", j), strings.Repeat("u", 300)))
			sec.Buttons = append(sec.Buttons, conversations.Button{Label: strings.Repeat("b", 200), Action: strings.Repeat("a", 300), Value: strings.Repeat("v", 3000)})
			sec.Note = append(sec.Note, conversations.Span{Text: "x", User: fmt.Sprintf("U%03d", j), Notify: true}).Add(strings.Repeat("y", 10))
		}
		sec.Fields = append(sec.Fields, conversations.Field{Label: strings.Repeat("L", 100), Value: conversations.T(strings.Repeat("V", 5000))})
		m.Sections = append(m.Sections, sec)
		_ = i
	}
	for _, max := range []int{maxMessageBlocks, maxViewBlocks} {
		checkLimits(t, fmt.Sprintf("huge/%d", max), renderBlocks(m, max), max)
	}
	if n := utf8.RuneCountInString(fallbackText(m)); n > maxFallbackText {
		t.Errorf("fallback of %d characters", n)
	}
	// A form of many long inputs.
	f := &conversations.Form{ID: "checkin", Title: strings.Repeat("t", 100), Submit: strings.Repeat("s", 100), State: "2026-W47"}
	for i := range 20 {
		f.Sections = append(f.Sections, conversations.FormSection{Heading: conversations.B(strings.Repeat("h", 5000)), Note: conversations.T("n"),
			Inputs: []conversations.Input{
				{ID: fmt.Sprintf("value/KR-%d", i), Label: strings.Repeat("l", 3000), Kind: conversations.NumberInput, Initial: "12.5", Placeholder: strings.Repeat("p", 300)},
				{ID: fmt.Sprintf("confidence/KR-%d", i), Label: "Confidence", Kind: conversations.Select, Options: manyOptions(150), Initial: "3"},
				{ID: fmt.Sprintf("note/KR-%d", i), Label: "Note", Kind: conversations.TextInput, MaxLength: 5000, Initial: strings.Repeat("i", 4000), Hint: strings.Repeat("h", 3000)},
			}})
	}
	view, err := renderModal(f, formMeta{Channel: "C1", ResponseURL: "https://hooks.slack.com/" + strings.Repeat("r", 3000)})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(view)
	if err := fakeslack.CheckView(raw); err != nil {
		t.Error(err)
	}
}

func manyOptions(n int) []conversations.Option {
	var out []conversations.Option
	for i := range n {
		out = append(out, conversations.Option{Value: fmt.Sprint(i) + strings.Repeat("v", 200), Label: strings.Repeat("o", 100)})
	}
	out[3].Value = "3"
	return out
}
