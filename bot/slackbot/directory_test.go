package slackbot

import (
	"testing"

	"github.com/slack-go/slack"
)

// TestUnescape: exactly Slack's three entities, in one pass.
func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{
		"R&amp;D":                      "R&D",
		"&lt;b&gt;bold&lt;/b&gt;":      "<b>bold</b>",
		"&amp;lt;":                     "&lt;",
		"&amp;amp;":                    "&amp;",
		"<@U0002> and <#C0001|growth>": "<@U0002> and <#C0001|growth>",
		"<@U0002|a&amp;b>":             "<@U0002|a&b>",
		"&quot;quoted&quot; &#39;":     "&quot;quoted&quot; &#39;",
		"5 &gt; 3 &amp;&amp; 2 &lt; 4": "5 > 3 && 2 < 4",
		"plain":                        "plain",
		"&":                            "&",
	} {
		if got := unescape(in); got != want {
			t.Errorf("unescape(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFormValuesAreUnescaped: typed values come back as typed; option
// values (okrbot's own) are left alone.
func TestFormValuesAreUnescaped(t *testing.T) {
	st := &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		"note/KR-1":       {inputActionID: {Value: "Q&amp;A went &lt;great&gt;"}},
		"confidence/KR-1": {inputActionID: {SelectedOption: slack.OptionBlockObject{Value: "7"}}},
		"value/KR-1":      {inputActionID: {Value: "27"}},
	}}
	got := submittedValues(st)
	if got["note/KR-1"] != "Q&A went <great>" || got["confidence/KR-1"] != "7" || got["value/KR-1"] != "27" {
		t.Errorf("values: %q", got)
	}
}
