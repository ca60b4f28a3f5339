package teamsbot

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

// teamsChannel is the Bot Framework channel id of Microsoft Teams.
const teamsChannel = "msteams"

// Conversation types Teams reports.
const (
	personal  = "personal"
	channel   = "channel"
	groupChat = "groupChat"
)

// incoming is an activity with the parts msbotbuilder-go's schema types do
// not keep: its Entity has only a type (mentions lose who was mentioned) and
// its ChannelData is untyped.
type incoming struct {
	schema.Activity
	entities    []entity
	channelData channelData
}

type entity struct {
	Type string `json:"type"`
	Text string `json:"text"`
	Who  struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"mentioned"`
	Timezone string `json:"timezone"` // clientInfo
}

type channelData struct {
	Tenant struct {
		ID string `json:"id"`
	} `json:"tenant"`
	Team struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"team"`
	Channel struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"channel"`
	EventType string `json:"eventType"`
}

func newIncoming(a schema.Activity, body []byte) (*incoming, error) {
	var x struct {
		Entities    []entity    `json:"entities"`
		ChannelData channelData `json:"channelData"`
	}
	if err := json.Unmarshal(body, &x); err != nil {
		return nil, err
	}
	return &incoming{Activity: a, entities: x.Entities, channelData: x.ChannelData}, nil
}

// tenant is the Azure tenant the activity comes from: okrbot's workspace.
func (in *incoming) tenant() string {
	if t := in.channelData.Tenant.ID; t != "" {
		return t
	}
	return in.Conversation.TenantID
}

func (in *incoming) workspaceID() string { return domain.WorkspaceID(domain.Teams, in.tenant()) }

// conversationType is personal, channel or groupChat.
func (in *incoming) conversationType() string {
	switch t := in.Conversation.ConversationType; {
	case t != "":
		return t
	case in.channelData.Channel.ID != "":
		return channel
	case in.Conversation.IsGroup:
		return groupChat
	}
	return personal
}

func (in *incoming) isPersonal() bool { return in.conversationType() == personal }

// baseConversation is the conversation without the thread: a channel
// message's conversation id ends in ";messageid=…".
func (in *incoming) baseConversation() string {
	id, _, _ := strings.Cut(in.Conversation.ID, ";messageid=")
	return id
}

// where is the Actor's Channel: the channel (or group chat) a command was
// typed in, "" in a personal chat.
func (in *incoming) where() string {
	if in.isPersonal() {
		return ""
	}
	if id := in.channelData.Channel.ID; id != "" {
		return id
	}
	return in.baseConversation()
}

// timeZone is the sender's IANA time zone, when the client reported a valid one.
func (in *incoming) timeZone() string {
	tz := in.LocalTimezone
	if tz == "" {
		for _, e := range in.entities {
			if e.Type == "clientInfo" && e.Timezone != "" {
				tz = e.Timezone
				break
			}
		}
	}
	if tz == "" {
		return ""
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return ""
	}
	return tz
}

// actor is the person who sent the activity, where they sent it.
func (in *incoming) actor() conversations.Actor {
	return conversations.Actor{
		Platform:  domain.Teams,
		Workspace: in.tenant(),
		User:      in.From.ID,
		Name:      in.From.Name,
		Channel:   in.where(),
		TimeZone:  in.timeZone(),
	}
}

// ref is the conversation reference the activity gives.
func (in *incoming) ref() domain.ConversationRef {
	r := domain.ConversationRef{
		WorkspaceID:  in.workspaceID(),
		Conversation: in.baseConversation(),
		Type:         in.conversationType(),
		TeamID:       in.channelData.Team.ID,
		ServiceURL:   in.ServiceURL,
		BotID:        in.Recipient.ID,
		BotName:      in.Recipient.Name,
	}
	if r.Type == personal {
		r.User, r.AADObjectID, r.UserName = in.From.ID, in.From.AadObjectID, in.From.Name
	}
	return r
}

// isBot reports whether id is this bot ("28:<app id>").
func (in *incoming) isBot(id, appID string) bool {
	return id != "" && (id == in.Recipient.ID || id == "28:"+appID)
}

var (
	atTag = regexp.MustCompile(`(?is)<at[^>]*>.*?</at>`)
	space = regexp.MustCompile(`[ \t]+`)
)

// mention is a person mentioned in a command.
type mention struct{ id, name string }

// commandText is the message's text as conversations parse it: the bot's
// @mention removed, other people's mentions turned into <@id> tokens (and
// channels' into <#id>), Teams' non-breaking spaces made plain.
func (in *incoming) commandText(appID string) (string, []mention) {
	text := in.Text
	var people []mention
	for _, e := range in.entities {
		if e.Type != "mention" || e.Text == "" || !strings.Contains(text, e.Text) {
			continue
		}
		id := e.Who.ID
		var with string
		switch {
		case in.isBot(id, appID):
			with = " "
		case strings.HasPrefix(id, "19:"):
			with = " <#" + id + "> "
		case id != "" && !strings.HasPrefix(id, "28:"):
			with = " <@" + id + "> "
			people = append(people, mention{id: id, name: e.Who.Name})
		default:
			with = " " + e.Who.Name + " "
		}
		text = strings.Replace(text, e.Text, with, 1)
	}
	text = atTag.ReplaceAllString(text, " ")
	text = strings.NewReplacer("&nbsp;", " ", "\u00a0", " ", "\r", "").Replace(text)
	// A command is one line; Teams may add a trailing newline.
	text = strings.TrimSpace(space.ReplaceAllString(text, " "))
	return text, people
}
