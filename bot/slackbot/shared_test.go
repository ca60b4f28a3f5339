package slackbot

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/okrbot/okrbot/conversations"
)

// TestSharedAnswers: a shared message is rendered once, to exactly what a
// fresh rendering gives, per visibility; the cache stays bounded.
func TestSharedAnswers(t *testing.T) {
	var sa sharedAnswers
	m := conversations.Lines("okrbot commands", conversations.T("Try ").AddCode("/okr help"))
	for _, public := range []bool{false, true} {
		want, _ := json.Marshal(messageAnswer(m, public))
		_, first := sa.answer(m, public)
		_, again := sa.answer(m, public)
		if !bytes.Equal(first, want) || &first[0] != &again[0] {
			t.Errorf("public=%v: %s, want %s (cached: %v)", public, first, want, &first[0] == &again[0])
		}
	}
	for range 3 * maxSharedAnswers {
		sa.answer(conversations.Lines("x", conversations.T("y")), false)
	}
	if n := len(sa.m); n > maxSharedAnswers {
		t.Errorf("%d answers kept", n)
	}
}
