package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/okrbot/okrbot/bot/slackbot"
)

// registeredMetrics finds the okrbot_… metrics the code registers: every
// Name: "okrbot_…" of a prometheus.*Opts and every NewDesc("okrbot_…"),
// in the repository's non-test Go files.
func registeredMetrics(t *testing.T) map[string]bool {
	t.Helper()
	re := regexp.MustCompile(`(?:Name:\s*|NewDesc\(\s*)"(okrbot_[a-z0-9_]+)"`)
	out := map[string]bool{}
	err := filepath.WalkDir(repoRoot, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && (e.Name() == ".git" || e.Name() == "testdata" || e.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if e.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			out[string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 5 {
		t.Fatalf("found only %v registered metrics: is the pattern out of date?", out)
	}
	return out
}

// servedRoutes are the HTTP paths okrbot serves: the patterns cmd/okrbot
// registers on its mux, and the Slack adapter's paths.
func servedRoutes(t *testing.T) []string {
	t.Helper()
	routes := []string{slackbot.PathCommands, slackbot.PathInteractions, slackbot.PathEvents, slackbot.PathInstall, slackbot.PathOAuthCallback}
	files, _ := filepath.Glob("*.go")
	re := regexp.MustCompile(`mux\.Handle(?:Func)?\(\s*"(?:[A-Z]+ )?(/[^" ]*)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			routes = append(routes, string(m[1]))
		}
	}
	return routes
}

// markdownCode splits a Markdown text into its fenced blocks (with their
// language) and its inline code spans.
func markdownCode(doc string) (blocks []struct{ lang, text string }, spans []string) {
	lines := strings.Split(doc, "\n")
	for i := 0; i < len(lines); i++ {
		if lang, ok := strings.CutPrefix(lines[i], "```"); ok {
			var b strings.Builder
			for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
				b.WriteString(lines[i] + "\n")
			}
			blocks = append(blocks, struct{ lang, text string }{strings.TrimSpace(lang), b.String()})
			continue
		}
		for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(lines[i], -1) {
			spans = append(spans, m[1])
		}
	}
	return blocks, spans
}

// usageOf returns what `okrbot args… -h` prints.
func usageOf(args []string) string {
	var out bytes.Buffer
	run(context.Background(), append(append([]string{"okrbot"}, args...), "-h"), env(nil), strings.NewReader(""), &out, &out)
	return out.String()
}

// promRules is a Prometheus rules file, strictly.
type promRules struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// TestOperationsDoc keeps docs/operations.md true to the code: the metrics
// it names are registered, the settings are read, the okrbot commands and
// their flags exist, its YAML examples decode strictly (Kubernetes objects
// into their types, alert rules as a rules file), its Ingress routes only
// paths okrbot serves, and the README links it.
func TestOperationsDoc(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)

	registered := registeredMetrics(t)
	named := map[string]bool{}
	for _, m := range regexp.MustCompile(`okrbot_[a-z0-9_]+`).FindAllString(doc, -1) {
		named[m] = true
	}
	for m := range named {
		if !registered[m] {
			t.Errorf("docs/operations.md names %s, which the code does not register", m)
		}
	}
	var undocumented []string
	for m := range registered {
		if !named[m] {
			undocumented = append(undocumented, m)
		}
	}
	sort.Strings(undocumented)
	if len(undocumented) > 0 {
		t.Logf("metrics docs/operations.md does not describe yet: %v", undocumented)
	}

	known := map[string]bool{}
	for _, s := range settings {
		known[s.env] = true
	}
	for _, v := range regexp.MustCompile(`\b(?:OKRBOT|SLACK|MICROSOFT|MONGODB)_[A-Z0-9_]+\b`).FindAllString(doc, -1) {
		if !known[v] {
			t.Errorf("docs/operations.md names %s, which is not a setting okrbot reads", v)
		}
	}

	blocks, spans := markdownCode(doc)
	code := slices.Clone(spans)
	for _, bl := range blocks {
		code = append(code, strings.Split(bl.text, "\n")...)
	}
	// okrbot's own command lines: `okrbot cmd …`, /okrbot cmd … (in a
	// container), go run ./cmd/okrbot cmd ….
	cmdRE := regexp.MustCompile(`(?:^okrbot|(?:^|[\s"'\[])/okrbot|\./cmd/okrbot) +([a-z][a-z-]*)((?: +[^ |]+)*)`)
	for _, line := range code {
		line, _, _ = strings.Cut(line, " #") // a shell comment
		for _, m := range cmdRE.FindAllStringSubmatch(strings.TrimSpace(line), -1) {
			cmd := m[1]
			if !knownCommand(cmd) {
				if cmd == "backup" {
					t.Logf("okrbot backup has not landed yet: %q", line)
					continue
				}
				t.Errorf("docs/operations.md runs okrbot %s, which is not a command: %q", cmd, line)
				continue
			}
			args := []string{cmd}
			rest := strings.Fields(m[2])
			for len(rest) > 0 && !strings.HasPrefix(rest[0], "-") && cmd == "jobs" {
				args, rest = append(args, rest[0]), rest[1:]
			}
			usage := usageOf(args)
			for _, f := range regexp.MustCompile(`(?:^| )--?([a-z][a-z-]*)`).FindAllStringSubmatch(" "+strings.Join(rest, " "), -1) {
				if !regexp.MustCompile(`(?m)^\s+-` + regexp.QuoteMeta(f[1]) + `\b`).MatchString(usage) {
					t.Errorf("docs/operations.md gives okrbot %s the flag --%s, which it does not have: %q", strings.Join(args, " "), f[1], line)
				}
			}
		}
	}

	routes := servedRoutes(t)
	yamlBlocks := 0
	for _, bl := range blocks {
		if bl.lang != "yaml" {
			continue
		}
		yamlBlocks++
		if strings.HasPrefix(bl.text, "groups:") {
			var rules promRules
			dec := yaml.NewDecoder(strings.NewReader(bl.text))
			dec.KnownFields(true)
			if err := dec.Decode(&rules); err != nil {
				t.Errorf("the alert rules do not decode: %v", err)
			}
			for _, g := range rules.Groups {
				for _, r := range g.Rules {
					if (r.Alert == "") == (r.Record == "") || strings.TrimSpace(r.Expr) == "" {
						t.Errorf("rule %+v: want an alert or a record, and an expression", r)
					}
					if strings.Count(r.Expr, "(") != strings.Count(r.Expr, ")") {
						t.Errorf("rule %s: unbalanced parentheses in %q", r.Alert, r.Expr)
					}
				}
			}
			continue
		}
		objs, err := decodeK8s("docs/operations.md", []byte(bl.text))
		if err != nil {
			t.Error(err)
			continue
		}
		for _, o := range objs {
			if o.obj == nil {
				t.Errorf("docs/operations.md: a %s, which the test cannot check", o.kind)
			}
			ing, ok := o.obj.(*networkingv1.Ingress)
			if !ok {
				continue
			}
			for _, r := range ing.Spec.Rules {
				for _, p := range r.HTTP.Paths {
					served := false
					for _, route := range routes {
						served = served || strings.HasPrefix(route, p.Path)
					}
					if !served {
						t.Errorf("the Ingress routes %s, which okrbot does not serve (%v)", p.Path, routes)
					}
					if strings.HasPrefix("/metrics", p.Path) || strings.HasPrefix("/readyz", p.Path) {
						t.Errorf("the Ingress publishes %s", p.Path)
					}
				}
			}
		}
	}
	if yamlBlocks < 3 {
		t.Errorf("%d YAML examples found: is the Markdown parsing out of date?", yamlBlocks)
	}

	// The restore names the embedded store's file as the store does.
	if src, err := os.ReadFile(filepath.Join(repoRoot, "storage", "sqlite", "sqlite.go")); err == nil {
		if m := regexp.MustCompile(`FileName = "([^"]+)"`).FindSubmatch(src); m == nil || !strings.Contains(doc, "`"+string(m[1])+"`") {
			t.Errorf("the restore does not name the store file as storage/sqlite does (%s)", m)
		}
	}

	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, []byte("(docs/operations.md)")) {
		t.Error("the README does not link docs/operations.md")
	}
}
