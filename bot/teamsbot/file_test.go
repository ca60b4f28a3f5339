package teamsbot

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/conversations/csvio"
	"github.com/okrbot/okrbot/storage/storagetest"
)

// oneDrive is a local upload session endpoint: it takes a file in one PUT
// with Content-Range, as Microsoft documents the upload URL of a file
// consent.
type oneDrive struct {
	*httptest.Server
	mu    sync.Mutex
	puts  int
	data  []byte
	rng   string
	fails bool
}

func newOneDrive(t *testing.T) *oneDrive {
	o := &oneDrive{}
	o.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		o.mu.Lock()
		defer o.mu.Unlock()
		if r.Method != http.MethodPut || o.fails {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		o.puts++
		o.data, o.rng = b, r.Header.Get("Content-Range")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"id":"01ABC","name":"okrbot-export.zip"}`))
	}))
	t.Cleanup(o.Close)
	return o
}

// attachmentsOf returns the attachments a request to the Bot Connector carried.
func attachmentsOf(r request) []map[string]any {
	var out []map[string]any
	as, _ := r.Body["attachments"].([]any)
	for _, a := range as {
		m, _ := a.(map[string]any)
		out = append(out, m)
	}
	return out
}

// TestExportFileConsent: okr export in the personal chat answers with a
// file consent card for the zip; accepting it uploads the file to the URL
// Teams gives and posts a file info card; declining sends nothing; in a
// channel the card goes to the personal chat; a non-admin gets no card.
func TestExportFileConsent(t *testing.T) {
	st := storagetest.Open(t, now)
	svc := conversations.New(st, conversations.Options{Now: now, Admins: []string{testUser}})
	h := newHarnessWith(t, svc, st)
	od := newOneDrive(t)
	h.bot.files = od.Client()
	if r := svc.Command(ctx, actorAda(), "okr", "create Grow the European market"); r.Failed() {
		t.Fatal(conversations.PlainText(r.Message))
	}
	before := len(h.conn.calls())
	if code := h.post(h.message("okr export --cycle 2026-Q4")); code != 200 {
		t.Fatalf("status %d", code)
	}
	calls := h.conn.calls()[before:]
	if len(calls) != 1 {
		t.Fatalf("%d calls: %+v", len(calls), calls)
	}
	var consent map[string]any
	for _, a := range attachmentsOf(calls[0]) {
		if a["contentType"] == fileConsentCardType {
			consent = a
		}
	}
	if consent == nil || consent["name"] != "okrbot-export-teams-"+testTenant+"-2026-Q4.zip" {
		t.Fatalf("no file consent card: %+v", attachmentsOf(calls[0]))
	}
	content := consent["content"].(map[string]any)
	accept := content["acceptContext"].(map[string]any)
	if accept[fileRefKey] != "export:2026-Q4" || content["sizeInBytes"].(float64) < 100 {
		t.Fatalf("consent card %+v", content)
	}

	answer := func(action string) int {
		t.Helper()
		return h.post(h.activity("invoke", func(a map[string]any) {
			a["name"] = invokeFileConsent
			a["value"] = map[string]any{"type": "fileUpload", "action": action, "context": accept, "uploadInfo": map[string]any{
				"contentUrl": "https://contoso-my.sharepoint.com/personal/ada/Documents/Applications/okrbot/okrbot-export.zip",
				"name":       "okrbot-export.zip", "uploadUrl": od.URL + "/upload/session-1", "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C8C", "fileType": "zip"}}
		}))
	}
	before = len(h.conn.calls())
	if code := answer("accept"); code != 200 {
		t.Fatalf("accept: %d", code)
	}
	od.mu.Lock()
	data, rng, puts := od.data, od.rng, od.puts
	od.mu.Unlock()
	if puts != 1 || rng != "bytes 0-"+strconv.Itoa(len(data)-1)+"/"+strconv.Itoa(len(data)) {
		t.Fatalf("%d uploads, Content-Range %q", puts, rng)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil || len(zr.File) != len(csvio.Files) {
		t.Fatalf("uploaded %d bytes: %v", len(data), err)
	}
	calls = h.conn.calls()[before:]
	if len(calls) != 1 || len(attachmentsOf(calls[0])) != 1 || attachmentsOf(calls[0])[0]["contentType"] != fileInfoCardType ||
		!strings.Contains(attachmentsOf(calls[0])[0]["contentUrl"].(string), "sharepoint.com") {
		t.Fatalf("after accepting: %+v", calls)
	}

	before = len(h.conn.calls())
	if code := answer("decline"); code != 200 {
		t.Fatalf("decline: %d", code)
	}
	if calls = h.conn.calls()[before:]; len(calls) != 1 || !strings.Contains(cardText(calls[0]), "Not sent") {
		t.Errorf("after declining: %+v", calls)
	}
	od.mu.Lock()
	if od.puts != 1 {
		t.Errorf("a declined file was uploaded")
	}
	od.fails = true
	od.mu.Unlock()
	before = len(h.conn.calls())
	answer("accept")
	if calls = h.conn.calls()[before:]; len(calls) != 1 || !strings.Contains(cardText(calls[0]), "could not be saved to your OneDrive (OneDrive answered 503)") {
		t.Errorf("a failed upload: %+v", calls)
	}

	// In a channel: the card goes to the personal chat, the thread says so.
	before = len(h.conn.calls())
	h.post(h.activity("message", func(a map[string]any) {
		inChannel("19:growth@thread.tacv2", testUser, "Ada Lovelace")(a)
		a["text"] = "<at>okrbot</at> okr export"
		a["entities"] = []any{map[string]any{"type": "mention", "text": "<at>okrbot</at>", "mentioned": map[string]any{"id": testBot, "name": "okrbot"}}}
	}))
	var private, thread bool
	for _, c := range h.conn.calls()[before:] {
		for _, a := range attachmentsOf(c) {
			if a["contentType"] == fileConsentCardType && !strings.Contains(c.Path, "growth") {
				private = true
			}
		}
		if strings.Contains(c.Path, "growth") && strings.Contains(cardText(c), "personal chat") {
			thread = true
		}
	}
	if !private || !thread {
		t.Errorf("in a channel: private %v, thread %v: %+v", private, thread, h.conn.calls()[before:])
	}

	// Someone who is not an admin gets a refusal and no card.
	before = len(h.conn.calls())
	h.post(h.activity("message", func(a map[string]any) {
		a["text"] = "okr export"
		a["from"] = map[string]any{"id": "29:1bob", "name": "Bob"}
		a["conversation"] = map[string]any{"conversationType": "personal", "tenantId": testTenant, "id": "a:1personal-bob"}
	}))
	for _, c := range h.conn.calls()[before:] {
		for _, a := range attachmentsOf(c) {
			if a["contentType"] == fileConsentCardType {
				t.Error("a non-admin got a file")
			}
		}
		if !strings.Contains(cardText(c), "Only a workspace admin") {
			t.Errorf("non-admin answer: %s", cardText(c))
		}
	}
}
