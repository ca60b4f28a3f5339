package main

import (
	"context"
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
	if err := e.st.Subscribe(ctx, domain.Subscription{WorkspaceID: "slack:T0001", Channel: "C0GROWTH", By: "U0001", At: time.Now()}); err != nil {
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
