package auth

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/infracloudio/msbotbuilder-go/core"
	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/okrbot/okrbot/internal/testclock"
)

func TestNewValidator(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"defaults", Config{AppID: testAppID}, ""},
		{"all set", Config{AppID: testAppID, MetadataURL: "http://localhost:1/m", HTTPClient: http.DefaultClient, Now: time.Now, Leeway: time.Minute}, ""},
		{"empty app id", Config{}, "app id is required"},
		{"blank app id", Config{AppID: " \t"}, "app id is required"},
		{"relative metadata URL", Config{AppID: testAppID, MetadataURL: "/v1/.well-known/openidconfiguration"}, "not an absolute http(s) URL"},
		{"metadata URL with other scheme", Config{AppID: testAppID, MetadataURL: "file:///etc/keys"}, "not an absolute http(s) URL"},
		{"negative leeway", Config{AppID: testAppID, Leeway: -time.Second}, "leeway must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewValidator(tt.cfg)
			if tt.wantErr == "" {
				if err != nil || v == nil {
					t.Fatalf("NewValidator() = %v, %v; want a validator", v, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewValidator() error = %v; want one containing %q", err, tt.wantErr)
			}
			if v != nil {
				t.Errorf("NewValidator() returned a validator along with an error")
			}
		})
	}
}

