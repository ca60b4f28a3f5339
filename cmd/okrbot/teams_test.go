package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/okrbot/okrbot/manifests"
)

const teamsAppID = "6c5f2e52-0d3a-4a4e-9f1c-0123456789ab"

// teamsManifestSchema is the official Teams manifest schema v1.17, vendored.
func teamsManifestSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/teams-manifest-1.17.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	if err := c.AddResource("teams.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("teams.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTeamsPackage(t *testing.T) {
	out := filepath.Join(t.TempDir(), "okrbot-teams.zip")
	var stdout bytes.Buffer
	err := run(context.Background(), []string{"okrbot", "teams-package", "--out", out}, env(map[string]string{"MICROSOFT_APP_ID": teamsAppID}), nil, &stdout, io.Discard)
	if err != nil {
		t.Fatalf("teams-package: %v", err)
	}
	if !strings.Contains(stdout.String(), "Upload a custom app") {
		t.Errorf("output: %s", stdout.String())
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string][]byte{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(r)
		r.Close()
	}
	if len(files) != 3 || files["manifest.json"] == nil || files["color.png"] == nil || files["outline.png"] == nil {
		t.Fatalf("package holds %v; want manifest.json, color.png and outline.png at its root", keys(files))
	}
	// Every file carries a real date (not the zip's zero, 1980-00-00), the
	// same on every build, so the same binary builds the same bytes.
	for _, f := range zr.File {
		if m := f.Modified; m.Before(packageEpoch) || m.After(time.Now().Add(24*time.Hour)) {
			t.Errorf("%s is dated %v", f.Name, m)
		}
	}
	if a, _ := teamsPackage(teamsAppID, ""); !bytes.Equal(a, mustRead(t, out)) {
		t.Error("two builds of the package differ")
	}

	// The manifest is valid for the Teams manifest schema it names.
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(files["manifest.json"]))
	if err != nil {
		t.Fatal(err)
	}
	schema := teamsManifestSchema(t)
	if err := schema.Validate(doc); err != nil {
		t.Errorf("manifest.json does not validate against the Teams manifest schema 1.17: %v", err)
	}
	// The schema has teeth: the template, whose ids are placeholders, fails.
	raw, err := manifests.Teams.ReadFile("teams/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	if tmpl, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw)); err != nil || schema.Validate(tmpl) == nil {
		t.Errorf("the manifest template with placeholder ids validates (%v)", err)
	}
	var m struct {
		Schema          string `json:"$schema"`
		ManifestVersion string `json:"manifestVersion"`
		ID              string `json:"id"`
		Icons           struct{ Color, Outline string }
		Bots            []struct {
			BotID        string   `json:"botId"`
			Scopes       []string `json:"scopes"`
			CommandLists []struct {
				Commands []struct{ Title string }
			} `json:"commandLists"`
		} `json:"bots"`
	}
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	if m.ID != teamsAppID || len(m.Bots) != 1 || m.Bots[0].BotID != teamsAppID {
		t.Errorf("app id not filled in: id %q, bots %+v", m.ID, m.Bots)
	}
	if m.ManifestVersion != "1.17" || !strings.Contains(m.Schema, "/v1.17/") {
		t.Errorf("manifest version %q, $schema %q", m.ManifestVersion, m.Schema)
	}
	if strings.Contains(string(files["manifest.json"]), "{{") {
		t.Errorf("a placeholder is left in the manifest")
	}
	if got := strings.Join(m.Bots[0].Scopes, ","); got != "personal,team,groupChat" {
		t.Errorf("bot scopes = %s", got)
	}
	// Every command is one the bot understands.
	for _, cl := range m.Bots[0].CommandLists {
		for _, c := range cl.Commands {
			if !strings.HasPrefix(c.Title, "okr ") && !strings.HasPrefix(c.Title, "kpi ") {
				t.Errorf("command %q is not an okr or kpi command", c.Title)
			}
		}
	}

	// Icons: the sizes Teams requires; the outline is white on transparent.
	checkIcon := func(name string, size int) image.Image {
		img, err := png.Decode(bytes.NewReader(files[name]))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
			t.Errorf("%s is %dx%d; want %dx%d", name, b.Dx(), b.Dy(), size, size)
		}
		return img
	}
	checkIcon(m.Icons.Color, 192)
	outline := checkIcon(m.Icons.Outline, 32)
	transparent, white := 0, 0
	for y := range 32 {
		for x := range 32 {
			r, g, b, a := outline.At(x, y).RGBA()
			switch {
			case a == 0:
				transparent++
			case r != a || g != a || b != a: // premultiplied: white means r = g = b = a
				t.Fatalf("outline.png pixel (%d,%d) is not white: %v", x, y, outline.At(x, y))
			default:
				white++
			}
		}
	}
	if transparent == 0 || white == 0 {
		t.Errorf("outline.png: %d transparent and %d white pixels", transparent, white)
	}

	// --app-version and standard output.
	stdout.Reset()
	if err := run(context.Background(), []string{"okrbot", "teams-package", "--out", "-", "--app-version", "1.2.3", "--microsoft-app-id", teamsAppID}, env(nil), nil, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	zr2, err := zip.NewReader(bytes.NewReader(stdout.Bytes()), int64(stdout.Len()))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := zr2.Open("manifest.json")
	data, _ := io.ReadAll(r)
	if !strings.Contains(string(data), `"version": "1.2.3"`) {
		t.Errorf("--app-version not applied")
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestTeamsPackageRefusesAMissingAppID(t *testing.T) {
	dir := t.TempDir()
	for name, e := range map[string]map[string]string{
		"unset":      nil,
		"blank":      {"MICROSOFT_APP_ID": "  "},
		"not a GUID": {"MICROSOFT_APP_ID": "okrbot"},
	} {
		out := filepath.Join(dir, name+".zip")
		err := run(context.Background(), []string{"okrbot", "teams-package", "--out", out}, env(e), nil, io.Discard, io.Discard)
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "MICROSOFT_APP_ID") {
			t.Errorf("%s: err = %v", name, err)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: a package was written", name)
		}
	}
}

func TestServeRefusesHalfATeamsConfiguration(t *testing.T) {
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"password without app id": {map[string]string{"MICROSOFT_APP_PASSWORD": "secret"}, "MICROSOFT_APP_ID"},
		"tenant without app id":   {map[string]string{"MICROSOFT_APP_TENANT_ID": "tenant-1"}, "MICROSOFT_APP_ID"},
		"blank app id":            {map[string]string{"MICROSOFT_APP_ID": "   ", "MICROSOFT_APP_PASSWORD": "secret"}, "MICROSOFT_APP_ID"},
		"app id without password": {map[string]string{"MICROSOFT_APP_ID": teamsAppID}, "MICROSOFT_APP_PASSWORD"},
		"plain-http token URL": {map[string]string{"MICROSOFT_APP_ID": teamsAppID, "MICROSOFT_APP_PASSWORD": "secret",
			"MICROSOFT_TOKEN_URL": "http://login.example.com/token"}, "token URL"},
	} {
		e := tc.env
		e["OKRBOT_ADDR"], e["OKRBOT_DATA_DIR"] = "127.0.0.1:0", t.TempDir()
		err := run(context.Background(), []string{"okrbot", "serve"}, env(e), nil, io.Discard, io.Discard)
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v (exit %d); want a usage error naming %s", name, err, exitCode(err), tc.want)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error shows the password: %v", name, err)
		}
	}
}

