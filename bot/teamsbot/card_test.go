package teamsbot

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/okrbot/okrbot/conversations"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// cardSchemaFile is the official Adaptive Card 1.5 schema, vendored from
// github.com/microsoft/AdaptiveCards (schemas/1.5.0/adaptive-card.json).
const cardSchemaFile = "testdata/adaptive-card-1.5.schema.json"

var adaptiveCardSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	f, err := os.Open(cardSchemaFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft6)
	c.AssertFormat()
	if err := c.AddResource("adaptive-card.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("adaptive-card.json")
})

// validateCard checks a card's JSON against the Adaptive Card 1.5 schema.
func validateCard(t *testing.T, name string, data []byte) {
	t.Helper()
	s, err := adaptiveCardSchema()
	if err != nil {
		t.Fatalf("adaptive card schema: %v", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("%s is not a valid Adaptive Card 1.5: %v", name, err)
	}
	var c struct {
		Version string `json:"version"`
	}
	json.Unmarshal(data, &c)
	if c.Version != "1.5" {
		t.Errorf("%s: version %q", name, c.Version)
	}
}

// validateCalls checks every card the Bot Connector received.
func validateCalls(t *testing.T, calls []request) {
	t.Helper()
	for i, c := range calls {
		atts, _ := c.Body["attachments"].([]any)
		for _, a := range atts {
			content := a.(map[string]any)["content"]
			data, _ := json.Marshal(content)
			validateCard(t, fmt.Sprintf("card of call %d", i), data)
		}
	}
}

// tinyPNG is a 1×1 PNG.
var tinyPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")

func objectiveSection(ref, title string, progress, pace float64) conversations.Section {
	T := conversations.T
	return conversations.Section{
		Heading: conversations.Text{}.AddCode(ref).Add(" ").AddB(title),
		Lines: []conversations.Text{
			conversations.Text{}.AddBar(progress, pace).Add(fmt.Sprintf(" %d%% · pace %d%% · 🟡 at risk", int(progress*100), int(pace*100))),
			T("    ").AddCode("KR-1").Add(" Increase web leads from 22 to 35 per day — ").AddBar(0.4, -1).Add(" 40% · 27 per day · confidence 7/10 · ").AddUser(testUser, "Ada Lovelace"),
		},
		Note: T("2026-Q4 · committed · ").AddUser(testUser, "Ada Lovelace").Add(" · ").AddChannel("19:growth0123@thread.tacv2", ""),
	}
}

func checkInForm() *conversations.Form {
	T := conversations.T
	conf := conversations.Input{ID: "confidence/KR-1", Label: "Confidence", Kind: conversations.Select, Hint: "1–3 unlikely · 4–6 maybe · 7–10 likely", Initial: "6"}
	for i := 1; i <= 10; i++ {
		conf.Options = append(conf.Options, conversations.Option{Value: fmt.Sprint(i), Label: fmt.Sprint(i)})
	}
	done := conversations.Input{ID: "value/KR-2", Label: "Done?", Kind: conversations.Select, Initial: "not done",
		Options: []conversations.Option{{Value: "not done", Label: "Not done yet"}, {Value: "done", Label: "Done"}}}
	conf2 := conf
	conf2.ID, conf2.Initial = "confidence/KR-2", ""
	return &conversations.Form{
		ID: conversations.FormCheckIn, Title: "Weekly check-in", Submit: "Check in", State: "2026-W47",
		Intro: T("Week 47. For each key result: where it stands, how confident you are (1–10) that it will be met, and a note if there is news."),
		Sections: []conversations.FormSection{
			{
				Heading: conversations.Text{}.AddCode("KR-1").Add(" ").AddB("Increase *web* leads <b>from</b> 22 to 35 per day"),
				Note:    T("increase from 22 per day to 35 per day, now 27 per day · O-1 Grow the European market"),
				Inputs: []conversations.Input{
					{ID: "value/KR-1", Label: "Current value (per day)", Kind: conversations.NumberInput, Optional: true, Placeholder: "27", Hint: "Leave empty to keep 27 per day"},
					conf,
					{ID: "note/KR-1", Label: "Note", Kind: conversations.TextInput, Optional: true, MaxLength: 500},
				},
			},
			{
				Heading: conversations.Text{}.AddCode("KR-2").Add(" ").AddB("Hire a VP of sales for Europe"),
				Note:    T("milestone · O-1 Grow the European market"),
				Inputs:  []conversations.Input{done, conf2, {ID: "note/KR-2", Label: "Note", Kind: conversations.TextInput, Optional: true, MaxLength: 500}},
			},
			{Inputs: []conversations.Input{{ID: "note", Label: "Anything else this week?", Kind: conversations.TextArea, Optional: true, MaxLength: 500, Placeholder: "Wins, blockers, help needed"}}},
		},
	}
}

func cardCases() map[string]*card {
	T := conversations.T
	list := &conversations.Message{Summary: "Your objectives · 2026-Q4: 2", Title: "Your objectives · 2026-Q4", Sections: []conversations.Section{
		objectiveSection("O-1", "Grow the European market", 0.35, 0.58),
		objectiveSection("O-2", "Ship the <!channel> *mobile* app <b>now</b>", 0.8, 0.58),
	}}
	show := &conversations.Message{Summary: "O-1", Title: "O-1 Grow the European market", Sections: []conversations.Section{
		{Lines: []conversations.Text{conversations.Text{}.AddBar(0.35, 0.58).Add(" 35% · pace 58%")}, Fields: []conversations.Field{
			{Label: "Owner", Value: conversations.Text{}.AddUser(testUser, "Ada Lovelace")},
			{Label: "Cycle", Value: T("2026-Q4")},
			{Label: "Commitment", Value: T("aspirational (success: 0.7)")},
		}},
		{Fields: []conversations.Field{
			{Label: "Grade", Value: T("0.70 two of *three* markets [opened](https://evil.example)")},
			{Label: "Status", Value: T("closed")},
		}},
	}}
	confirm := &conversations.Message{Summary: "Delete O-1?", Sections: []conversations.Section{{
		Lines: []conversations.Text{T("Delete ").AddCode("O-1").Add(" Grow the European market and its 2 key results? This cannot be undone.")},
		Buttons: []conversations.Button{
			{Label: "Delete", Action: conversations.ActionDeleteConfirm, Value: "O-1", Style: conversations.Danger},
			{Label: "Keep it", Action: conversations.ActionDeleteCancel, Value: "O-1"},
			{Label: "Check in", Action: conversations.ActionCheckIn, Style: conversations.Primary},
		},
	}}}
	digest := &conversations.Message{Summary: "OKR digest · week 47", Title: "OKR digest · 2026-Q4 · week 47", Sections: []conversations.Section{
		objectiveSection("O-1", "Grow the European market", 0.35, 0.58),
		{Heading: T("Check-ins"), Lines: []conversations.Text{T("3 of 4 checked in. Missing: ").AddUser("29:1grace", "Grace Hopper")}},
	}, Image: &conversations.Image{PNG: tinyPNG, Alt: "Progress of each objective against the pace line", Name: "okr-digest-2026-W47.png"}}
	f := checkInForm()
	edit := &conversations.Form{ID: conversations.FormEditObjective, Title: "Edit O-1", Submit: "Save", State: "O-1@3",
		Sections: []conversations.FormSection{{Inputs: []conversations.Input{
			{ID: "title", Label: "Objective", Kind: conversations.TextInput, Initial: "Grow the European market", MaxLength: 200},
			{ID: "owner", Label: "Owner", Kind: conversations.UserSelect, Initial: "29:1ada"},
			{ID: "team", Label: "Team channel (optional)", Kind: conversations.ChannelSelect, Optional: true},
			{ID: "commitment", Label: "Commitment", Kind: conversations.Select, Initial: "committed", Options: []conversations.Option{{Value: "committed", Label: "Committed"}, {Value: "aspirational", Label: "Aspirational"}}},
		}}}}
	return map[string]*card{
		"edit-form":       formCard(edit, nil, nil),
		"list":            messageCard(list, true),
		"show":            messageCard(show, true),
		"confirm":         messageCard(confirm, true),
		"digest":          messageCard(digest, true),
		"digest-no-image": messageCard(digest, false),
		"hint":            messageCard(hint(), true),
		"welcome":         messageCard(welcome(false), true),
		"checkin-form":    formCard(f, nil, nil),
		"checkin-form-errors": formCard(f,
			map[string]string{"value/KR-1": "lots", "confidence/KR-1": "6", "note/KR-1": "<at>everyone</at>", "value/KR-2": "done", "confidence/KR-2": ""},
			map[string]string{"value/KR-1": `"lots" is not a number. Example: okr update KR-1 35 confidence 7`, "confidence/KR-2": "Give a confidence from 1 to 10 for KR-2.", "stale": "That form is no longer valid."}),
	}
}

func TestCardsGolden(t *testing.T) {
	for name, c := range cardCases() {
		t.Run(name, func(t *testing.T) {
			got, err := json.MarshalIndent(c, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "cards", name+".json")
			if *update {
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("card differs from %s (run go test -update after checking the change):\n%s", path, got)
			}
		})
	}
}

// TestGoldenCardsAreAdaptiveCards validates every golden card file against
// the official Adaptive Card 1.5 schema.
func TestGoldenCardsAreAdaptiveCards(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "cards", "*.json"))
	if err != nil || len(files) < len(cardCases()) {
		t.Fatalf("golden cards: %v, %v", files, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		validateCard(t, f, data)
	}
}

