package conversations_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

// fakeSender is a platform that records what arrives. failFirst makes the
// first attempt of every delivery fail as a rate limit would.
type fakeSender struct {
	mu        sync.Mutex
	sent      map[string]int // delivery id -> times sent
	msgs      map[string]*conversations.Message
	failFirst bool
	tried     map[string]int
	delivered map[string]string // what Delivered reports
	checked   int
}

func newFakeSender() *fakeSender {
	return &fakeSender{sent: map[string]int{}, msgs: map[string]*conversations.Message{}, tried: map[string]int{}, delivered: map[string]string{}}
}

func (f *fakeSender) Send(_ context.Context, d conversations.Delivery) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tried[d.ID]++
	if f.failFirst && f.tried[d.ID] == 1 {
		return "", &conversations.SendError{Err: errors.New("ratelimited"), Retry: true, After: 10 * time.Millisecond}
	}
	f.sent[d.ID]++
	f.msgs[d.ID] = d.Message
	return fmt.Sprintf("msg-%d", len(f.sent)), nil
}

func (f *fakeSender) Delivered(_ context.Context, d conversations.Delivery) (string, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checked++
	id, ok := f.delivered[d.ID]
	return id, ok, nil
}

func (f *fakeSender) count(kind string) (deliveries, duplicates int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, n := range f.sent {
		if strings.Contains(id, "/"+kind+"/") {
			deliveries++
			if n > 1 {
				duplicates++
			}
		}
	}
	return
}

func (f *fakeSender) to(recipient, kind string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for id := range f.sent {
		if strings.Contains(id, "/"+recipient+"/"+kind+"/") {
			out = append(out, id)
		}
	}
	return out
}

func (f *fixture) rhythm(s *fakeSender, holder string) *conversations.Rhythm {
	return conversations.NewRhythm(f.svc, f.st, map[domain.Platform]conversations.Sender{domain.Slack: s},
		conversations.RhythmOptions{Now: f.clock.now, Holder: holder, Lease: time.Minute, MaxWait: 5 * time.Second})
}

// team creates people with a key result each, with their time zones, in
// the order of their names: the n-th person owns O-n and KR-n.
func (f *fixture) team(zones map[string]string) {
	f.t.Helper()
	i := 0
	var users []string
	for u := range zones {
		users = append(users, u)
	}
	sort.Strings(users)
	for _, user := range users {
		tz := zones[user]
		i++
		a := actor(user)
		a.TimeZone = tz
		for _, l := range []string{fmt.Sprintf("okr create Objective of %s", user), fmt.Sprintf("okr kr add O-%d Increase deals from 0 to 10", i)} {
			cmd, args, _ := conversations.SplitCommand(l)
			if r := f.svc.Command(ctx, a, cmd, args); strings.Contains(conversations.PlainText(r.Message), "Example") {
				f.t.Fatalf("%s: %s", l, conversations.PlainText(r.Message))
			}
		}
	}
}

func TestPromptsGoOutAt15InEachPersonsTimeZone(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	la, _ := time.LoadLocation("America/Los_Angeles")
	// Two Fridays either side of the end of daylight saving time in Los
	// Angeles (Sunday 1 November 2026).
	for _, friday := range []time.Time{time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 6, 0, 0, 0, 0, time.UTC)} {
		t.Run(friday.Format(time.DateOnly), func(t *testing.T) {
			f := newFixture(t)
			f.clock.t = friday.Add(-48 * time.Hour)
			f.team(map[string]string{"aki": "Asia/Tokyo", "lee": "America/Los_Angeles"})
			s := newFakeSender()
			r := f.rhythm(s, "p1")
			run := func(at time.Time) {
				t.Helper()
				f.clock.t = at
				if _, err := r.Run(ctx, conversations.JobCheckInPrompts, at); err != nil {
					t.Fatal(err)
				}
			}
			y, m, d := friday.Date()
			at := func(loc *time.Location, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, loc) }

			run(at(tokyo, 14, 59))
			if n, _ := s.count(conversations.KindCheckInPrompt); n != 0 {
				t.Fatalf("%d prompts before 15:00 in Tokyo", n)
			}
			run(at(tokyo, 15, 0))
			if got := s.to("aki", conversations.KindCheckInPrompt); len(got) != 1 || len(s.to("lee", conversations.KindCheckInPrompt)) != 0 {
				t.Fatalf("at 15:00 Tokyo: aki %v, lee %v", got, s.to("lee", conversations.KindCheckInPrompt))
			}
			run(at(la, 14, 59))
			if len(s.to("lee", conversations.KindCheckInPrompt)) != 0 {
				t.Fatal("lee prompted before 15:00 in Los Angeles")
			}
			run(at(la, 15, 0))
			if got := s.to("lee", conversations.KindCheckInPrompt); len(got) != 1 {
				t.Fatalf("at 15:00 Los Angeles: lee %v", got)
			}
			if n, dup := s.count(conversations.KindCheckInPrompt); n != 2 || dup != 0 {
				t.Fatalf("%d prompts, %d duplicates", n, dup)
			}
			msg := s.msgs[s.to("lee", conversations.KindCheckInPrompt)[0]]
			if text := conversations.PlainText(msg); !strings.Contains(text, "Time for your weekly check-in") || !strings.Contains(text, "Increase deals") {
				t.Errorf("prompt:\n%s", text)
			}
			if b := msg.Sections[0].Buttons; len(b) != 1 || b[0].Action != conversations.ActionCheckIn {
				t.Errorf("prompt buttons %+v", b)
			}
		})
	}
}

