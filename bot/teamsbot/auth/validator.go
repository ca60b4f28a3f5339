// Package auth validates the tokens the Bot Framework (Bot Connector service)
// sends with every activity it posts to the bot.
//
// msbotbuilder-go's own validator skips most of the checks the Bot Framework
// documentation requires (issuer, endorsements, leeway, key refetch). A
// [Validator] implements msbotbuilder-go's auth.TokenValidator and is injected
// into core.BotFrameworkAdapter in its place:
//
//	v, err := auth.NewValidator(auth.Config{AppID: appID})
//	adapter := &core.BotFrameworkAdapter{AdapterSetting: settings, TokenValidator: v, Client: client}
//
// Every rejection wraps [ErrUnauthorized]; the HTTP layer answers 401 to it.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	bfauth "github.com/infracloudio/msbotbuilder-go/connector/auth"
	"github.com/infracloudio/msbotbuilder-go/schema"
)

// DefaultMetadataURL is the OpenID metadata document of the Bot Connector
// service; its jwks_uri lists the keys that sign tokens sent to bots.
const DefaultMetadataURL = "https://login.botframework.com/v1/.well-known/openidconfiguration"

// DefaultLeeway is the clock skew allowed on exp and nbf when Config.Leeway is
// zero; the Bot Framework documentation names five minutes.
const DefaultLeeway = 5 * time.Minute

// issuer is the only issuer of tokens from the Bot Connector service to a bot.
const issuer = "https://api.botframework.com"

// maxTokenLen bounds the work done on a header before anything is verified.
// Bot Framework tokens are around 1.5 KB.
const maxTokenLen = 16 << 10

// allowedAlgs are the signing algorithms the Bot Framework uses. Everything
// else, notably "none" and the HMAC family (key-confusion attacks), is refused.
var allowedAlgs = []string{"RS256", "RS384", "RS512"}

// ErrUnauthorized is wrapped by every error AuthenticateRequest returns, so the
// HTTP layer can answer 401 with errors.Is. The wrapping message says why the
// token was rejected and never contains the token itself.
var ErrUnauthorized = errors.New("unauthorized")

// Config configures a Validator.
type Config struct {
	// AppID is the bot's Microsoft app id, the audience every token must name.
	// Required: an empty app id would disable authentication in msbotbuilder-go,
	// so NewValidator refuses it.
	AppID string
	// MetadataURL is the OpenID metadata document; empty means DefaultMetadataURL.
	MetadataURL string
	// HTTPClient fetches the metadata and the keys; nil means a client with a
	// 10-second timeout.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Leeway is the clock skew allowed on exp and nbf; zero means DefaultLeeway.
	Leeway time.Duration
	// Log hears about the signing keys: a failed fetch is a warning. Nothing
	// is logged when nil.
	Log *slog.Logger
}

// Validator checks Bot Framework tokens as the Bot Framework documentation
// requires: Bearer scheme, RS256/384/512 signature by a key from the OpenID
// metadata whose endorsements include the activity's channel, issuer, audience,
// exp and nbf with leeway, and the serviceurl claim against the activity.
// It is safe for concurrent use.
type Validator struct {
	parser *jwt.Parser
	keys   *keySource
}

// Validator must keep satisfying the interface core.BotFrameworkAdapter embeds.
var _ bfauth.TokenValidator = (*Validator)(nil)