func TestAuthenticateRequest(t *testing.T) {
	now := t0
	// claims returns the valid claims changed by edit.
	claims := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := validClaims(now)
		if edit != nil {
			edit(c)
		}
		return c
	}
	publicPEM := func(t *testing.T) []byte {
		der, err := x509.MarshalPKIXPublicKey(&testKeys()[0].PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}
	// Besides keyA the fake Bot Framework serves keys that must never verify a Teams activity.
	served := []testJWK{
		keyA(),
		{kid: "no-endorsements", pub: &testKeys()[2].PublicKey},
		{kid: "slack-only", pub: &testKeys()[2].PublicKey, endorsements: []string{"slack"}},
		{kid: "rs512-only", pub: &testKeys()[0].PublicKey, endorsements: []string{"msteams"}, extra: map[string]any{"alg": "RS512"}},
	}

	tests := []struct {
		name     string
		edit     func(jwt.MapClaims)       // changes to the valid claims
		token    func(t *testing.T) string // nil: the edited claims signed with RS256 by keyA
		header   func(token string) string // nil: "Bearer " + token
		activity func(*schema.Activity)
		wantErr  string // "" means the token is accepted
	}{
		{
			name: "good token",
		},
		{
			name:  "RS512 token",
			token: func(t *testing.T) string { return sign(t, jwt.SigningMethodRS512, kidA, testKeys()[0], claims(nil)) },
		},
		{
			name:   "lower-case bearer scheme",
			header: func(tok string) string { return "bearer " + tok },
		},
		{
			name:     "serviceUrl differs only by a trailing slash",
			activity: func(a *schema.Activity) { a.ServiceURL = strings.TrimSuffix(testServiceURL, "/") },
		},
		{
			name: "audience as an array",
			edit: func(c jwt.MapClaims) { c["aud"] = []string{testAppID} },
		},
		{
			name: "exp passed but within leeway",
			edit: func(c jwt.MapClaims) { c["exp"] = now.Add(-4 * time.Minute).Unix() },
		},
		{
			name: "nbf slightly ahead",
			edit: func(c jwt.MapClaims) { c["nbf"] = now.Add(4 * time.Minute).Unix() },
		},
		{
			name: "no nbf",
			edit: func(c jwt.MapClaims) { delete(c, "nbf") },
		},
		{
			name:    "wrong issuer",
			edit:    func(c jwt.MapClaims) { c["iss"] = "https://sts.windows.net/evil/" },
			wantErr: "token has invalid issuer",
		},
		{
			name:    "missing issuer",
			edit:    func(c jwt.MapClaims) { delete(c, "iss") },
			wantErr: "iss claim is required",
		},
		{
			name:    "wrong audience",
			edit:    func(c jwt.MapClaims) { c["aud"] = "some-other-bot" },
			wantErr: "token has invalid audience",
		},
		{
			name:    "missing audience",
			edit:    func(c jwt.MapClaims) { delete(c, "aud") },
			wantErr: "aud claim is required",
		},
		{
			name:    "expired beyond leeway",
			edit:    func(c jwt.MapClaims) { c["exp"] = now.Add(-6 * time.Minute).Unix() },
			wantErr: "token is expired",
		},
		{
			name:    "no exp",
			edit:    func(c jwt.MapClaims) { delete(c, "exp") },
			wantErr: "exp claim is required",
		},
		{
			name:    "nbf far ahead",
			edit:    func(c jwt.MapClaims) { c["nbf"] = now.Add(10 * time.Minute).Unix() },
			wantErr: "token is not valid yet",
		},
		{
			name: "alg none",
			token: func(t *testing.T) string {
				return sign(t, jwt.SigningMethodNone, kidA, jwt.UnsafeAllowNoneSignatureType, claims(nil))
			},
			wantErr: "signing method none is invalid",
		},
		{
			name:    "HS256 keyed with the public key (key confusion)",
			token:   func(t *testing.T) string { return sign(t, jwt.SigningMethodHS256, kidA, publicPEM(t), claims(nil)) },
			wantErr: "signing method HS256 is invalid",
		},
		{
			name:    "PS256",
			token:   func(t *testing.T) string { return sign(t, jwt.SigningMethodPS256, kidA, testKeys()[0], claims(nil)) },
			wantErr: "signing method PS256 is invalid",
		},
		{
			name:    "signed by another key under a known kid",
			token:   func(t *testing.T) string { return signRS256(t, 2, kidA, claims(nil)) },
			wantErr: "token signature is invalid",
		},
		{
			name: "claims altered after signing",
			token: func(t *testing.T) string {
				good := strings.Split(signRS256(t, 0, kidA, claims(nil)), ".")
				other := strings.Split(signRS256(t, 0, kidA, claims(func(c jwt.MapClaims) { c["serviceurl"] = "https://evil.example/" })), ".")
				return good[0] + "." + other[1] + "." + good[2]
			},
			wantErr: "token signature is invalid",
		},
		{
			name:    "key declares another algorithm",
			token:   func(t *testing.T) string { return signRS256(t, 0, "rs512-only", claims(nil)) },
			wantErr: "signing key is for RS512",
		},
		{
			name:    "no kid",
			token:   func(t *testing.T) string { return signRS256(t, 0, "", claims(nil)) },
			wantErr: "token has no key id",
		},
		{
			name:    "unknown kid",
			token:   func(t *testing.T) string { return signRS256(t, 0, "made-up", claims(nil)) },
			wantErr: "signing key not found",
		},
		{
			name:    "channel not endorsed by the key",
			token:   func(t *testing.T) string { return signRS256(t, 2, "slack-only", claims(nil)) },
			wantErr: `not endorsed for channel "msteams"`,
		},
		{
			name:     "activity from a channel the key does not endorse",
			activity: func(a *schema.Activity) { a.ChannelID = "slack" },
			wantErr:  `not endorsed for channel "slack"`,
		},
		{
			name:     "activity without channel id",
			activity: func(a *schema.Activity) { a.ChannelID = "" },
			wantErr:  `not endorsed for channel ""`,
		},
		{
			name:    "key without endorsements",
			token:   func(t *testing.T) string { return signRS256(t, 2, "no-endorsements", claims(nil)) },
			wantErr: "not endorsed for channel",
		},
		{
			name:     "serviceurl claim differs from the activity",
			activity: func(a *schema.Activity) { a.ServiceURL = "https://evil.example/" },
			wantErr:  "serviceurl claim does not match",
		},
		{
			name:    "no serviceurl claim",
			edit:    func(c jwt.MapClaims) { delete(c, "serviceurl") },
			wantErr: "serviceurl claim does not match",
		},
		{
			name:     "no serviceurl anywhere",
			edit:     func(c jwt.MapClaims) { delete(c, "serviceurl") },
			activity: func(a *schema.Activity) { a.ServiceURL = "" },
			wantErr:  "serviceurl claim does not match",
		},
		{
			name:    "missing header",
			header:  func(string) string { return "" },
			wantErr: "not a Bearer token",
		},
		{
			name:    "token without scheme",
			header:  func(tok string) string { return tok },
			wantErr: "not a Bearer token",
		},
		{
			name:    "Basic scheme",
			header:  func(tok string) string { return "Basic " + tok },
			wantErr: "not a Bearer token",
		},
		{
			name:    "Bearer without token",
			header:  func(string) string { return "Bearer " },
			wantErr: "malformed Bearer token",
		},
		{
			name:    "two spaces",
			header:  func(tok string) string { return "Bearer  " + tok },
			wantErr: "malformed Bearer token",
		},
		{
			name:    "garbled token",
			token:   func(t *testing.T) string { return "eyJhbGciOiJSUzI1NiJ9.!!!.c2ln" },
			wantErr: "token is malformed",
		},
		{
			name:    "two segments",
			token:   func(t *testing.T) string { return "eyJhbGciOiJSUzI1NiJ9.e30" },
			wantErr: "token is malformed",
		},
		{
			name:    "oversized token",
			token:   func(t *testing.T) string { return strings.Repeat("a", maxTokenLen+1) },
			wantErr: "too long",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bf := newBotFramework(t, served...)
			v := newTestValidator(t, bf, testclock.New(t0))
			var token string
			if tt.token != nil {
				token = tt.token(t)
			} else {
				token = signRS256(t, 0, kidA, claims(tt.edit))
			}
			header := "Bearer " + token
			if tt.header != nil {
				header = tt.header(token)
			}
			activity := teamsActivity()
			if tt.activity != nil {
				tt.activity(&activity)
			}

			id, err := v.AuthenticateRequest(context.Background(), activity, header, nil, "")

			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("AuthenticateRequest() error = %v; want nil", err)
				}
				if id == nil || !id.IsAuthenticated() {
					t.Fatalf("AuthenticateRequest() identity = %v; want an authenticated one", id)
				}
				return
			}
			if err == nil {
				t.Fatalf("AuthenticateRequest() accepted the token; want an error containing %q", tt.wantErr)
			}
			t.Logf("rejected: %v", err)
			if id != nil {
				t.Errorf("AuthenticateRequest() returned an identity along with error %v", err)
			}
			if !errors.Is(err, ErrUnauthorized) {
				t.Errorf("AuthenticateRequest() error = %v; want it to wrap ErrUnauthorized", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("AuthenticateRequest() error = %q; want it to contain %q", err, tt.wantErr)
			}
			if leaksToken(err.Error(), token) {
				t.Errorf("AuthenticateRequest() error %q contains the token", err)
			}
		})
	}
}

