package conversations

import (
	"context"

	"github.com/okrbot/okrbot/domain"
)

// Directory is what only the chat platform knows about the actor's
// workspace: who a person is, what a channel is called, and whether okrbot
// is a member of a channel. A front end hands one over in Actor.Directory,
// bound to the actor's workspace: Slack asks users.info and
// conversations.info; Teams answers from the conversation references it has
// stored; the console from the platform it acts for, when it is configured.
//
// Names are never taken from what someone typed: the label in Slack's
// "<@U0002|label>" is whatever the typist's client put there.
type Directory interface {
	NameLookup
	Membership
}

// NameLookup finds display names on the platform.
type NameLookup interface {
	// UserName returns a person's display name. An error with code
	// ENOTFOUND means the platform has no such person in the workspace; ""
	// with no error means it gives no name for them; any other error that it
	// could not be asked.
	UserName(ctx context.Context, user string) (string, error)
	// ChannelName returns a channel's name without "#", or "" when the
	// platform does not say.
	ChannelName(ctx context.Context, channel string) (string, error)
}

// Membership tells whether okrbot can post in a channel.
type Membership interface {
	// BotInChannel reports whether okrbot is a member of channel. An error
	// means the platform could not tell.
	BotInChannel(ctx context.Context, channel string) (bool, error)
}

// person makes sure a person named in a command exists on the platform, and
// records the name the platform gives them (never one typed in the
// command). Without a directory nothing is checked or recorded. A failed
// lookup is logged and leaves the person as they were: their id is shown
// until they use okrbot themselves.
func (ss *session) person(id, example string) error {
	dir := ss.actor.Directory
	if dir == nil || id == ss.actor.User {
		return nil
	}
	name, err := dir.UserName(ss.ctx, id)
	switch {
	case domain.ErrorCode(err) == domain.ENOTFOUND:
		return domain.Invalid(example, "There is no person %s in this workspace; mention them with @ so that their id is sent.", clip(id, 30))
	case err != nil:
		ss.opt.Log.WarnContext(ss.ctx, "platform name lookup failed", "workspace", ss.ws.ID, "user", id, "err", err)
		return nil
	case name == "":
		return nil
	}
	return ss.store.SaveUser(ss.ctx, domain.User{WorkspaceID: ss.ws.ID, ID: id, Name: name})
}

// channelName returns a channel's name from the platform, else the name it
// was subscribed under, else "" (the renderers then show the channel by its
// id, or as the platform's own channel reference).
func (ss *session) channelName(channel string) string {
	if channel == "" {
		return ""
	}
	if channel == ss.actor.Channel && ss.actor.ChannelName != "" {
		return ss.actor.ChannelName
	}
	if dir := ss.actor.Directory; dir != nil {
		name, err := dir.ChannelName(ss.ctx, channel)
		if err != nil {
			ss.opt.Log.WarnContext(ss.ctx, "platform channel lookup failed", "workspace", ss.ws.ID, "channel", channel, "err", err)
		} else if name != "" {
			return name
		}
	}
	return ss.subscribedName(channel)
}
