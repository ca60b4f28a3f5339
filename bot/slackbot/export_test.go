package slackbot

// ResponseURLAllowed exposes the response_url check to the external tests.
func ResponseURLAllowed(b *Bot, u string) bool { return b.responseURLAllowed(u) }
