package main

import (
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/okrbot/okrbot/bot/slackbot"
	"github.com/okrbot/okrbot/sources"
)

// Config is everything okrbot reads from its environment. Every variable is
// also a flag of `okrbot serve`; a flag given on the command line wins.
type Config struct {
	Addr          string
	MongoURI      string
	MongoDatabase string
	DataDir       string
	TimeZone      string
	EncryptionKey string

	SlackSigningSecret string
	SlackBotToken      string
	SlackAppToken      string
	SlackClientID      string
	SlackClientSecret  string
	SlackAPIURL        string

	MicrosoftAppID             string
	MicrosoftAppPassword       string
	MicrosoftAppTenantID       string
	MicrosoftOpenIDMetadataURL string
	MicrosoftTokenURL          string

	SlackLimits string
	Admins      string
	SourceAllow string

	// secretsFromEnv fills the secret settings from the environment after
	// the flags are parsed (see bindConfig).
	secretsFromEnv func()
}

// setting ties an environment variable to a flag and a Config field. The
// README's configuration table is checked against this list by a test.
type setting struct {
	env, flag, def, help string
	secret               bool
	dst                  func(*Config) *string
}

var settings = []setting{
	{"OKRBOT_ADDR", "addr", ":3000", "HTTP listen address", false, func(c *Config) *string { return &c.Addr }},
	{"MONGODB_URI", "mongodb-uri", "", "MongoDB connection string; unset: the embedded store", true, func(c *Config) *string { return &c.MongoURI }},
	{"MONGODB_DATABASE", "mongodb-database", "okrbot", "database name", false, func(c *Config) *string { return &c.MongoDatabase }},
	{"OKRBOT_DATA_DIR", "data-dir", "./data", "where the embedded store keeps its file (okrbot.db)", false, func(c *Config) *string { return &c.DataDir }},
	{"OKRBOT_TIMEZONE", "timezone", "UTC", "default time zone of new workspaces (IANA name)", false, func(c *Config) *string { return &c.TimeZone }},
	{"OKRBOT_ENCRYPTION_KEY", "encryption-key", "", "32-byte key, base64, that encrypts stored workspace tokens", true, func(c *Config) *string { return &c.EncryptionKey }},
	{"SLACK_SIGNING_SECRET", "slack-signing-secret", "", "Slack signing secret; required for the Slack HTTP endpoints", true, func(c *Config) *string { return &c.SlackSigningSecret }},
	{"SLACK_BOT_TOKEN", "slack-bot-token", "", "Slack bot token (xoxb-…): single-workspace mode", true, func(c *Config) *string { return &c.SlackBotToken }},
	{"SLACK_APP_TOKEN", "slack-app-token", "", "Slack app-level token (xapp-…): Socket Mode", true, func(c *Config) *string { return &c.SlackAppToken }},
	{"SLACK_CLIENT_ID", "slack-client-id", "", "Slack OAuth client id: multi-workspace install", false, func(c *Config) *string { return &c.SlackClientID }},
	{"SLACK_CLIENT_SECRET", "slack-client-secret", "", "Slack OAuth client secret", true, func(c *Config) *string { return &c.SlackClientSecret }},
	{"SLACK_API_URL", "slack-api-url", "https://slack.com/api/", "Slack Web API base URL", false, func(c *Config) *string { return &c.SlackAPIURL }},
	{"MICROSOFT_APP_ID", "microsoft-app-id", "", "Azure Bot app id: enables Teams", false, func(c *Config) *string { return &c.MicrosoftAppID }},
	{"MICROSOFT_APP_PASSWORD", "microsoft-app-password", "", "Azure Bot client secret", true, func(c *Config) *string { return &c.MicrosoftAppPassword }},
	{"MICROSOFT_APP_TENANT_ID", "microsoft-app-tenant-id", "", "Azure tenant of a single-tenant bot", false, func(c *Config) *string { return &c.MicrosoftAppTenantID }},
	{"MICROSOFT_OPENID_METADATA_URL", "microsoft-openid-metadata-url", "https://login.botframework.com/v1/.well-known/openidconfiguration", "Bot Framework OpenID metadata", false, func(c *Config) *string { return &c.MicrosoftOpenIDMetadataURL }},
	{"OKRBOT_ADMINS", "admins", "", "comma-separated user ids (Slack U…, Teams 29:…) who administer every workspace they are in", false, func(c *Config) *string { return &c.Admins }},
	{"OKRBOT_SLACK_LIMITS", "slack-limits", "", "cap Slack Web API pacing per method: method=rate[:burst],… (calls a second; okrbot adapts below it)", false, func(c *Config) *string { return &c.SlackLimits }},
	{"MICROSOFT_TOKEN_URL", "microsoft-token-url", "", "token endpoint; default: the tenant's, or Bot Framework's multi-tenant one", false, func(c *Config) *string { return &c.MicrosoftTokenURL }},
	{"OKRBOT_SOURCE_ALLOW", "source-allow", "", "internal networks KPI sources may fetch from (loopback and private ones are refused otherwise), comma-separated: 10.0.0.0/8,192.168.1.20", false, func(c *Config) *string { return &c.SourceAllow }},
}