// teamsCloud plays Microsoft's side for okrbot serve: OpenID metadata and
// keys, the token endpoint, and the Bot Connector, all on one local server.
type teamsCloud struct {
	*httptest.Server
	key *rsa.PrivateKey

	mu      sync.Mutex
	replies []map[string]any
	auths   []string
	paths   []string
}

func newTeamsCloud(t *testing.T) *teamsCloud {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	c := &teamsCloud{key: key}
	mux := http.NewServeMux()
	writeJSON := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /openid", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"issuer": "https://api.botframework.com", "jwks_uri": c.URL + "/keys"})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"keys": []any{map[string]any{
			"kty": "RSA", "use": "sig", "kid": "k1", "endorsements": []string{"msteams"},
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.PostForm.Get("client_id") != teamsAppID || r.PostForm.Get("client_secret") != "teams-secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		writeJSON(w, map[string]any{"access_token": "connector-token", "expires_in": 3600, "token_type": "Bearer"})
	})
	mux.HandleFunc("POST /svc/v3/conversations/{conv}/activities/{id}", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		c.mu.Lock()
		c.replies = append(c.replies, body)
		c.auths = append(c.auths, r.Header.Get("Authorization"))
		c.paths = append(c.paths, r.URL.Path)
		c.mu.Unlock()
		writeJSON(w, map[string]string{"id": "reply-1"})
	})
	c.Server = httptest.NewServer(mux)
	t.Cleanup(c.Close)
	return c
}

