package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportCommand: a quarter typed into the console comes out of okrbot
// export as one CSV file per table, with its check-in history; a second
// export of the same data writes the same bytes.
func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	getenv := env(map[string]string{"OKRBOT_DATA_DIR": dir})
	err := run(context.Background(), []string{"okrbot", "console", "--workspace", "T024BE7LD", "--create", "--user", "console"},
		getenv, strings.NewReader(quarterScript), io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	out1, out2 := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"okrbot", "export", "--out", out1}, getenv, nil, &stdout, &stderr); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	// No people: the console's users carry no name, email or time zone,
	// and the console does not record such a user (only its id) in the store.
	if !strings.Contains(stdout.String(), "wrote 9 files to "+out1+": 2 objectives, 3 key results, 0 initiatives, 3 check-ins, 1 week notes, 1 KPIs with 2 values, 0 people") {
		t.Errorf("stdout: %s", stdout.String())
	}
	if err := run(context.Background(), []string{"okrbot", "export", "--workspace", "T024BE7LD", "--cycle", "2026-Q4", "--out", out2}, getenv, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	checkins, err := os.ReadFile(filepath.Join(out1, "checkins.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(checkins), "\n"); lines != 4 || !strings.HasPrefix(string(checkins), "kr,objective,user,week,value,done,confidence,note,at,first_at,by\n") {
		t.Errorf("checkins.csv:\n%s", checkins)
	}
	krs, _ := os.ReadFile(filepath.Join(out1, "key_results.csv"))
	if !strings.Contains(string(krs), "KR-1,O-1,Increase web leads from 22 to 35 per day,increase,22,35,27,true,false,per day,1,console,web-leads") {
		t.Errorf("key_results.csv:\n%s", krs)
	}
	for _, bad := range [][]string{
		{"okrbot", "export", "--cycle", "2026-Q5"},
		{"okrbot", "export", "--workspace", "T999"},
		{"okrbot", "export", "extra"},
	} {
		err := run(context.Background(), bad, getenv, nil, io.Discard, io.Discard)
		if exitCode(err) != 2 {
			t.Errorf("%v: %v (exit %d)", bad, err, exitCode(err))
		}
	}
}