func TestPromptsExactlyOnceAcrossRunsAndProcesses(t *testing.T) {
	f := newFixture(t)
	f.clock.t = friday.Add(-24 * time.Hour)
	zones := map[string]string{}
	for i := range 30 {
		zones[fmt.Sprintf("u%02d", i)] = "UTC"
	}
	f.team(zones)
	f.must("u00", "/okr away until 2026-12-24")
	f.clock.t = friday.Add(-time.Hour)
	f.must("u01", "/okr update KR-2 3 confidence 7") // checked in early (u01 owns KR-2)
	f.clock.t = friday.Add(time.Hour)

	s := newFakeSender()
	var wg sync.WaitGroup
	reports := make([]conversations.Report, 3)
	for p := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := f.rhythm(s, fmt.Sprintf("p%d", p)).Run(ctx, conversations.JobCheckInPrompts, f.clock.t)
			if err != nil {
				t.Error(err)
			}
			reports[p] = rep
		}()
	}
	wg.Wait()
	n, dup := s.count(conversations.KindCheckInPrompt)
	if n != 28 || dup != 0 {
		t.Fatalf("%d people prompted (%d twice), want 28 once", n, dup)
	}
	sent := reports[0].Sent + reports[1].Sent + reports[2].Sent
	if sent != 28 {
		t.Errorf("reports count %d sent: %+v", sent, reports)
	}
	if reports[0].Skipped != 2 {
		t.Errorf("skipped %d, want the away and the early person", reports[0].Skipped)
	}
	// Running again sends nothing.
	rep, err := f.rhythm(s, "p4").Run(ctx, conversations.JobCheckInPrompts, f.clock.t)
	if err != nil || rep.Sent != 0 {
		t.Fatalf("second run: %+v %v", rep, err)
	}
	if n, dup := s.count(conversations.KindCheckInPrompt); n != 28 || dup != 0 {
		t.Fatalf("after a second run: %d, %d duplicates", n, dup)
	}
}

func TestFailedSendsAreRetriedNotDropped(t *testing.T) {
	f := newFixture(t)
	f.clock.t = friday.Add(-24 * time.Hour)
	f.team(map[string]string{"a": "UTC", "b": "UTC", "c": "UTC"})
	s := newFakeSender()
	s.failFirst = true
	real := &clock{t: friday.Add(time.Hour)}
	f.clock.t = real.t
	r := conversations.NewRhythm(f.svc, f.st, map[domain.Platform]conversations.Sender{domain.Slack: s},
		conversations.RhythmOptions{Now: time.Now, Holder: "p1", MaxWait: 10 * time.Second})
	rep, err := r.Run(ctx, conversations.JobCheckInPrompts, real.t)
	if err != nil {
		t.Fatal(err)
	}
	if n, dup := s.count(conversations.KindCheckInPrompt); n != 3 || dup != 0 || rep.Sent != 3 || rep.Failed != 0 {
		t.Fatalf("sent %d (dup %d), report %+v", n, dup, rep)
	}
}

