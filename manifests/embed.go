// Package manifests holds what operators install okrbot with, built into the
// binary: the Teams app package's manifest and icons (okrbot teams-package)
// and the Slack app manifests. The Kubernetes manifests in kubernetes/ are
// applied as files.
package manifests

import "embed"

// Teams holds teams/manifest.json, whose app id is the placeholder
// {{MICROSOFT_APP_ID}}, and the app's icons teams/color.png (192×192) and
// teams/outline.png (32×32, white on transparent).
//
//go:embed teams/manifest.json teams/color.png teams/outline.png
var Teams embed.FS

// Slack holds the Slack app manifests: slack/manifest.yaml (HTTP endpoints)
// and slack/manifest-socket.yaml (Socket Mode).
//
//go:embed slack/*.yaml
var Slack embed.FS

// TeamsAppIDPlaceholder stands for the bot's Microsoft app id in
// teams/manifest.json.
const TeamsAppIDPlaceholder = "{{MICROSOFT_APP_ID}}"
