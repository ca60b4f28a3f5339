package main

import (
	"os/exec"
	"strings"
	"testing"
)

// deps lists the packages pkg depends on (not the standard library's).
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// TestLayout keeps the dependency rules of docs/architecture.md: domain
// imports only the standard library; the outbox only domain; the
// conversations no platform SDK, database driver or scheduler; adapters no
// storage.
func TestLayout(t *testing.T) {
	const mod = "github.com/okrbot/okrbot/"
	for _, p := range deps(t, "../../domain") {
		if p != mod+"domain" {
			t.Errorf("domain depends on %s", p)
		}
	}
	for _, p := range deps(t, "../../outbox") {
		if p != mod+"outbox" && p != mod+"domain" {
			t.Errorf("outbox depends on %s", p)
		}
	}
	forbidden := map[string][]string{
		"../../conversations/...": {"github.com/go-co-op/gocron", "github.com/jonboulle/clockwork", "github.com/slack-go/slack",
			"github.com/infracloudio/msbotbuilder-go", "go.mongodb.org/mongo-driver", mod + "storage", mod + "outbox", mod + "bot/"},
		"../../bot/...": {mod + "storage", mod + "outbox", "go.mongodb.org/mongo-driver"},
		// The HTTP API is a front end like the adapters.
		"../../api/...": {mod + "storage", mod + "outbox", mod + "bot/", "go.mongodb.org/mongo-driver"},
	}
	for _, p := range deps(t, "../../sources") {
		if strings.HasPrefix(p, mod) && p != mod+"sources" && p != mod+"domain" {
			t.Errorf("sources depends on %s", p)
		}
	}
	for pkg, bad := range forbidden {
		for _, p := range deps(t, pkg) {
			for _, b := range bad {
				if strings.HasPrefix(p, b) {
					t.Errorf("%s depends on %s", strings.TrimPrefix(pkg, "../../"), p)
				}
			}
		}
	}
}