func TestIdentityClaims(t *testing.T) {
	bf := newBotFramework(t, keyA())
	v := newTestValidator(t, bf, testclock.New(t0))
	c := validClaims(t0)
	c["tid"] = "tenant-1"
	c["nested"] = map[string]any{"a": 1}

	id, err := v.AuthenticateRequest(context.Background(), teamsActivity(), "Bearer "+signRS256(t, 0, kidA, c), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ claim, want string }{
		{"iss", "https://api.botframework.com"},
		{"aud", testAppID},
		{"serviceurl", testServiceURL},
		{"tid", "tenant-1"},
		{"exp", strconv.FormatInt(t0.Add(time.Hour).Unix(), 10)},
		{"nested", ""},
		{"absent", ""}, // msbotbuilder-go's DefaultClaimIdentity panics here
	}
	for _, tt := range tests {
		if got := id.GetClaimValue(tt.claim); got != tt.want {
			t.Errorf("GetClaimValue(%q) = %q; want %q", tt.claim, got, tt.want)
		}
	}
}

// TestBotFrameworkAdapter checks the validator plugs into msbotbuilder-go's
// adapter and that ErrUnauthorized survives its error wrapping.
func TestBotFrameworkAdapter(t *testing.T) {
	bf := newBotFramework(t, keyA())
	v := newTestValidator(t, bf, testclock.New(t0))
	adapter := &core.BotFrameworkAdapter{
		AdapterSetting: core.AdapterSetting{AppID: testAppID},
		TokenValidator: v,
	}
	body := `{"type":"message","channelId":"msteams","serviceUrl":"` + testServiceURL + `","text":"/okr list"}`
	request := func(token string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/api/messages", strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+token)
		return r
	}

	activity, err := adapter.ParseRequest(context.Background(), request(signRS256(t, 0, kidA, validClaims(t0))))
	if err != nil {
		t.Fatalf("ParseRequest(good token) error = %v", err)
	}
	if activity.Text != "/okr list" {
		t.Errorf("ParseRequest(good token) text = %q; want %q", activity.Text, "/okr list")
	}

	c := validClaims(t0)
	c["aud"] = "another-bot"
	_, err = adapter.ParseRequest(context.Background(), request(signRS256(t, 0, kidA, c)))
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("ParseRequest(foreign token) error = %v; want one wrapping ErrUnauthorized", err)
	}
}

// leaksToken reports whether msg contains the token or its signature.
func leaksToken(msg, token string) bool {
	parts := strings.Split(token, ".")
	sig := parts[len(parts)-1]
	return strings.Contains(msg, token) || (len(sig) >= 8 && strings.Contains(msg, sig))
}
