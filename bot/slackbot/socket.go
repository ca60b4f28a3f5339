package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// RunSocketMode connects to Slack with the app-level token and serves the
// same commands, buttons, forms and events as the HTTP endpoints, until ctx
// ends. Socket Mode needs no public URL: it is for development and private
// installs (apps in Slack's Marketplace must use HTTP). Slack has already
// authenticated what arrives on the socket, so there is no signature to check.
func (b *Bot) RunSocketMode(ctx context.Context) error {
	if b.cfg.AppToken == "" {
		return errors.New("slackbot: Socket Mode needs an app-level token (SLACK_APP_TOKEN)")
	}
	token := b.cfg.BotToken
	api := slack.New(token,
		slack.OptionAppLevelToken(b.cfg.AppToken),
		slack.OptionAPIURL(b.apiURL),
		slack.OptionHTTPClient(&doer{b: b, team: "socket"}),
	)
	sm := socketmode.New(api)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-sm.Events:
				if !ok {
					return
				}
				go b.socketEvent(ctx, sm, ev)
			}
		}
	}()
	b.log.Info("slack socket mode starting")
	err := sm.RunContext(ctx)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// acker acknowledges a Socket Mode envelope (*socketmode.Client).
type acker interface {
	Ack(req socketmode.Request, payload ...any) error
}

// socketEvent handles one Socket Mode event through the paths the HTTP
// endpoints use, and acknowledges it with what the HTTP response would carry.
func (b *Bot) socketEvent(ctx context.Context, sm acker, ev socketmode.Event) {
	ack := func(body []byte) {
		var err error
		if len(body) > 0 {
			err = sm.Ack(*ev.Request, json.RawMessage(body))
		} else {
			err = sm.Ack(*ev.Request)
		}
		if err != nil {
			b.log.Warn("slack socket mode ack failed", "err", err)
		}
	}
	// admitted checks the workspace as the HTTP endpoints do; a refused
	// envelope is acknowledged (Slack would only send it again) with what
	// the HTTP answer would carry, and nothing else is done for it.
	admitted := func(team, enterprise string, notInstalled []byte) bool {
		no := b.check(ctx, "socket", "", team, enterprise, notInstalled)
		if no == nil {
			return true
		}
		if no.status != http.StatusServiceUnavailable {
			ack(no.body)
		}
		return false
	}
	switch ev.Type {
	case socketmode.EventTypeSlashCommand:
		sc, ok := ev.Data.(slack.SlashCommand)
		if !ok || ev.Request == nil || !admitted(sc.TeamID, sc.EnterpriseID, notInstalledAnswer()) {
			return
		}
		ack(b.command(ctx, sc, b.now()))
	case socketmode.EventTypeInteractive:
		ic, ok := ev.Data.(slack.InteractionCallback)
		if !ok || ev.Request == nil || !admitted(teamOf(ic), ic.Enterprise.ID, nil) {
			return
		}
		ack(b.interaction(ctx, ic, b.now()))
	case socketmode.EventTypeEventsAPI:
		if ev.Request == nil {
			return
		}
		var env eventEnvelope
		if err := json.Unmarshal(ev.Request.Payload, &env); err != nil {
			ack(nil)
			return
		}
		if env.Type == "event_callback" && !admitted(env.TeamID, env.EnterpriseID, nil) {
			return
		}
		if err := b.event(ctx, env, ev.Request.RetryAttempt, ev.Request.RetryReason); err != nil {
			return // not acknowledged: Slack delivers it again
		}
		ack(nil)
	case socketmode.EventTypeConnected:
		b.log.Info("slack socket mode connected")
	case socketmode.EventTypeInvalidAuth:
		b.log.Error("slack socket mode: the app-level token was refused")
	case socketmode.EventTypeConnectionError:
		b.log.Warn("slack socket mode connection error; reconnecting")
	}
}
