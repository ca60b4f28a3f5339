package conversations

import (
	"context"
	"regexp"
	"strings"

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

// ChannelFinder finds a channel by its name, for a "#growth" typed as plain
// text rather than picked as a mention (Slack sends a picked channel as
// "<#C0GROWTH|growth>"). A Directory may implement it.
type ChannelFinder interface {
	// ChannelID returns the id of the channel called name (without "#",
	// compared without case): "" with no error when the platform has none
	// okrbot can see.
	ChannelID(ctx context.Context, name string) (string, error)
}

var (
	// slackChannelID is a channel id as Slack writes it: C or G, then capitals and digits.
	slackChannelID = regexp.MustCompile(`^[CG][A-Z0-9]{2,39}$`)
	// teamsChannelID is a Teams conversation id: "19:…@thread.tacv2".
	teamsChannelID = regexp.MustCompile(`^\d+:[A-Za-z0-9_\-@.:]{1,200}$`)
	channelNameRE  = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}_\-.]{0,79}$`)
)

// channel reads a channel as it is typed: a mention ("<#C0GROWTH|growth>"),
// an id with or without "#" ("#C0GROWTH", "C0GROWTH"), or a name
// ("#growth"). A name is looked up, never stored as if it were an
// id: it is the channel the command is typed in, a channel subscribed under
// that name, or one the platform finds; with no platform to ask (the
// console on its own, whose channels are their names) the name is the id.
// Otherwise it is refused with an example. ok is false when s is no
// channel at all (the caller says what else it may be).
func (ss *session) channel(s, example string) (id string, ok bool, err error) {
	s = strings.TrimSpace(s)
	if id, _, found := parseChannel(s); found && strings.HasPrefix(s, "<#") {
		return id, true, nil
	}
	x := strings.TrimPrefix(s, "#")
	switch {
	case x == "" || strings.HasPrefix(x, "#"):
		return "", false, nil
	case slackChannelID.MatchString(x) || teamsChannelID.MatchString(x):
		return x, true, nil
	case !channelNameRE.MatchString(x):
		return "", false, nil
	}
	if !strings.HasPrefix(s, "#") {
		return "", false, nil // a bare word is a channel only as an id
	}
	if x == ss.actor.Channel || ss.actor.ChannelName != "" && strings.EqualFold(x, ss.actor.ChannelName) {
		return ss.actor.Channel, true, nil
	}
	dir := ss.actor.Directory
	if dir == nil {
		return x, true, nil
	}
	if subs, err := ss.store.Subscriptions(ss.ctx, ss.ws.ID); err == nil {
		for _, sub := range subs {
			if sub.Name != "" && strings.EqualFold(sub.Name, x) {
				return sub.Channel, true, nil
			}
		}
	}
	refuse := domain.Invalid(example, "okrbot cannot tell which channel #%s is; mention it (type # and pick it from the list), or type the command in that channel.", clip(x, 40))
	if f, can := dir.(ChannelFinder); can {
		found, err := f.ChannelID(ss.ctx, x)
		switch {
		case err != nil:
			ss.opt.Log.WarnContext(ss.ctx, "platform channel lookup failed", "workspace", ss.ws.ID, "channel", x, "err", err)
		case found == "":
			return "", true, domain.Invalid(example, "There is no channel #%s okrbot can see; mention it (type # and pick it from the list).", clip(x, 40))
		default:
			return found, true, nil
		}
	}
	return "", true, refuse
}
