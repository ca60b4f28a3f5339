package slackbot

import (
	"strings"

	"github.com/okrbot/okrbot/bot/pace"
)

// Limit is an operator's pace for one Web API method in one workspace
// (OKRBOT_SLACK_LIMITS): at most Rate calls a second, Burst at once. okrbot
// adapts below it, never above.
type Limit struct {
	Rate  float64
	Burst int
}

// perChannel names the per-channel limit of chat.postMessage.
const perChannel = "chat.postMessage/channel"

// Slack's rate limit tiers, per method, workspace and app, in calls a
// second (docs.slack.dev/apis/web-api/rate-limits): Tier 1 is 1+ a
// minute, Tier 2 20+, Tier 3 50+, Tier 4 100+. They are where okrbot
// starts; it learns from there what each workspace really allows.
const (
	tier1 = 1.0 / 60
	tier2 = 20.0 / 60
	tier3 = 50.0 / 60
	tier4 = 100.0 / 60
)

// Tiers are the methods okrbot calls, each with its place in Slack's
// tiers, as the methods' own pages list them. chat.postMessage is special:
// about one message per second per channel, and a workspace-wide limit of
// "several hundred messages per minute" that Slack does not pin down, so
// okrbot starts at 300 a minute and learns the rest, never going below one
// a second. Methods not listed start at Tier 2's pace.
var Tiers = map[string]pace.Method{
	"chat.postMessage":             {Start: 5, Min: 1},
	perChannel:                     {Start: 1, Burst: 1, Fixed: true},
	"chat.postEphemeral":           {Start: tier4, Burst: 10},
	"conversations.open":           {Start: tier3, Burst: 5},
	"conversations.history":        {Start: tier3, Burst: 5},
	"conversations.info":           {Start: tier3, Burst: 10},
	"conversations.list":           {Start: tier2, Burst: 3},
	"users.info":                   {Start: tier4, Burst: 20},
	"views.open":                   {Start: tier4, Burst: 20},
	"views.update":                 {Start: tier4, Burst: 20},
	"views.publish":                {Start: tier4, Burst: 20},
	"files.getUploadURLExternal":   {Start: tier4, Burst: 10},
	"files.completeUploadExternal": {Start: tier4, Burst: 10},
	"files.upload":                 {Start: tier4, Burst: 10}, // the POST of a file's bytes to its upload URL
	"auth.test":                    {Start: tier4, Burst: 10},
	"oauth.v2.access":              {Start: tier4, Burst: 10},
	"apps.connections.open":        {Start: tier1, Burst: 2},
	"":                             {Start: tier2, Burst: 3},
}

// methods returns how a method (or a per-channel lane) is paced, with the
// operator's limits laid over Slack's tiers, and the lane family it
// belongs to.
func methods(override map[string]Limit) func(name string) (pace.Method, string) {
	return func(name string) (pace.Method, string) {
		family := name
		if strings.HasPrefix(name, perChannel+"/") {
			family = perChannel
		}
		m, ok := Tiers[family]
		if !ok {
			m = Tiers[""]
		}
		if l, ok := override[family]; ok && l.Rate > 0 {
			m.Start, m.Max, m.Burst = l.Rate, l.Rate, max(l.Burst, 1)
			if family == perChannel {
				m.Fixed = true
			}
		}
		return m, family
	}
}
