package teamsbot

import (
	"context"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

// Directory is what okrbot knows of a Teams tenant (conversations.Directory)
// without calling Microsoft Graph: the conversation references it has
// stored. okrbot can post in a conversation exactly when it holds its
// reference (the proactive sender needs one), so that is membership. Names
// of people come from their personal chat's reference (the name Teams sent
// with their own messages); channel names from the activity being handled.
type Directory struct {
	store     RefStore
	workspace string
	in        *incoming // the activity being handled; nil outside one
}

var _ conversations.Directory = (*Directory)(nil)

// NewDirectory returns the directory of a tenant, for front ends other than
// the messaging endpoint (okrbot console --platform teams).
func NewDirectory(store RefStore, tenant string) *Directory {
	return &Directory{store: store, workspace: domain.WorkspaceID(domain.Teams, tenant)}
}

// UserName returns the name Teams gave a person in their personal chat with
// okrbot, or the name the activity's mention gives them; "" when okrbot has
// neither (Teams has no lookup without Graph permissions).
func (d *Directory) UserName(ctx context.Context, user string) (string, error) {
	if d.in != nil {
		if d.in.From.ID == user && d.in.From.Name != "" {
			return d.in.From.Name, nil
		}
		for _, e := range d.in.entities {
			if e.Type == "mention" && e.Who.ID == user && e.Who.Name != "" {
				return e.Who.Name, nil
			}
		}
	}
	r, err := d.store.PersonalConversationRef(ctx, d.workspace, user)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return r.UserName, nil
}

// ChannelName returns the name of the channel the activity came from.
func (d *Directory) ChannelName(_ context.Context, channel string) (string, error) {
	if d.in != nil && d.in.channelData.Channel.ID == channel {
		return d.in.channelData.Channel.Name, nil
	}
	return "", nil
}

// BotInChannel reports whether okrbot holds the conversation's reference.
func (d *Directory) BotInChannel(ctx context.Context, channel string) (bool, error) {
	_, err := d.store.ConversationRef(ctx, d.workspace, channel)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return false, nil
	}
	return err == nil, err
}

// actor is the activity's sender with the tenant's directory.
func (b *Bot) actor(in *incoming) conversations.Actor {
	a := in.actor()
	a.Directory = &Directory{store: b.store, workspace: in.workspaceID(), in: in}
	return a
}