// TestSchemaRejectsBadCards makes sure the validation has teeth.
func TestSchemaRejectsBadCards(t *testing.T) {
	s, err := adaptiveCardSchema()
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{
		"unknown element":       `{"type":"AdaptiveCard","version":"1.5","body":[{"type":"Marquee","text":"hi"}]}`,
		"TextRun with markdown": `{"type":"AdaptiveCard","version":"1.5","body":[{"type":"RichTextBlock","inlines":[{"type":"TextRun","text":"x","markdown":true}]}]}`,
		"input without id":      `{"type":"AdaptiveCard","version":"1.5","body":[{"type":"Input.Text","label":"Note"}]}`,
		"bad colour":            `{"type":"AdaptiveCard","version":"1.5","body":[{"type":"RichTextBlock","inlines":[{"type":"TextRun","text":"x","color":"purple"}]}]}`,
		"Teams-only property":   `{"type":"AdaptiveCard","version":"1.5","body":[],"msteams":{"width":"Full"}}`,
	} {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if s.Validate(v) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestUserTextIsLiteral(t *testing.T) {
	typed := "Ship the <!channel> *mobile* app <b>now</b> [x](https://evil.example) _it_"
	m := &conversations.Message{Title: typed, Sections: []conversations.Section{{
		Heading: conversations.T(typed),
		Lines:   []conversations.Text{conversations.T(typed)},
		Fields:  []conversations.Field{{Label: "Note", Value: conversations.T(typed)}},
		Note:    conversations.T(typed),
	}}}
	data, _ := json.Marshal(messageCard(m, true))
	var walk func(v any, path string)
	found := 0
	walk = func(v any, path string) {
		switch x := v.(type) {
		case map[string]any:
			typ, _ := x["type"].(string)
			if s, ok := x["text"].(string); ok && strings.Contains(s, "<!channel>") {
				if typ != "TextRun" {
					t.Errorf("user text in a %s (Markdown) at %s", typ, path)
				}
				if s != typed {
					t.Errorf("user text changed: %q", s)
				}
				found++
			}
			if s, ok := x["value"].(string); ok && strings.Contains(s, "<!channel>") && typ == "" {
				t.Errorf("user text in a FactSet value at %s", path)
			}
			for k, e := range x {
				walk(e, path+"/"+k)
			}
		case []any:
			for i, e := range x {
				walk(e, fmt.Sprintf("%s/%d", path, i))
			}
		}
	}
	var doc any
	json.Unmarshal(data, &doc)
	walk(doc, "")
	if found != 5 {
		t.Errorf("user text shown %d times; want 5 (title, heading, line, field, note):\n%s", found, data)
	}
	validateCard(t, "literal", data)
}

func TestLargeMessagesAreSummarised(t *testing.T) {
	m := &conversations.Message{Summary: "All objectives", Title: "All objectives · 2026-Q4"}
	for i := 1; i <= 200; i++ {
		s := objectiveSection(fmt.Sprintf("O-%d", i), strings.Repeat("Grow the European market ", 4), 0.3, 0.5)
		for range 5 {
			s.Lines = append(s.Lines, s.Lines[1])
		}
		m.Sections = append(m.Sections, s)
	}
	data, err := json.Marshal(messageCard(m, true))
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 28<<10 {
		t.Errorf("card is %d bytes; Teams takes about 28 KB", len(data))
	}
	if !strings.Contains(string(data), "more section") {
		t.Errorf("no note says what was left out")
	}
	validateCard(t, "large", data)

	// One section too long on its own is cut too.
	long := &conversations.Message{Sections: []conversations.Section{{}}}
	for i := range 2000 {
		long.Sections[0].Lines = append(long.Sections[0].Lines, conversations.T(fmt.Sprintf("line %d of a very long list of people who have not checked in", i)))
	}
	data, _ = json.Marshal(messageCard(long, true))
	if len(data) > 28<<10 || !strings.Contains(string(data), "not shown") {
		t.Errorf("long section: %d bytes", len(data))
	}

	// An image too large to send is left out with a note.
	big := &conversations.Message{Summary: "digest", Image: &conversations.Image{PNG: make([]byte, maxImageBytes+1)}}
	data, _ = json.Marshal(messageCard(big, true))
	if strings.Contains(string(data), "data:image") || !strings.Contains(string(data), "too large") {
		t.Errorf("large image: %s", data[:min(len(data), 300)])
	}
}

func TestMarkdownFree(t *testing.T) {
	for s, want := range map[string]bool{
		"2026-Q4": true, "aspirational (success: 0.7)": true, "#growth": false, "a #b": true, "[x](y)": false, "Ada Lovelace": true,
		"*bold*": false, "- item": false, "1. first": false, "12 per day": true, "<b>": false, "a_b": false,
	} {
		if got := markdownFree(s); got != want {
			t.Errorf("markdownFree(%q) = %v", s, got)
		}
	}
}
