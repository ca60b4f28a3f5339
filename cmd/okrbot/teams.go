package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/okrbot/okrbot/bot/teamsbot"
	"github.com/okrbot/okrbot/bot/teamsbot/auth"
	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/manifests"
	"github.com/okrbot/okrbot/storage"
)

// setupTeams serves Microsoft Teams at POST /api/messages and returns the
// Teams sender for the weekly rhythm and the readiness check of its token
// validator (the Bot Framework's signing keys, fetched now in the
// background). Without MICROSOFT_APP_ID it does nothing (one log line) and
// returns a nil sender and check.
//
// It refuses to start (an error, so okrbot exits non-zero) when Teams is
// half configured: a password or tenant without an app id, an app id
// without a password, or endpoints that are not https.
func setupTeams(ctx context.Context, cfg *Config, st storage.Store, svc *conversations.Service, log *slog.Logger, reg prometheus.Registerer, mux *http.ServeMux) (conversations.Sender, func(context.Context) error, error) {
	appID := strings.TrimSpace(cfg.MicrosoftAppID)
	if appID == "" {
		if cfg.MicrosoftAppPassword != "" || cfg.MicrosoftAppTenantID != "" || cfg.MicrosoftAppID != "" {
			return nil, nil, usageError{errors.New("MICROSOFT_APP_ID is empty: okrbot refuses to start Teams without the bot's app id (every request's token must name it)")}
		}
		log.Info("teams is off: set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD to connect Microsoft Teams (see the README)")
		return nil, nil, nil
	}
	if !guidRE.MatchString(appID) {
		log.Warn("MICROSOFT_APP_ID does not look like an Azure app id (a GUID)")
	}
	v, err := auth.NewValidator(auth.Config{AppID: appID, MetadataURL: cfg.MicrosoftOpenIDMetadataURL, Log: log.With("component", "teams")})
	if err != nil {
		return nil, nil, usageError{err}
	}
	conn, err := newTeamsConnector(cfg, st, log)
	if err != nil {
		return nil, nil, err
	}
	bot, err := teamsbot.New(svc, st, v, conn, teamsbot.Options{Log: log.With("component", "teams"), Metrics: reg})
	if err != nil {
		return nil, nil, usageError{err}
	}
	mux.Handle("POST /api/messages", bot)
	tenancy := "multi-tenant"
	if cfg.MicrosoftAppTenantID != "" {
		tenancy = "single-tenant"
	}
	log.Info("teams is on", "endpoint", "POST /api/messages", "app_id", appID, "bot", tenancy)
	// Fetch the signing keys now, so that the first request (and /readyz)
	// need not wait; a failure is logged by the validator as a warning.
	go func() {
		fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		v.Ready(fctx)
	}()
	return bot.Sender(), v.Ready, nil
}

// newTeamsConnector is the Bot Connector client from the configuration,
// keeping the paces it learns in st.
func newTeamsConnector(cfg *Config, st storage.Store, log *slog.Logger) (*teamsbot.Connector, error) {
	conn, err := teamsbot.NewConnector(teamsbot.ConnectorConfig{
		AppID:       strings.TrimSpace(cfg.MicrosoftAppID),
		AppPassword: cfg.MicrosoftAppPassword,
		Tenant:      cfg.MicrosoftAppTenantID,
		TokenURL:    cfg.MicrosoftTokenURL,
		Paces:       st,
		Log:         log.With("component", "teams"),
	})
	if err != nil {
		return nil, usageError{err}
	}
	return conn, nil
}

// newTeamsSender is the Teams sender alone, for processes that send without
// serving the messaging endpoint (okrbot jobs run); nil when Teams is off.
func newTeamsSender(cfg *Config, st storage.Store, log *slog.Logger) (conversations.Sender, error) {
	if strings.TrimSpace(cfg.MicrosoftAppID) == "" {
		return nil, nil
	}
	conn, err := newTeamsConnector(cfg, st, log)
	if err != nil {
		return nil, err
	}
	return teamsbot.NewSender(st, conn, log.With("component", "teams")), nil
}

// guidRE matches an Azure app id; the Teams manifest requires one.
var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$`)

// teamsPackageFiles are the files of the Teams app package, at its root.
var teamsPackageFiles = []string{"manifest.json", "color.png", "outline.png"}

// runTeamsPackage writes the Teams app package: manifests/teams with the
// app id filled in, zipped for upload in Teams.
const teamsPackageUsage = `Usage: okrbot teams-package [--out okrbot-teams.zip] [flags]

Builds the Teams app package (manifest.json with the Azure Bot's app id, and
the two icons) to upload in Teams: Apps → Manage your apps → Upload an app.
`

func runTeamsPackage(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("okrbot teams-package", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, teamsPackageUsage); fs.PrintDefaults() }
	out := fs.String("out", "okrbot-teams.zip", "where to write the package (- for standard output)")
	appID := fs.String("microsoft-app-id", getenv("MICROSOFT_APP_ID"), "the Azure Bot's app id (MICROSOFT_APP_ID)")
	version := fs.String("app-version", "", "the app version in the manifest (default: the manifest's); raise it to update an uploaded app")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	id := strings.TrimSpace(*appID)
	switch {
	case id == "":
		return usageError{errors.New("MICROSOFT_APP_ID is empty: set it (or --microsoft-app-id) to the Azure Bot's app id")}
	case !guidRE.MatchString(id):
		return usageError{fmt.Errorf("MICROSOFT_APP_ID %q is not an Azure app id (a GUID such as 6c5f2e52-0d3a-4a4e-9f1c-0123456789ab)", id)}
	}
	pkg, err := teamsPackage(id, *version)
	if err != nil {
		return err
	}
	if *out == "-" {
		_, err := stdout.Write(pkg)
		return err
	}
	if err := writeFileAtomic(*out, pkg); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Wrote %s for app %s. In Teams: Apps → Manage your apps → Upload an app → Upload a custom app.\n", *out, id)
	return nil
}

// teamsPackage zips the manifest, with appID in place of the placeholder
// (the app's id and its bot's id), and the two icons.
func teamsPackage(appID, version string) ([]byte, error) {
	raw, err := manifests.Teams.ReadFile("teams/manifest.json")
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(bytes.ReplaceAll(raw, []byte(manifests.TeamsAppIDPlaceholder), []byte(appID)), &m); err != nil {
		return nil, fmt.Errorf("teams manifest: %w", err)
	}
	if version != "" {
		m["version"] = version
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	modified := packageTime()
	for _, name := range teamsPackageFiles {
		data := manifest
		if name != "manifest.json" {
			if data, err = manifests.Teams.ReadFile("teams/" + name); err != nil {
				return nil, err
			}
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// packageEpoch dates the package's files when the binary does not know
// its commit's time (a build outside git).
var packageEpoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// packageTime is the date of the Teams package's files: the time of the
// commit the binary was built from, else packageEpoch. Either way the same
// binary builds the same bytes, and unzip shows a real date rather than a
// zip's zero time (1980-00-00).
func packageTime() time.Time {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.time" {
				if t, err := time.Parse(time.RFC3339, s.Value); err == nil && t.After(packageEpoch) {
					return t.UTC()
				}
			}
		}
	}
	return packageEpoch
}

// writeFileAtomic writes data to path through a temporary file, so that an
// interrupted run leaves no half-written package.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".okrbot-teams-*.zip")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