func TestInFlightSendIsCheckedBeforeResending(t *testing.T) {
	f := newFixture(t)
	f.clock.t = friday.Add(-24 * time.Hour)
	f.team(map[string]string{"a": "UTC", "b": "UTC"})
	f.clock.t = friday.Add(time.Hour)
	// Process A planned and claimed both prompts, sent a's, then died.
	if _, err := f.st.Enqueue(ctx, []domain.OutboxEntry{
		{ID: domain.OutboxID("slack:T1", "a", conversations.KindCheckInPrompt, "2026-W47"), WorkspaceID: "slack:T1", Recipient: "a", Direct: true, Kind: conversations.KindCheckInPrompt, Period: "2026-W47"},
		{ID: domain.OutboxID("slack:T1", "b", conversations.KindCheckInPrompt, "2026-W47"), WorkspaceID: "slack:T1", Recipient: "b", Direct: true, Kind: conversations.KindCheckInPrompt, Period: "2026-W47"},
	}); err != nil {
		t.Fatal(err)
	}
	due, _ := f.st.Due(ctx, conversations.KindCheckInPrompt, []string{"slack:T1"}, f.clock.t, 10)
	for _, e := range due {
		if _, won, err := f.st.Claim(ctx, e, "A", time.Minute); err != nil || !won {
			t.Fatal(err)
		}
	}
	s := newFakeSender()
	s.delivered[domain.OutboxID("slack:T1", "a", conversations.KindCheckInPrompt, "2026-W47")] = "ts-from-A"
	// B starts while A's lease runs: nothing to do yet.
	r := f.rhythm(s, "B")
	if rep, _ := r.Run(ctx, conversations.JobCheckInPrompts, f.clock.t); rep.Sent != 0 {
		t.Fatalf("B sent during A's lease: %+v", rep)
	}
	f.clock.t = f.clock.t.Add(2 * time.Minute) // A's lease is over
	rep, err := r.Run(ctx, conversations.JobCheckInPrompts, f.clock.t)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 2 || s.checked != 2 {
		t.Fatalf("report %+v, %d checks with the platform", rep, s.checked)
	}
	if got := s.to("a", conversations.KindCheckInPrompt); len(got) != 0 {
		t.Fatal("a's prompt, which had arrived, was sent again")
	}
	if got := s.to("b", conversations.KindCheckInPrompt); len(got) != 1 {
		t.Fatal("b's prompt was not sent")
	}
	e, _ := f.st.Delivery(ctx, domain.OutboxID("slack:T1", "a", conversations.KindCheckInPrompt, "2026-W47"))
	if e.State != domain.OutboxSent || e.MessageID != "ts-from-A" {
		t.Fatalf("a's entry %+v", e)
	}
}

func TestRemindersOnlyToThoseMissing(t *testing.T) {
	f := newFixture(t)
	f.clock.t = friday.Add(-24 * time.Hour)
	f.team(map[string]string{"a": "UTC", "b": "UTC"})
	f.clock.t = friday.Add(2 * time.Hour)
	f.must("a", "/okr update KR-1 4 confidence 8")
	monday := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	s := newFakeSender()
	r := f.rhythm(s, "p1")
	f.clock.t = monday.Add(-time.Minute)
	if rep, _ := r.Run(ctx, conversations.JobReminders, f.clock.t); rep.Sent != 0 {
		t.Fatalf("reminders before Monday 10:00: %+v", rep)
	}
	f.clock.t = monday
	rep, err := r.Run(ctx, conversations.JobReminders, monday)
	if err != nil || rep.Sent != 1 || len(s.to("b", conversations.KindReminder)) != 1 {
		t.Fatalf("reminders: %+v %v, to b: %v", rep, err, s.to("b", conversations.KindReminder))
	}
	// A late check-in on Monday counts for last week: b gets no second reminder.
	f.must("b", "/okr update KR-2 2 confidence 5")
	if rep, _ := r.Run(ctx, conversations.JobReminders, monday.Add(time.Hour)); rep.Sent != 0 {
		t.Fatalf("second reminder run: %+v", rep)
	}
}