// NewValidator returns a Validator for cfg. It fails when the app id is blank,
// the metadata URL is not an absolute http(s) URL, or the leeway is negative.
// Keys are fetched on the first request, not here.
func NewValidator(cfg Config) (*Validator, error) {
	appID := strings.TrimSpace(cfg.AppID)
	if appID == "" {
		return nil, errors.New("auth: Microsoft app id is required")
	}
	metadataURL := cfg.MetadataURL
	if metadataURL == "" {
		metadataURL = DefaultMetadataURL
	}
	if err := checkFetchURL(metadataURL); err != nil {
		return nil, fmt.Errorf("auth: OpenID metadata URL: %w", err)
	}
	if cfg.Leeway < 0 {
		return nil, errors.New("auth: leeway must not be negative")
	}
	leeway := cfg.Leeway
	if leeway == 0 {
		leeway = DefaultLeeway
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Validator{
		parser: jwt.NewParser(
			jwt.WithValidMethods(allowedAlgs),
			jwt.WithIssuer(issuer),
			jwt.WithAudience(appID),
			jwt.WithExpirationRequired(),
			jwt.WithLeeway(leeway),
			jwt.WithTimeFunc(now),
		),
		keys: newKeySource(metadataURL, client, now, cfg.Log),
	}, nil
}

// Ready reports whether the validator has the Bot Framework's signing keys
// (an error wrapping ErrKeysUnavailable while it has never loaded them). It
// fetches them when it has none, within the refetch rate limit, waiting up
// to ctx: call it at startup and from the readiness probe.
func (v *Validator) Ready(ctx context.Context) error { return v.keys.ready(ctx) }

// AuthenticateRequest validates authHeader for activity and returns the
// token's claims. Every error wraps ErrUnauthorized.
//
// credentials and channelService are ignored: the app id comes from Config,
// and authentication can never be switched off (msbotbuilder-go's
// SimpleCredentialProvider treats an empty app id as "authentication disabled").
func (v *Validator) AuthenticateRequest(ctx context.Context, activity schema.Activity, authHeader string, credentials bfauth.CredentialProvider, channelService string) (bfauth.ClaimsIdentity, error) {
	raw, err := bearerToken(authHeader)
	if err != nil {
		return nil, reject(err)
	}
	claims := jwt.MapClaims{}
	keyFunc := func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("token has no key id")
		}
		k, err := v.keys.key(ctx, kid)
		if err != nil {
			return nil, err
		}
		if k.alg != "" && k.alg != t.Method.Alg() {
			return nil, fmt.Errorf("signing key is for %s, token uses %s", k.alg, t.Method.Alg())
		}
		// The Bot Framework endorses each key for the channels allowed to use it.
		if activity.ChannelID == "" || !slices.Contains(k.endorsements, activity.ChannelID) {
			return nil, fmt.Errorf("signing key is not endorsed for channel %q", activity.ChannelID)
		}
		return k.pub, nil
	}
	if _, err := v.parser.ParseWithClaims(raw, claims, keyFunc); err != nil {
		return nil, reject(err)
	}
	// A token for one service URL must not be replayed to make the bot post elsewhere.
	serviceURL, _ := claims["serviceurl"].(string)
	if serviceURL == "" || !sameServiceURL(serviceURL, activity.ServiceURL) {
		return nil, reject(errors.New("serviceurl claim does not match the activity's serviceUrl"))
	}
	return newIdentity(claims), nil
}

func reject(err error) error {
	return fmt.Errorf("%w: %w", ErrUnauthorized, err)
}

// bearerToken extracts the token from an Authorization header of the form
// "Bearer <jwt>" (the scheme is case-insensitive, RFC 9110 section 11.1).
func bearerToken(header string) (string, error) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", errors.New("authorization header is not a Bearer token")
	}
	if token == "" || strings.ContainsAny(token, " \t\r\n") {
		return "", errors.New("malformed Bearer token")
	}
	if len(token) > maxTokenLen {
		return "", errors.New("token too long")
	}
	return token, nil
}

func sameServiceURL(claim, activity string) bool {
	return strings.TrimSuffix(claim, "/") == strings.TrimSuffix(activity, "/")
}

// checkFetchURL accepts absolute http and https URLs.
func checkFetchURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	return nil
}

// identity is the bfauth.ClaimsIdentity returned for a valid token. Unlike
// msbotbuilder-go's DefaultClaimIdentity, GetClaimValue does not panic on a
// missing or non-string claim: it returns "".
type identity struct {
	claims map[string]string
}

func newIdentity(claims jwt.MapClaims) identity {
	id := identity{claims: make(map[string]string, len(claims))}
	for name, value := range claims {
		switch v := value.(type) {
		case string:
			id.claims[name] = v
		case float64: // exp, nbf, iat
			id.claims[name] = strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			id.claims[name] = strconv.FormatBool(v)
		case []any: // aud may be an array; a single value reads as a string
			if len(v) == 1 {
				if s, ok := v[0].(string); ok {
					id.claims[name] = s
				}
			}
		}
	}
	return id
}

// GetClaimValue returns the named claim as a string; numbers are formatted in
// decimal, and missing or structured claims are "".
func (id identity) GetClaimValue(name string) string { return id.claims[name] }

// IsAuthenticated reports true: an identity exists only for a valid token.
func (identity) IsAuthenticated() bool { return true }
