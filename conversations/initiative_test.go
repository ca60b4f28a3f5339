package conversations_test

import (
	"strings"
	"testing"

	"github.com/okrbot/okrbot/conversations"
)

func TestInitiatives(t *testing.T) {
	f := newFixture(t)
	f.quarter()
	out := f.must("ada", `/okr initiative add KR-3 Brief two recruiting agencies`)
	if !strings.Contains(out, "Added I-1") || !strings.Contains(out, "0 of 1 initiative done") {
		t.Errorf("add: %s", out)
	}
	f.must("ada", `/okr initiative add kr-3 "Interview five finalists"`, `/okr initiative done i-1`)
	for _, line := range []string{`/okr show KR-3`, `/okr show O-1`, `/okr initiative list KR-3`, `/okr initiative list`} {
		_, text := f.run("ada", line)
		if !strings.Contains(text, "1 of 2 initiatives done") || !strings.Contains(text, "Interview five finalists") && line != `/okr show O-1` {
			t.Errorf("%s does not show the initiatives:\n%s", line, text)
		}
	}
	home, err := f.svc.Home(ctx, actor("ada"))
	if err != nil {
		t.Fatal(err)
	}
	if text := conversations.PlainText(home); !strings.Contains(text, "☐ I-2 Interview five finalists") || !strings.Contains(text, "☑ I-1 Brief two recruiting agencies") {
		t.Errorf("App Home lacks the initiatives:\n%s", text)
	}
	if _, text := f.run("ada", `/okr initiative done I-1`); !strings.Contains(text, "already done") {
		t.Errorf("done twice: %s", text)
	}
	m, err := f.svc.Digest(ctx, "slack:T1", conversations.DigestScope{Company: true}, friday)
	if err != nil {
		t.Fatal(err)
	}
	if text := conversations.PlainText(m); !strings.Contains(text, "1 of 2 initiatives done") {
		t.Errorf("the digest does not count initiatives:\n%s", text)
	}

	// Every bad input: one line with an example, and nothing changes.
	f.must("bob", `/okr help`) // bob is known before the snapshot
	before := f.snapshot()
	for _, tt := range []struct{ user, line string }{
		{"ada", `/okr initiative`},
		{"ada", `/okr initiative frob KR-3 x`},
		{"ada", `/okr initiative add`},
		{"ada", `/okr initiative add KR-3`},
		{"ada", `/okr initiative add O-1 Run a webinar`},
		{"ada", `/okr initiative add KR-99 Run a webinar`},
		{"ada", `/okr initiative add KR-3 ` + strings.Repeat("x", 201)},
		{"bob", `/okr initiative add KR-3 Someone else's plan`},
		{"ada", `/okr initiative done`},
		{"ada", `/okr initiative done KR-3`},
		{"ada", `/okr initiative done I-99`},
		{"ada", `/okr initiative done I-1 I-2`},
		{"bob", `/okr initiative done I-2`},
		{"ada", `/okr initiative list KR-99`},
		{"ada", `/okr initiative list O-1`},
		{"ada", `/okr initiative list KR-1 KR-2`},
	} {
		r, text := f.run(tt.user, tt.line)
		if tt.line == `/okr initiative` {
			continue // lists the actor's initiatives
		}
		if !r.Failed() {
			t.Errorf("%s: accepted: %s", tt.line, text)
			continue
		}
		if lines := strings.Count(strings.TrimSpace(text), "\n") + 1; lines != 1 {
			t.Errorf("%s: %d lines: %s", tt.line, lines, text)
		}
		if r.Code != "forbidden" && r.Code != "not_found" && !strings.Contains(text, "Example:") {
			t.Errorf("%s: no example: %s", tt.line, text)
		}
	}
	if after := f.snapshot(); after != before {
		t.Errorf("bad input changed something:\n%s\n---\n%s", before, after)
	}
}