func TestDigestsGoToSubscribedChannelsOnce(t *testing.T) {
	f := newFixture(t)
	f.clock.t = friday.Add(-24 * time.Hour)
	f.team(map[string]string{"a": "UTC"})
	if _, text := f.run("a", "/okr digest subscribe #leadership --company"); !strings.Contains(text, "Only a workspace admin") {
		t.Fatalf("the company roll-up subscribed by a non-admin: %s", text)
	}
	admin := actor("boss")
	admin.Admin = true
	f.svc.Command(ctx, admin, "okr", "digest subscribe #leadership --company")
	monday := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	s := newFakeSender()
	r := f.rhythm(s, "p1")
	for _, at := range []time.Time{monday.Add(-time.Minute), monday, monday.Add(time.Hour)} {
		f.clock.t = at
		if _, err := r.Run(ctx, conversations.JobDigests, at); err != nil {
			t.Fatal(err)
		}
	}
	got := s.to("leadership", conversations.KindDigest)
	if len(got) != 1 || !strings.HasSuffix(got[0], "/2026-W47") {
		t.Fatalf("digests: %v", got)
	}
	if text := conversations.PlainText(s.msgs[got[0]]); !strings.Contains(text, "Company OKRs") || !strings.Contains(text, "week 47") {
		t.Errorf("digest:\n%s", text)
	}
}

func TestKPIAlertOncePerChange(t *testing.T) {
	f := newFixture(t)
	f.must("ada", `/kpi create churn "Churn" unit % lower target 2 warn 3 alert 5 every month`)
	s := newFakeSender()
	r := f.rhythm(s, "p1")
	alerts := func() int { n, _ := s.count(conversations.KindKPIAlert); return n }
	step := func(value string) {
		t.Helper()
		f.clock.t = f.clock.t.Add(time.Hour)
		if value != "" {
			f.must("ada", "/kpi set churn "+value)
		}
		for range 2 { // a second run finds nothing new
			if _, err := r.Run(ctx, conversations.JobKPIAlerts, f.clock.t); err != nil {
				t.Fatal(err)
			}
		}
	}
	step("1.5") // unknown → green: nothing to say
	if alerts() != 0 {
		t.Fatalf("%d alerts for a first green value", alerts())
	}
	step("4") // green → yellow
	step("4.5")
	step("6") // yellow → red
	step("1") // red → green
	if alerts() != 3 {
		t.Fatalf("%d alerts, want 3 (yellow, red, green)", alerts())
	}
	f.clock.t = f.clock.t.Add(50 * 24 * time.Hour) // no value for 1.5 months
	step("")
	if alerts() != 4 {
		t.Fatalf("%d alerts after going stale", alerts())
	}
	for id, m := range s.msgs {
		if strings.Contains(id, ":red:") && !strings.Contains(conversations.PlainText(m), "Churn is red") {
			t.Errorf("red alert:\n%s", conversations.PlainText(m))
		}
	}
}

