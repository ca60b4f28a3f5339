package slackbot

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/slack-go/slack"

	"github.com/okrbot/okrbot/domain"
)

// eventEnvelope is the part of an Events API request okrbot reads.
type eventEnvelope struct {
	Type         string `json:"type"` // url_verification, event_callback
	Challenge    string `json:"challenge"`
	TeamID       string `json:"team_id"`
	EnterpriseID string `json:"enterprise_id"`
	EventID      string `json:"event_id"`
	Event        struct {
		Type   string `json:"type"`
		User   string `json:"user"`
		Tab    string `json:"tab"`
		Tokens struct {
			Bot   []string `json:"bot"`
			OAuth []string `json:"oauth"`
		} `json:"tokens"`
	} `json:"event"`
}

// serveEvent answers POST /slack/events: the URL verification challenge and
// the events okrbot subscribes to (BotEvents).
func (b *Bot) serveEvent(w http.ResponseWriter, r *http.Request, body []byte) {
	var env eventEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if env.Type == "url_verification" {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"challenge": env.Challenge})
		return
	}
	if env.Type == "event_callback" {
		if no := b.check(r.Context(), r.URL.Path, r.RemoteAddr, env.TeamID, env.EnterpriseID, nil); no != nil {
			no.write(w)
			return
		}
	}
	retry, _ := strconv.Atoi(r.Header.Get("X-Slack-Retry-Num"))
	if err := b.event(r.Context(), env, retry, r.Header.Get("X-Slack-Retry-Reason")); err != nil {
		// Not remembered: Slack retries, and the retry does the work.
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// event handles a verified event_callback. Each event id has one effect,
// however often Slack delivers it (X-Slack-Retry-Num): the first delivery
// records its id, a retry finds it and is acknowledged without effect. The
// work runs after the acknowledgement, within Slack's 3 s.
func (b *Bot) event(ctx context.Context, env eventEnvelope, retry int, retryReason string) error {
	if env.Type != "event_callback" || env.EventID == "" {
		return nil
	}
	key := "slack/event/" + env.EventID
	first, err := b.store.Remember(ctx, key)
	if err != nil {
		b.log.Error("slack event dedupe", "event_id", env.EventID, "err", err)
		return err
	}
	if !first {
		b.log.Info("slack event delivered again; already handled", "event_id", env.EventID, "type", env.Event.Type, "retry", retry, "reason", retryReason)
		return nil
	}
	go func() {
		defer b.recoverPanic("event")
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.CommandTimeout)
		defer cancel()
		if err := b.handleEvent(ctx, env); err != nil {
			b.log.Warn("slack event failed", "event_id", env.EventID, "type", env.Event.Type, "err", safeErr(err))
			// Let a later delivery of the same event try again.
			b.store.Forget(context.WithoutCancel(ctx), key)
		}
	}()
	return nil
}

func (b *Bot) handleEvent(ctx context.Context, env eventEnvelope) error {
	ws := domain.WorkspaceID(domain.Slack, env.TeamID)
	switch env.Event.Type {
	case "app_home_opened":
		if env.Event.Tab != "" && env.Event.Tab != "home" {
			return nil
		}
		return b.publishHome(ctx, env.TeamID, env.Event.User)
	case "app_uninstalled":
		b.forgetClient(env.TeamID)
		b.log.Info("okrbot uninstalled from a slack workspace; its data stays", "team", env.TeamID)
		return b.store.DeleteInstallation(ctx, ws)
	case "tokens_revoked":
		if len(env.Event.Tokens.Bot) == 0 {
			return nil
		}
		b.forgetClient(env.TeamID)
		b.log.Info("okrbot's token revoked in a slack workspace; its data stays", "team", env.TeamID)
		return b.store.DeleteInstallation(ctx, ws)
	}
	return nil
}

// publishHome renders the person's App Home tab.
func (b *Bot) publishHome(ctx context.Context, team, user string) error {
	c, err := b.client(ctx, team)
	if err != nil {
		return err
	}
	a := b.actor(ctx, c, team, user, "")
	m, err := b.svc.Home(ctx, a)
	if err != nil {
		return err
	}
	_, err = c.PublishViewContext(ctx, slack.PublishViewContextRequest{
		UserID: user,
		View:   slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: renderBlocks(m, maxViewBlocks)}},
	})
	return err
}
