package slackbot_test

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"

	"github.com/okrbot/okrbot/conversations/csvio"
	"github.com/okrbot/okrbot/internal/fakeslack"
)

// TestExportInChat: /okr export by an admin uploads a zip of the CSV files
// into the admin's direct messages with okrbot through Slack's files v2
// flow (files.getUploadURLExternal, the upload, files.completeUploadExternal
// with the DM channel) and answers where it went; someone else is refused
// and gets nothing.
func TestExportInChat(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.AddUser(fakeslack.User{ID: "U0BOSS", DisplayName: "Boss", Admin: true})
	e.fake.AddUser(fakeslack.User{ID: "U0EVE", DisplayName: "Eve"})
	for _, line := range []string{`/kpi create web-leads "Web leads" unit /day higher target 35 every day`, `/okr create Grow the European market --cycle 2026-Q4`} {
		if code, body := e.command("U0BOSS", "C0GROWTH", line); code != 200 || strings.Contains(body, "rror") {
			t.Fatalf("%s: %d %s", line, code, body)
		}
	}
	_, body := e.command("U0EVE", "C0GROWTH", "/okr export")
	if text := answerText(t, body); !strings.Contains(text, "Only a workspace admin") {
		t.Errorf("a non-admin: %s", text)
	}
	_, body = e.command("U0BOSS", "C0GROWTH", "/okr export --cycle 2026-Q4")
	text := answerText(t, body)
	if body == "" {
		eventually(t, "the answer", func() bool { return len(e.fake.Responses()) > 0 })
		text = string(e.fake.Responses()[len(e.fake.Responses())-1].Body)
	}
	if !strings.Contains(text, "Sent to our direct messages") || !strings.Contains(text, "okrbot-export-slack-T0001-2026-Q4.zip") {
		t.Fatalf("answer: %s", text)
	}
	ups := e.fake.Uploads()
	if len(ups) != 1 || !ups[0].Completed || ups[0].Channel != fakeslack.DMChannel("U0BOSS") || ups[0].Name != "okrbot-export-slack-T0001-2026-Q4.zip" {
		t.Fatalf("uploads %+v", ups)
	}
	zr, err := zip.NewReader(bytes.NewReader(ups[0].Bytes), int64(len(ups[0].Bytes)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != strings.Join(csvio.Files, ",") {
		t.Errorf("files in the zip: %v", names)
	}
	files, err := csvio.Unzip(ups[0].Bytes, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Name == csvio.FileObjectives && !strings.Contains(string(f.Data), "O-1,Grow the European market,U0BOSS") {
			t.Errorf("objectives.csv:\n%s", f.Data)
		}
	}
	if msgs := e.fake.Messages(fakeslack.DMChannel("U0EVE")); len(msgs) != 0 {
		t.Errorf("Eve got %d messages", len(msgs))
	}
}