func TestSchedulerTicksWithAFakeClock(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	f := newFixture(t)
	f.clock.t = time.Date(2026, 11, 18, 12, 0, 0, 0, tokyo)
	f.team(map[string]string{"aki": "Asia/Tokyo"})
	start := time.Date(2026, 11, 20, 14, 57, 30, 0, tokyo)
	fc := clockwork.NewFakeClockAt(start)
	s := newFakeSender()
	// Two replicas on one database, each with its own scheduler.
	for _, holder := range []string{"replica-1", "replica-2"} {
		r := conversations.NewRhythm(f.svc, f.st, map[domain.Platform]conversations.Sender{domain.Slack: s},
			conversations.RhythmOptions{Now: fc.Now, Holder: holder, MaxWait: time.Second})
		sc, err := conversations.NewScheduler(r, fc, f.st)
		if err != nil {
			t.Fatal(err)
		}
		if err := sc.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer sc.Shutdown()
	}
	f.clock.mu.Lock()
	f.clock.t = start
	f.clock.mu.Unlock()
	for i := range 5 { // 14:58 … 15:02, one tick a minute
		fc.BlockUntilContext(ctx, 2*len(conversations.Jobs)+2)
		fc.Advance(time.Minute)
		f.clock.mu.Lock()
		f.clock.t = fc.Now()
		f.clock.mu.Unlock()
		time.Sleep(150 * time.Millisecond) // let the ticks run
		n, _ := s.count(conversations.KindCheckInPrompt)
		if fc.Now().Before(time.Date(2026, 11, 20, 15, 0, 0, 0, tokyo)) && n != 0 {
			t.Fatalf("tick %d at %s: prompted early", i, fc.Now().In(tokyo))
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if n, _ := s.count(conversations.KindCheckInPrompt); n > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n, dup := s.count(conversations.KindCheckInPrompt); n != 1 || dup != 0 {
		t.Fatalf("%d prompts (%d duplicates) from two replicas", n, dup)
	}
}

func TestATeamsOwnCheckInDayCountsTheSameWeekEverywhere(t *testing.T) {
	f := newFixture(t)
	admin := actor("boss")
	admin.Admin, admin.Channel = true, "C7"
	// The team in #C7 checks in on Mondays at 09:00; the workspace on Fridays.
	f.svc.Command(ctx, admin, "okr", "settings checkin monday 09:00")
	tm := actor("tom")
	tm.Channel = "C7"
	monday := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	f.clock.t = monday.Add(-72 * time.Hour)
	for _, l := range []string{"create Team objective", "kr add O-1 Increase deals from 0 to 10"} {
		f.svc.Command(ctx, tm, "okr", l)
	}
	f.clock.t = monday
	f.must("tom", "/okr update KR-1 3 confidence 6")
	cs, _ := f.st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{User: "tom"})
	if len(cs) != 1 || cs[0].Week != "2026-W48" {
		t.Fatalf("a Monday check-in of a Monday team: %+v", cs)
	}
	s := newFakeSender()
	r := f.rhythm(s, "p1")
	f.clock.t = monday.Add(time.Hour) // the Monday 10:00 reminder
	if rep, err := r.Run(ctx, conversations.JobReminders, f.clock.t); err != nil || rep.Sent != 0 || rep.Skipped != 1 {
		t.Fatalf("tom checked in this (Monday) week and was reminded: %+v %v", rep, err)
	}
}

func TestEdgesOfTheReview(t *testing.T) {
	f := newFixture(t)
	f.quarter()
	// A number after "done" moves a key result back from done.
	f.must("ada", "/okr update KR-2 done confidence 9", "/okr update KR-2 8 confidence 6")
	o, _ := f.st.Objective(ctx, "slack:T1", "O-1")
	if kr := o.KeyResults[1]; kr.Done || kr.Current != 8 {
		t.Errorf("KR-2 after a number: %+v", kr)
	}
	// "not done" may be typed without quotes.
	f.must("ada", "/okr update KR-3 done confidence 9", "/okr update KR-3 not done confidence 4")
	if o, _ = f.st.Objective(ctx, "slack:T1", "O-1"); o.KeyResults[2].Done {
		t.Error("KR-3 still done")
	}
	// A half-year objective is current, in lists and digests.
	f.must("ada", "/okr create Half-year bet --cycle 2026-H2", "/okr kr add O-2 Launch the beta")
	if _, text := f.run("ada", "/okr list"); !strings.Contains(text, "Half-year bet") {
		t.Errorf("list lacks the H2 objective:\n%s", text)
	}
	m, _ := f.svc.Digest(ctx, "slack:T1", conversations.DigestScope{Company: true}, friday)
	if !strings.Contains(conversations.PlainText(m), "Half-year bet") {
		t.Error("digest lacks the H2 objective")
	}
	// A team override of Sunday 00:00 is an override, not "as the workspace".
	set := conversations.Merge(domain.DefaultSettings("UTC"), domain.Settings{Digest: domain.Schedule{Weekday: time.Sunday, Minute: 0, Set: true}})
	if set.Digest.Weekday != time.Sunday || set.Digest.Minute != 0 {
		t.Errorf("Sunday 00:00 lost: %+v", set.Digest)
	}
}

func TestDigestsGoOutWithPromptsOff(t *testing.T) {
	f := newFixture(t)
	f.clock.t = friday.Add(-24 * time.Hour)
	f.team(map[string]string{"a": "UTC"})
	admin := actor("boss")
	admin.Admin = true
	f.svc.Command(ctx, admin, "okr", "settings checkin off")
	f.svc.Command(ctx, admin, "okr", "digest subscribe #okrs")
	s := newFakeSender()
	r := f.rhythm(s, "p1")
	f.clock.t = friday.Add(time.Hour)
	if rep, _ := r.Run(ctx, conversations.JobCheckInPrompts, f.clock.t); rep.Sent != 0 {
		t.Fatalf("prompts while off: %+v", rep)
	}
	f.clock.t = time.Date(2026, 11, 23, 9, 5, 0, 0, time.UTC)
	if rep, err := r.Run(ctx, conversations.JobDigests, f.clock.t); err != nil || rep.Sent != 1 {
		t.Fatalf("digest with prompts off: %+v %v", rep, err)
	}
}