// bindConfig registers every setting as a flag of fs, defaulting to the
// environment's value and then the built-in default. Secrets are the
// exception: a flag's default is printed in the usage text (on -h, or on
// any mistyped flag), so secrets take theirs from the environment only
// after parsing, in validate, and never appear there.
func bindConfig(fs *flag.FlagSet, getenv func(string) string) *Config {
	return bindSettings(fs, getenv)
}

// storeFlags are the settings a command that only uses the store and the
// conversations needs (the console): its -h lists those and no others.
var storeFlags = []string{"mongodb-uri", "mongodb-database", "data-dir", "timezone", "admins"}

// dataFlags are the settings a command that only reads and writes the
// store's data needs (export): where the store is, and nothing else.
var dataFlags = []string{"mongodb-uri", "mongodb-database", "data-dir"}

// bindSettings is bindConfig for the settings with the given flag names
// only (every setting when none is given); the others still take their
// value from the environment, without a flag.
func bindSettings(fs *flag.FlagSet, getenv func(string) string, only ...string) *Config {
	c := &Config{}
	bound := func(name string) bool {
		if len(only) == 0 {
			return true
		}
		for _, o := range only {
			if o == name {
				return true
			}
		}
		return false
	}
	for _, s := range settings {
		def := s.def
		if v := getenv(s.env); v != "" && !s.secret {
			def = v
		}
		if !bound(s.flag) {
			*s.dst(c) = def
			continue
		}
		help := s.help + " (" + s.env + ")"
		if s.secret {
			help = s.help + " (" + s.env + "; prefer the environment: flags show in process lists)"
		}
		fs.StringVar(s.dst(c), s.flag, def, help)
	}
	c.secretsFromEnv = func() {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		for _, s := range settings {
			if s.secret && !given[s.flag] {
				*s.dst(c) = getenv(s.env)
			}
		}
	}
	return c
}

// validate completes the configuration from the environment and checks the
// values that would otherwise fail late and obscurely. Call it after parsing.
func (c *Config) validate() error {
	if c.secretsFromEnv != nil {
		c.secretsFromEnv()
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		return fmt.Errorf("OKRBOT_TIMEZONE %q is not an IANA time zone (example: Europe/Paris)", c.TimeZone)
	}
	if c.EncryptionKey != "" {
		if _, err := c.encryptionKey(); err != nil {
			return err
		}
	}
	if _, err := c.slackLimits(); err != nil {
		return err
	}
	if _, err := sources.ParseAllow(c.SourceAllow); err != nil {
		return fmt.Errorf("OKRBOT_SOURCE_ALLOW: %v", err)
	}
	if !strings.HasSuffix(c.SlackAPIURL, "/") {
		c.SlackAPIURL += "/"
	}
	return nil
}

// encryptionKey decodes OKRBOT_ENCRYPTION_KEY (nil when unset).
func (c *Config) encryptionKey() ([]byte, error) {
	if c.EncryptionKey == "" {
		return nil, nil
	}
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(c.EncryptionKey))
	if err != nil || len(k) != 32 {
		return nil, errors.New("OKRBOT_ENCRYPTION_KEY must be 32 bytes in base64 (make one with: openssl rand -base64 32)")
	}
	return k, nil
}

// slackLimits parses OKRBOT_SLACK_LIMITS: "chat.postMessage=20:40,conversations.history=2".
func (c *Config) slackLimits() (map[string]slackbot.Limit, error) {
	if strings.TrimSpace(c.SlackLimits) == "" {
		return nil, nil
	}
	out := map[string]slackbot.Limit{}
	for _, part := range strings.Split(c.SlackLimits, ",") {
		method, spec, ok := strings.Cut(strings.TrimSpace(part), "=")
		rate, burst, _ := strings.Cut(spec, ":")
		r, err := strconv.ParseFloat(rate, 64)
		b := int(math.Max(1, math.Ceil(r)))
		if burst != "" && err == nil {
			b, err = strconv.Atoi(burst)
		}
		if !ok || method == "" || err != nil || r <= 0 || b < 1 {
			return nil, fmt.Errorf("OKRBOT_SLACK_LIMITS %q: use method=rate[:burst],… (example: chat.postMessage=20:40)", part)
		}
		out[method] = slackbot.Limit{Rate: r, Burst: b}
	}
	return out, nil
}

// sourceFetcher fetches KPI sources, from the public internet and the
// networks OKRBOT_SOURCE_ALLOW names (validate has checked it).
func (c *Config) sourceFetcher() *sources.Fetcher {
	allow, _ := sources.ParseAllow(c.SourceAllow)
	return sources.New(sources.Options{Allow: allow, UserAgent: "okrbot/" + versionString() + " (KPI source)"})
}

// admins lists OKRBOT_ADMINS.
func (c *Config) admins() []string {
	var out []string
	for _, a := range strings.Split(c.Admins, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}
