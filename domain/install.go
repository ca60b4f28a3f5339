package domain

import "time"

// Installation is okrbot installed in one Slack workspace through OAuth.
// BotToken is stored encrypted; the store decrypts it when read.
type Installation struct {
	WorkspaceID  string    `bson:"_id"` // "slack:T024BE7LD"
	TeamID       string    `bson:"team_id"`
	TeamName     string    `bson:"team_name,omitempty"`
	EnterpriseID string    `bson:"enterprise_id,omitempty"`
	BotToken     string    `bson:"bot_token"`
	BotUserID    string    `bson:"bot_user_id,omitempty"`
	AppID        string    `bson:"app_id,omitempty"`
	Scope        string    `bson:"scope,omitempty"`
	InstalledBy  string    `bson:"installed_by,omitempty"`
	InstalledAt  time.Time `bson:"installed_at"`
}

// ConversationRef is what a Teams bot needs to write into a conversation on
// its own (a proactive message): the conversation, its service URL, and for
// a personal chat the person it is with.
type ConversationRef struct {
	WorkspaceID  string    `bson:"workspace"` // "teams:<tenant id>"
	Conversation string    `bson:"conversation"`
	Type         string    `bson:"type,omitempty"` // personal, channel, groupChat
	User         string    `bson:"user,omitempty"` // personal chats: the person's Teams user id
	AADObjectID  string    `bson:"aad_object_id,omitempty"`
	UserName     string    `bson:"user_name,omitempty"`
	TeamID       string    `bson:"team_id,omitempty"`
	ServiceURL   string    `bson:"service_url"`
	BotID        string    `bson:"bot_id,omitempty"`
	BotName      string    `bson:"bot_name,omitempty"`
	UpdatedAt    time.Time `bson:"updated_at"`
}
