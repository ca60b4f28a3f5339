package domain

import "time"

// Installation is okrbot installed in one Slack workspace through OAuth.
// BotToken is stored encrypted; the store decrypts it when read.
type Installation struct {
	WorkspaceID  string // "slack:T024BE7LD"
	TeamID       string
	TeamName     string
	EnterpriseID string
	BotToken     string
	BotUserID    string
	AppID        string
	Scope        string
	InstalledBy  string
	InstalledAt  time.Time
}

// ConversationRef is what a Teams bot needs to write into a conversation on
// its own (a proactive message): the conversation, its service URL, and for
// a personal chat the person it is with.
type ConversationRef struct {
	WorkspaceID  string // "teams:<tenant id>"
	Conversation string
	Type         string // personal, channel, groupChat
	User         string // personal chats: the person's Teams user id
	AADObjectID  string
	UserName     string
	TeamID       string
	ServiceURL   string
	BotID        string
	BotName      string
	UpdatedAt    time.Time
}
