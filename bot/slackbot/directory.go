package slackbot

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

// unescaper undoes Slack's escaping of text it sends (command text, form
// values): exactly its three entities, in one pass, so "&amp;lt;" (a typed
// "&lt;") becomes "&lt;" and not "<". Mentions Slack sends ("<@U1>",
// "<#C1|general>") are real angle brackets and pass through as they are.
var unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

func unescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return unescaper.Replace(s)
}

// learnChannel records the channel_name a command came with. Slack sends
// placeholders for conversations without a name of their own.
func (b *Bot) learnChannel(team, channel, name string) {
	switch name {
	case "", "directmessage", "privategroup":
		return
	}
	if channel == "" || strings.HasPrefix(name, "mpdm-") {
		return
	}
	b.channels.put(team+"/"+channel, name)
}

// directory is what Slack knows about one workspace
// (conversations.Directory): people's names from users.info, channel names
// from commands and conversations.info, okrbot's membership from
// conversations.info. Names are cached (UserCacheTTL); membership is asked
// each time, since an /invite must count at once.
type directory struct {
	b    *Bot
	c    *slack.Client
	team string
}

var _ conversations.Directory = (*directory)(nil)

// Directory returns Slack's directory of a workspace okrbot serves, for
// front ends other than Slack's own endpoints (okrbot console).
func (b *Bot) Directory(ctx context.Context, team string) (conversations.Directory, error) {
	c, err := b.client(ctx, team)
	if err != nil {
		return nil, err
	}
	return &directory{b: b, c: c, team: team}, nil
}

// UserName returns the person's display name from users.info.
func (d *directory) UserName(ctx context.Context, user string) (string, error) {
	u, err := d.b.lookupUser(ctx, d.c, d.team, user)
	if err != nil {
		return "", err
	}
	return u.name, nil
}

// ChannelName returns the channel's name, from the cache or conversations.info.
func (d *directory) ChannelName(ctx context.Context, channel string) (string, error) {
	if !isChannelID(channel) {
		return "", nil
	}
	key := d.team + "/" + channel
	if name, ok := d.b.channels.get(key); ok {
		return name, nil
	}
	ch, err := d.info(ctx, channel)
	if err != nil {
		return "", err
	}
	name := ""
	if ch != nil {
		name = ch.Name
	}
	// Not knowing is remembered too, so that a list of many objectives in
	// a channel okrbot cannot see asks once.
	d.b.channels.put(key, name)
	return name, nil
}

var _ conversations.ChannelFinder = (*directory)(nil)

// maxChannelPages bounds the conversations.list pages one walk reads (200
// channels each): in a workspace with more, a name past them is answered
// "not found" and the person asked to mention the channel.
const maxChannelPages = 25

// channelListTTL is how long a walk of conversations.list answers lookups
// by name: a channel made since is found by its mention meanwhile.
const channelListTTL = 5 * time.Minute

// ChannelID finds a channel by its name in conversations.list (public
// channels, and private ones okrbot is in; archived ones left out), for a
// "#growth" typed as text rather than picked as a mention. Names are
// compared without case. conversations.list is a Tier 2 method: one walk
// answers every lookup in the workspace for channelListTTL.
func (d *directory) ChannelID(ctx context.Context, name string) (string, error) {
	name = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(name), "#"))
	if name == "" {
		return "", nil
	}
	byName, ok := d.b.channelIDs.get(d.team)
	if !ok {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		byName = map[string]string{}
		params := &slack.GetConversationsParameters{ExcludeArchived: true, Limit: 200, Types: []string{"public_channel", "private_channel"}}
		for page := 0; page < maxChannelPages; page++ {
			chs, next, err := d.c.GetConversationsContext(ctx, params)
			if err != nil {
				return "", err
			}
			for _, ch := range chs {
				byName[strings.ToLower(ch.Name)] = ch.ID
				d.b.channels.put(d.team+"/"+ch.ID, ch.Name)
			}
			if next == "" {
				break
			}
			params.Cursor = next
		}
		d.b.channelIDs.put(d.team, byName)
	}
	return byName[name], nil
}

// BotInChannel asks conversations.info whether okrbot is a member. A
// private channel okrbot is not in is "channel_not_found" to it: not a
// member either.
func (d *directory) BotInChannel(ctx context.Context, channel string) (bool, error) {
	if !isChannelID(channel) {
		return false, nil
	}
	ch, err := d.info(ctx, channel)
	if err != nil || ch == nil {
		return false, err
	}
	if ch.Name != "" {
		d.b.channels.put(d.team+"/"+channel, ch.Name)
	}
	return ch.IsMember, nil
}

// info calls conversations.info; nil without error when there is no such
// channel that okrbot can see.
func (d *directory) info(ctx context.Context, channel string) (*slack.Channel, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ch, err := d.c.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: channel})
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && (se.Err == "channel_not_found" || se.Err == "not_in_channel") {
		return nil, nil
	}
	return ch, err
}

// lookupUser returns a person from the cache or users.info; ENOTFOUND when
// Slack has no such user in the workspace.
func (b *Bot) lookupUser(ctx context.Context, c *slack.Client, team, user string) (slackUser, error) {
	key := team + "/" + user
	if u, ok := b.users.get(key); ok {
		return u, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	u, err := c.GetUserInfoContext(ctx, user)
	if err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && (se.Err == "user_not_found" || se.Err == "user_not_visible") {
			return slackUser{}, domain.NotFound("Slack has no person %s in this workspace.", user)
		}
		return slackUser{}, err
	}
	name := u.Profile.DisplayName
	if name == "" {
		name = u.RealName
	}
	if name == "" {
		name = u.Profile.RealName
	}
	if name == "" {
		name = u.Name
	}
	su := slackUser{name: name, tz: u.TZ, admin: u.IsAdmin || u.IsOwner || u.IsPrimaryOwner}
	b.users.put(key, su)
	return su, nil
}
