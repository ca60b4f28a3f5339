package slackbot_test

import (
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/okrbot/okrbot/bot/slackbot"
)

type manifest struct {
	Features struct {
		AppHome struct {
			HomeTab     bool `yaml:"home_tab_enabled"`
			MessagesTab bool `yaml:"messages_tab_enabled"`
		} `yaml:"app_home"`
		BotUser struct {
			DisplayName string `yaml:"display_name"`
		} `yaml:"bot_user"`
		SlashCommands []struct {
			Command      string `yaml:"command"`
			URL          string `yaml:"url"`
			ShouldEscape bool   `yaml:"should_escape"`
		} `yaml:"slash_commands"`
	} `yaml:"features"`
	OAuth struct {
		RedirectURLs []string `yaml:"redirect_urls"`
		Scopes       struct {
			Bot []string `yaml:"bot"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		Events struct {
			RequestURL string   `yaml:"request_url"`
			BotEvents  []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			Enabled    bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
		SocketMode bool `yaml:"socket_mode_enabled"`
	} `yaml:"settings"`
}

func readManifest(t *testing.T, name string) manifest {
	t.Helper()
	b, err := os.ReadFile("../../manifests/slack/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	sort.Strings(g)
	sort.Strings(w)
	if !slices.Equal(g, w) {
		t.Errorf("%s: manifest has %v, the code uses %v", what, g, w)
	}
}

func path(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "https" || p.Host != "YOUR-HOST" {
		t.Errorf("URL %q is not https://YOUR-HOST/…", u)
		return ""
	}
	return p.Path
}

// TestManifestMatchesTheCode: every route, command, scope and event the
// code uses is in the manifests, and nothing else is.
func TestManifestMatchesTheCode(t *testing.T) {
	for _, name := range []string{"manifest.yaml", "manifest-socket.yaml"} {
		m := readManifest(t, name)
		socket := name == "manifest-socket.yaml"
		if m.Settings.SocketMode != socket {
			t.Errorf("%s: socket_mode_enabled = %v", name, m.Settings.SocketMode)
		}
		var cmds []string
		for _, c := range m.Features.SlashCommands {
			cmds = append(cmds, c.Command)
			if !c.ShouldEscape {
				t.Errorf("%s: %s without should_escape: mentions would arrive as plain names", name, c.Command)
			}
			if socket != (c.URL == "") {
				t.Errorf("%s: %s url %q", name, c.Command, c.URL)
			}
			if !socket && path(t, c.URL) != slackbot.PathCommands {
				t.Errorf("%s: %s goes to %s", name, c.Command, c.URL)
			}
		}
		sameSet(t, name+" commands", cmds, slackbot.Commands)
		sameSet(t, name+" bot scopes", m.OAuth.Scopes.Bot, slackbot.BotScopes)
		sameSet(t, name+" bot events", m.Settings.Events.BotEvents, slackbot.BotEvents)
		if !m.Features.AppHome.HomeTab || !m.Settings.Interactivity.Enabled {
			t.Errorf("%s: App Home tab and interactivity must be on", name)
		}
		if socket {
			continue
		}
		if path(t, m.Settings.Events.RequestURL) != slackbot.PathEvents {
			t.Errorf("%s: events URL %s", name, m.Settings.Events.RequestURL)
		}
		if path(t, m.Settings.Interactivity.RequestURL) != slackbot.PathInteractions {
			t.Errorf("%s: interactivity URL %s", name, m.Settings.Interactivity.RequestURL)
		}
		if len(m.OAuth.RedirectURLs) != 1 || path(t, m.OAuth.RedirectURLs[0]) != slackbot.PathOAuthCallback {
			t.Errorf("%s: redirect URLs %v", name, m.OAuth.RedirectURLs)
		}
	}
	// The install link asks for exactly the manifest's scopes.
	e := newEnv(t, nil, func(c *slackbot.Config) { c.ClientID, c.ClientSecret = "cid", "csecret" })
	resp, err := noRedirect.Get(e.srv.URL + slackbot.PathInstall)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	sameSet(t, "install link scopes", strings.Split(loc.Query().Get("scope"), ","), readManifest(t, "manifest.yaml").OAuth.Scopes.Bot)
}