func (c *teamsCloud) token(t *testing.T, serviceURL string) string {
	t.Helper()
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": "https://api.botframework.com", "aud": teamsAppID, "serviceurl": serviceURL,
		"exp": now.Add(time.Hour).Unix(), "nbf": now.Add(-time.Minute).Unix(),
	})
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(c.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestServeTeamsEndToEnd runs okrbot serve with a Teams configuration
// pointing at the local Microsoft and talks to it as Teams does.
func TestServeTeamsEndToEnd(t *testing.T) {
	cloud := newTeamsCloud(t)
	addr, logs := startServe(t, map[string]string{
		"MICROSOFT_APP_ID": teamsAppID, "MICROSOFT_APP_PASSWORD": "teams-secret",
		"MICROSOFT_OPENID_METADATA_URL": cloud.URL + "/openid", "MICROSOFT_TOKEN_URL": cloud.URL + "/token",
	})
	if !strings.Contains(logs.String(), "teams is on") {
		t.Errorf("no log line says Teams is on:\n%s", logs)
	}
	if code, body := get(t, "http://"+addr+"/readyz"); code != 200 {
		t.Errorf("readyz with the signing keys reachable = %d %s", code, body)
	}
	serviceURL := cloud.URL + "/svc/"
	activity, _ := json.Marshal(map[string]any{
		"type": "message", "id": "1700000000001", "channelId": "msteams", "serviceUrl": serviceURL,
		"text": "okr list", "from": map[string]any{"id": "29:1ada", "name": "Ada Lovelace"},
		"recipient":    map[string]any{"id": "28:" + teamsAppID, "name": "okrbot"},
		"conversation": map[string]any{"id": "a:1chat", "conversationType": "personal", "tenantId": "tenant-1"},
		"channelData":  map[string]any{"tenant": map[string]any{"id": "tenant-1"}},
	})
	post := func(authz string) int {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/messages", bytes.NewReader(activity))
		req.Header.Set("Content-Type", "application/json")
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(""); got != http.StatusUnauthorized {
		t.Errorf("no token: %d; want 401", got)
	}
	if got := post("Bearer " + cloud.token(t, "https://elsewhere.example/")); got != http.StatusUnauthorized {
		t.Errorf("token for another serviceUrl: %d; want 401", got)
	}
	if got := post("Bearer " + cloud.token(t, serviceURL)); got != http.StatusOK {
		t.Fatalf("good token: %d\n%s", got, logs)
	}
	cloud.mu.Lock()
	defer cloud.mu.Unlock()
	if len(cloud.replies) != 1 {
		t.Fatalf("%d replies; want 1\n%s", len(cloud.replies), logs)
	}
	if cloud.auths[0] != "Bearer connector-token" || cloud.paths[0] != "/svc/v3/conversations/a:1chat/activities/1700000000001" {
		t.Errorf("reply %s with %q", cloud.paths[0], cloud.auths[0])
	}
	body, _ := json.Marshal(cloud.replies[0])
	if !strings.Contains(string(body), "Your objectives") || !strings.Contains(string(body), "application/vnd.microsoft.card.adaptive") {
		t.Errorf("reply: %s", body)
	}
}

// TestReadyzWaitsForTeamsSigningKeys: while the Bot Framework's signing
// keys cannot be fetched, okrbot warns and /readyz fails.
func TestReadyzWaitsForTeamsSigningKeys(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	addr, logs := startServe(t, map[string]string{
		"MICROSOFT_APP_ID": teamsAppID, "MICROSOFT_APP_PASSWORD": "teams-secret",
		"MICROSOFT_OPENID_METADATA_URL": down.URL + "/openid", "MICROSOFT_TOKEN_URL": down.URL + "/token",
	})
	if code, body := get(t, "http://"+addr+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "teams signing keys") {
		t.Errorf("readyz without signing keys = %d %s", code, body)
	}
	if code, _ := get(t, "http://"+addr+"/healthz"); code != 200 {
		t.Errorf("healthz = %d", code)
	}
	var warned bool
	for _, line := range strings.Split(logs.String(), "\n") {
		warned = warned || strings.Contains(line, `"level":"WARN"`) && strings.Contains(line, "signing keys could not be loaded")
	}
	if !warned {
		t.Errorf("no warning about the signing keys:\n%s", logs)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
