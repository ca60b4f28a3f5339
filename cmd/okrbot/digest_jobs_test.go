package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/fakeslack"
)

// seedTeamDigest subscribes the team channel C0GROWTH, with no name stored
// (subscribed where the platform gave none), to the digest of its objective.
func seedTeamDigest(t *testing.T, e *rhythmEnv) {
	t.Helper()
	ctx := context.Background()
	e.slack.AddChannel(fakeslack.Channel{ID: "C0GROWTH", Team: "T0001", Name: "growth", Member: true})
	if err := e.st.Subscribe(ctx, domain.Subscription{WorkspaceID: "slack:T0001", Channel: "C0GROWTH", By: "U0001", At: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	obj := domain.Objective{WorkspaceID: "slack:T0001", Ref: "O-900", Title: "Grow leads", Owner: "U0001", Team: "C0GROWTH", Cycle: "2026-Q4",
		Commitment: domain.Committed, Status: domain.Active, KeyResults: []domain.KeyResult{{Ref: "KR-900", Title: "Increase deals from 0 to 10",
			Kind: domain.Increase, Target: 10, Weight: 1, Owner: "U0001"}}}
	if err := e.st.CreateObjective(ctx, &obj); err != nil {
		t.Fatal(err)
	}
}

// A digest sent by okrbot jobs run is headed by the team's channel name, as
// serve's are: both ask Slack through the sender (QA finding 19).
func TestJobsRunHeadsATeamDigestByItsChannel(t *testing.T) {
	t.Parallel()
	e := newRhythmEnv(t, 2, fakeslack.Options{})
	seedTeamDigest(t, e)
	out := e.run(t, "digests", "--at", "2026-11-23T09:30:00Z")
	var posts []fakeslack.Message
	for _, m := range e.slack.Messages("C0GROWTH") {
		if len(m.Blocks) > 0 {
			posts = append(posts, m)
		}
	}
	if len(posts) != 1 {
		t.Fatalf("%d digests posted:\n%s", len(posts), out)
	}
	if !strings.Contains(string(posts[0].Blocks), "#growth OKRs") || strings.Contains(string(posts[0].Blocks), "Team OKRs") || strings.HasPrefix(posts[0].Text, "Team,") {
		t.Errorf("the digest is not headed by its channel:\n%s\n%s", posts[0].Text, posts[0].Blocks)
	}
}

// A digest the platform refuses for good is a failure: jobs run exits
// non-zero and says which channel and why, and the person who subscribed
// the channel is told by DM, once, with the fix (QA finding 24).
func TestJobsRunReportsARefusedDigestAndTellsItsSubscriber(t *testing.T) {
	t.Parallel()
	e := newRhythmEnv(t, 2, fakeslack.Options{})
	seedTeamDigest(t, e)
	e.slack.FailChannel("C0GROWTH", "not_in_channel")
	notices := func() []fakeslack.Message {
		var out []fakeslack.Message
		for _, msgs := range e.slack.AllMessages() {
			for _, m := range msgs {
				if m.Metadata != nil && strings.Contains(fmt.Sprint(m.Metadata.EventPayload["outbox_id"]), "/U0001/digest/refused:C0GROWTH:") {
					out = append(out, m)
				}
			}
		}
		return out
	}
	for i, at := range []string{"2026-11-23T09:30:00Z", "2026-11-30T09:30:00Z"} {
		cmd, out := e.jobsCmd(t, "digests", "--at", at)
		if err := cmd.Run(); err == nil {
			t.Fatalf("jobs run exited 0 with the digest refused:\n%s", out)
		}
		for _, want := range []string{"1 refused for good", "refused for good: digest to channel C0GROWTH", "not_in_channel", "/invite @okrbot"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("run %d: want %q in\n%s", i, want, out)
			}
		}
		ns := notices()
		if len(ns) != 1 {
			t.Fatalf("run %d: the subscriber got %d notices", i, len(ns))
		}
		if body := ns[0].Text + string(ns[0].Blocks); !strings.Contains(body, "/invite @okrbot") || !strings.Contains(body, "not a member") {
			t.Errorf("the notice says:\n%s", body)
		}
	}
}
