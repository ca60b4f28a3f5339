package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/conversations/rhythm"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/testclock"
	"github.com/okrbot/okrbot/outbox"
	"github.com/okrbot/okrbot/storage"
	"github.com/okrbot/okrbot/storage/storagetest"
)

// The weekly rhythm in one process: the rhythm, the outbox and a sender
// that records what arrives, over a real store.

var bg = context.Background()

// friday is Friday 20 November 2026, 15:00 UTC, in 2026-Q4.
var friday = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)

// fakeSender is a platform that records what arrives. fail, when set,
// decides each attempt.
type fakeSender struct {
	mu        sync.Mutex
	sent      map[string]int // delivery id -> times sent
	msgs      map[string]*conversations.Message
	tried     map[string]int
	fail      func(d conversations.Delivery, try int) error
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
	if f.fail != nil {
		if err := f.fail(d, f.tried[d.ID]); err != nil {
			return "", err
		}
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
	sort.Strings(out)
	return out
}

func (f *fakeSender) message(id string) *conversations.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.msgs[id]
}

type fixture struct {
	t     *testing.T
	st    storage.Store
	svc   *conversations.Service
	clock *testclock.Clock
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	c := testclock.New(friday)
	st := storagetest.Open(t, nil)
	return &fixture{t: t, st: st, clock: c, svc: conversations.New(rhythm.Watch(st, st, nil), conversations.Options{Now: c.Now})}
}

func testActor(user string) conversations.Actor {
	return conversations.Actor{Platform: domain.Slack, Workspace: "T1", User: user, Name: strings.ToUpper(user[:1]) + user[1:]}
}

// must runs commands as a that must succeed.
func (f *fixture) must(a conversations.Actor, lines ...string) {
	f.t.Helper()
	for _, l := range lines {
		cmd, args, _ := conversations.SplitCommand(l)
		if r := f.svc.Command(bg, a, cmd, args); r.Failed() {
			f.t.Fatalf("%s: %s: %s", l, r.Code, conversations.PlainText(r.Message))
		}
	}
}

// team creates people with a key result each, in their time zones, in the
// order of their names: the n-th person owns O-n and KR-n.
func (f *fixture) team(zones map[string]string) {
	f.t.Helper()
	var users []string
	for u := range zones {
		users = append(users, u)
	}
	sort.Strings(users)
	for i, user := range users {
		a := testActor(user)
		a.TimeZone = zones[user]
		f.must(a, "/okr create Objective of "+user, fmt.Sprintf("/okr kr add O-%d Increase deals from 0 to 10", i+1))
	}
}

// engine is the rhythm over the fixture's store, sending with s; the
// outbox's short policy keeps retries quick.
func (f *fixture) engine(s conversations.Sender, opt engineOptions) *engine {
	if opt.Policy.MaxAttempts == 0 {
		opt.Policy = outbox.Policy{Base: 20 * time.Millisecond, Max: 200 * time.Millisecond, MaxAttempts: 6, MaxAge: 24 * time.Hour}
	}
	return newEngine(f.st, f.svc, map[domain.Platform]conversations.Sender{domain.Slack: s}, opt)
}

// run runs a job by hand at at (the conversations' clock set there too).
func (f *fixture) run(en *engine, job string, at time.Time) jobRun {
	f.t.Helper()
	f.clock.Set(at)
	rep, err := en.run(bg, job, at, runOptions{All: true, MaxWait: 5 * time.Second})
	if err != nil {
		f.t.Fatal(err)
	}
	return rep
}

func TestPromptsGoOutAt15InEachPersonsTimeZone(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	la, _ := time.LoadLocation("America/Los_Angeles")
	// Two Fridays either side of the end of daylight saving time in Los
	// Angeles (Sunday 1 November 2026).
	for _, day := range []time.Time{time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 6, 0, 0, 0, 0, time.UTC)} {
		t.Run(day.Format(time.DateOnly), func(t *testing.T) {
			f := newFixture(t)
			f.clock.Set(day.Add(-48 * time.Hour))
			f.team(map[string]string{"aki": "Asia/Tokyo", "lee": "America/Los_Angeles"})
			s := newFakeSender()
			en := f.engine(s, engineOptions{})
			y, m, d := day.Date()
			at := func(loc *time.Location, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, loc) }
			f.run(en, rhythm.JobCheckInPrompts, at(tokyo, 14, 59))
			if n, _ := s.count(domain.KindCheckInPrompt); n != 0 {
				t.Fatalf("%d prompts before 15:00 in Tokyo", n)
			}
			f.run(en, rhythm.JobCheckInPrompts, at(tokyo, 15, 0))
			if got := s.to("aki", domain.KindCheckInPrompt); len(got) != 1 || len(s.to("lee", domain.KindCheckInPrompt)) != 0 {
				t.Fatalf("at 15:00 Tokyo: aki %v, lee %v", got, s.to("lee", domain.KindCheckInPrompt))
			}
			f.run(en, rhythm.JobCheckInPrompts, at(la, 14, 59))
			if len(s.to("lee", domain.KindCheckInPrompt)) != 0 {
				t.Fatal("lee prompted before 15:00 in Los Angeles")
			}
			f.run(en, rhythm.JobCheckInPrompts, at(la, 15, 0))
			if got := s.to("lee", domain.KindCheckInPrompt); len(got) != 1 {
				t.Fatalf("at 15:00 Los Angeles: lee %v", got)
			}
			if n, dup := s.count(domain.KindCheckInPrompt); n != 2 || dup != 0 {
				t.Fatalf("%d prompts, %d duplicates", n, dup)
			}
			msg := s.message(s.to("lee", domain.KindCheckInPrompt)[0])
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
	f.clock.Set(friday.Add(-24 * time.Hour))
	zones := map[string]string{}
	for i := range 12 {
		zones[fmt.Sprintf("u%02d", i)] = "UTC"
	}
	f.team(zones)
	f.must(testActor("u00"), "/okr away until 2026-12-24")
	f.clock.Set(friday.Add(-time.Hour))
	f.must(testActor("u01"), "/okr update KR-2 3 confidence 7") // checked in early (u01 owns KR-2)
	at := friday.Add(time.Hour)
	f.clock.Set(at)

	s := newFakeSender()
	var wg sync.WaitGroup
	reports := make([]jobRun, 3)
	for p := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := f.engine(s, engineOptions{}).run(bg, rhythm.JobCheckInPrompts, at, runOptions{All: true, MaxWait: 5 * time.Second})
			if err != nil {
				t.Error(err)
			}
			reports[p] = rep
		}()
	}
	wg.Wait()
	if n, dup := s.count(domain.KindCheckInPrompt); n != 10 || dup != 0 {
		t.Fatalf("%d people prompted (%d twice), want 10 once", n, dup)
	}
	if sent := reports[0].Stats.Sent + reports[1].Stats.Sent + reports[2].Stats.Sent; sent != 10 {
		t.Errorf("the runs count %d sent: %+v", sent, reports)
	}
	if reports[0].Plan.Skipped != 2 {
		t.Errorf("skipped %d, want the away and the early person", reports[0].Plan.Skipped)
	}
	// Running again sends nothing, and reports the whole week.
	rep := f.run(f.engine(s, engineOptions{}), rhythm.JobCheckInPrompts, at)
	if rep.Stats.Sent != 0 || rep.Status.ByState[domain.OutboxSent] != 10 || rep.Failing() != 0 {
		t.Fatalf("second run: %s", rep)
	}
	if !strings.Contains(rep.String(), "10 sent (0 by this run), 2 skipped, 0 still failing") {
		t.Errorf("report: %s", rep)
	}
}

func TestFailedSendsAreRetriedNotDropped(t *testing.T) {
	f := newFixture(t)
	f.clock.Set(friday.Add(-24 * time.Hour))
	f.team(map[string]string{"a": "UTC", "b": "UTC", "c": "UTC"})
	s := newFakeSender()
	s.fail = func(d conversations.Delivery, try int) error {
		if try == 1 {
			return &conversations.SendError{Err: errors.New("ratelimited"), Retry: true, After: 10 * time.Millisecond}
		}
		return nil
	}
	rep := f.run(f.engine(s, engineOptions{}), rhythm.JobCheckInPrompts, friday.Add(time.Hour))
	if n, dup := s.count(domain.KindCheckInPrompt); n != 3 || dup != 0 || rep.Stats.Sent != 3 || rep.Failing() != 0 || rep.Stats.Failed != 3 {
		t.Fatalf("sent %d (dup %d), report %s", n, dup, rep)
	}
	if s.checked != 0 {
		t.Errorf("asked Slack %d times after 429s, which post nothing", s.checked)
	}
}

// An entry that keeps failing stops after the maximum attempts and is
// counted as expired in okrbot_deliveries_total.
func TestAlwaysFailingDeliveryExpiresAndIsCounted(t *testing.T) {
	f := newFixture(t)
	f.clock.Set(friday.Add(-24 * time.Hour))
	f.team(map[string]string{"a": "UTC", "b": "UTC"})
	s := newFakeSender()
	s.fail = func(d conversations.Delivery, try int) error {
		if d.Recipient == "a" {
			return &conversations.SendError{Err: errors.New("HTTP 500"), Retry: true, Unsure: true}
		}
		return nil
	}
	m := newRhythmMetrics(newTestRegistry(), f.st)
	rep := f.run(f.engine(s, engineOptions{Observe: m.observe}), rhythm.JobCheckInPrompts, friday.Add(time.Hour))
	if rep.Status.ByState[domain.OutboxExpired] != 1 || rep.Status.ByState[domain.OutboxSent] != 1 || rep.Failing() != 0 {
		t.Fatalf("report %s", rep)
	}
	if got := counter(m, domain.KindCheckInPrompt, "expired"); got != 1 {
		t.Errorf("okrbot_deliveries_total{outcome=expired} = %v", got)
	}
	if got := counter(m, domain.KindCheckInPrompt, "failed"); got != 5 {
		t.Errorf("okrbot_deliveries_total{outcome=failed} = %v, want 5 (6 attempts)", got)
	}
	e, _ := f.st.Delivery(bg, domain.OutboxID("slack:T1", "a", domain.KindCheckInPrompt, "2026-W47"))
	if e.State != domain.OutboxExpired || e.Attempts != 6 || !strings.Contains(e.LastError, "gave up after 6 attempts") {
		t.Errorf("the entry: %+v", e)
	}
	// Every attempt after a 5xx asked the platform first.
	if s.checked != 5 {
		t.Errorf("%d checks with the platform, want 5", s.checked)
	}
}

func TestInFlightSendIsCheckedBeforeResending(t *testing.T) {
	f := newFixture(t)
	f.clock.Set(friday.Add(-24 * time.Hour))
	f.team(map[string]string{"a": "UTC", "b": "UTC"})
	at := friday.Add(time.Hour)
	f.clock.Set(at)
	// Process A planned and claimed both prompts, sent a's, then died.
	dead := f.engine(newFakeSender(), engineOptions{})
	run, _ := dead.rh.Begin(rhythm.JobCheckInPrompts, at)
	wss, _ := f.st.Workspaces(bg)
	if _, err := run.Plan(bg, dead.ob, wss, true); err != nil {
		t.Fatal(err)
	}
	due, _ := f.st.Due(bg, domain.OutboxQuery{}, time.Now(), 10)
	for _, e := range due {
		if _, won, err := f.st.Claim(bg, e, "A", time.Now().Add(300*time.Millisecond)); err != nil || !won {
			t.Fatal(err)
		}
	}
	s := newFakeSender()
	s.delivered[domain.OutboxID("slack:T1", "a", domain.KindCheckInPrompt, "2026-W47")] = "ts-from-A"
	en := f.engine(s, engineOptions{})
	// B starts while A's leases run: nothing to do yet, both held.
	rep, err := en.run(bg, rhythm.JobCheckInPrompts, at, runOptions{All: true})
	if err != nil || rep.Stats.Sent != 0 || rep.Status.Held != 2 {
		t.Fatalf("B during A's lease: %s %v", rep, err)
	}
	if !strings.Contains(rep.String(), "2 held by another process") {
		t.Errorf("report: %s", rep)
	}
	time.Sleep(400 * time.Millisecond) // A's leases are over
	rep = f.run(en, rhythm.JobCheckInPrompts, at)
	if rep.Stats.Sent != 2 || s.checked != 2 {
		t.Fatalf("report %s, %d checks with the platform", rep, s.checked)
	}
	if len(s.to("a", domain.KindCheckInPrompt)) != 0 {
		t.Fatal("a's prompt, which had arrived, was sent again")
	}
	if len(s.to("b", domain.KindCheckInPrompt)) != 1 {
		t.Fatal("b's prompt was not sent")
	}
	e, _ := f.st.Delivery(bg, domain.OutboxID("slack:T1", "a", domain.KindCheckInPrompt, "2026-W47"))
	if e.State != domain.OutboxSent || e.MessageID != "ts-from-A" {
		t.Fatalf("a's entry %+v", e)
	}
}

func TestRemindersOnlyToThoseMissing(t *testing.T) {
	f := newFixture(t)
	f.clock.Set(friday.Add(-24 * time.Hour))
	f.team(map[string]string{"a": "UTC", "b": "UTC"})
	f.clock.Set(friday.Add(2 * time.Hour))
	f.must(testActor("a"), "/okr update KR-1 4 confidence 8")
	monday := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	s := newFakeSender()
	en := f.engine(s, engineOptions{})
	if rep := f.run(en, rhythm.JobReminders, monday.Add(-time.Minute)); rep.Stats.Sent != 0 {
		t.Fatalf("reminders before Monday 10:00: %s", rep)
	}
	rep := f.run(en, rhythm.JobReminders, monday)
	if rep.Stats.Sent != 1 || len(s.to("b", domain.KindReminder)) != 1 {
		t.Fatalf("reminders: %s, to b: %v", rep, s.to("b", domain.KindReminder))
	}
	if text := conversations.PlainText(s.message(s.to("b", domain.KindReminder)[0])); !strings.Contains(text, "Reminder: your check-in for week 47") {
		t.Errorf("reminder:\n%s", text)
	}
	// A late check-in on Monday counts for last week: b gets no second reminder.
	f.must(testActor("b"), "/okr update KR-2 2 confidence 5")
	if rep := f.run(en, rhythm.JobReminders, monday.Add(time.Hour)); rep.Stats.Sent != 0 {
		t.Fatalf("second reminder run: %s", rep)
	}
}

func TestDigestsGoToSubscribedChannelsOnce(t *testing.T) {
	f := newFixture(t)
	f.clock.Set(friday.Add(-24 * time.Hour))
	f.team(map[string]string{"a": "UTC"})
	admin := testActor("boss")
	admin.Admin = true
	f.must(admin, "/okr digest subscribe #leadership --company")
	monday := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	s := newFakeSender()
	en := f.engine(s, engineOptions{})
	for _, at := range []time.Time{monday.Add(-time.Minute), monday, monday.Add(time.Hour)} {
		f.run(en, rhythm.JobDigests, at)
	}
	got := s.to("leadership", domain.KindDigest)
	if len(got) != 1 || !strings.HasSuffix(got[0], "/2026-W47") {
		t.Fatalf("digests: %v", got)
	}
	if text := conversations.PlainText(s.message(got[0])); !strings.Contains(text, "Company OKRs · 2026-Q4 · week 8") {
		t.Errorf("digest:\n%s", text)
	}
}

// --at drives every date in what a run composes, whatever the clock of
// the conversations says (issue 14, item 9).
func TestADigestSpeaksOfTheRunsMoment(t *testing.T) {
	f := newFixture(t)
	f.clock.Set(time.Date(2027, 2, 20, 9, 0, 0, 0, time.UTC))
	f.team(map[string]string{"a": "UTC"})
	admin := testActor("boss")
	admin.Admin = true
	f.must(admin, "/okr digest subscribe #okrs --company")
	s := newFakeSender()
	en := f.engine(s, engineOptions{})
	at := time.Date(2027, 3, 1, 9, 30, 0, 0, time.UTC)
	rep, err := en.run(bg, rhythm.JobDigests, at, runOptions{All: true}) // the clock says 20 February
	if err != nil || rep.Stats.Sent != 1 {
		t.Fatalf("%s %v", rep, err)
	}
	got := s.to("okrs", domain.KindDigest)
	if len(got) != 1 || !strings.HasSuffix(got[0], "/2027-W08") {
		t.Fatalf("digests %v", got)
	}
	// Week 9 of 2027-Q1: its ninth digest slot (ISO week 8).
	if title := s.message(got[0]).Title; !strings.Contains(title, "2027-Q1 · week 9") {
		t.Errorf("a digest planned for %s is titled %q", at, title)
	}
}

func TestKPIAlertOncePerChange(t *testing.T) {
	f := newFixture(t)
	ada := testActor("ada")
	f.must(ada, `/kpi create churn "Churn" unit % lower target 2 warn 3 alert 5 every month`)
	s := newFakeSender()
	en := f.engine(s, engineOptions{})
	alerts := func() int { n, _ := s.count(domain.KindKPIAlert); return n }
	at := friday
	step := func(value string) {
		t.Helper()
		at = at.Add(time.Hour)
		f.clock.Set(at)
		if value != "" {
			f.must(ada, "/kpi set churn "+value)
		}
		for range 2 { // a second run finds nothing new
			f.run(en, rhythm.JobKPIAlerts, at)
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
	at = at.Add(50 * 24 * time.Hour) // no value for 1.5 months
	step("")
	if alerts() != 4 {
		t.Fatalf("%d alerts after going stale", alerts())
	}
	for _, id := range s.to("ada", domain.KindKPIAlert) {
		if strings.Contains(id, ":red:") && !strings.Contains(conversations.PlainText(s.message(id)), "Churn is red") {
			t.Errorf("red alert:\n%s", conversations.PlainText(s.message(id)))
		}
	}
}

func TestATeamsOwnCheckInDayCountsTheSameWeekEverywhere(t *testing.T) {
	f := newFixture(t)
	admin := testActor("boss")
	admin.Admin, admin.Channel = true, "C7"
	// The team in #C7 checks in on Mondays at 09:00; the workspace on Fridays.
	f.must(admin, "/okr settings checkin monday 09:00")
	tm := testActor("tom")
	tm.Channel = "C7"
	monday := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	f.clock.Set(monday.Add(-72 * time.Hour))
	f.must(tm, "/okr create Team objective", "/okr kr add O-1 Increase deals from 0 to 10")
	f.clock.Set(monday)
	f.must(testActor("tom"), "/okr update KR-1 3 confidence 6")
	cs, _ := f.st.CheckIns(bg, "slack:T1", domain.CheckInFilter{User: "tom"})
	if len(cs) != 1 || cs[0].Week != "2026-W48" {
		t.Fatalf("a Monday check-in of a Monday team: %+v", cs)
	}
	// The Monday 10:00 reminder: tom checked in this (Monday) week.
	if rep := f.run(f.engine(newFakeSender(), engineOptions{}), rhythm.JobReminders, monday.Add(30*time.Minute)); rep.Stats.Sent != 0 || rep.Plan.Skipped != 1 {
		t.Fatalf("tom was reminded: %s", rep)
	}
}

func TestDigestsGoOutWithPromptsOff(t *testing.T) {
	f := newFixture(t)
	f.clock.Set(friday.Add(-24 * time.Hour))
	f.team(map[string]string{"a": "UTC"})
	admin := testActor("boss")
	admin.Admin = true
	f.must(admin, "/okr settings checkin off", "/okr digest subscribe #okrs")
	s := newFakeSender()
	en := f.engine(s, engineOptions{})
	if rep := f.run(en, rhythm.JobCheckInPrompts, friday.Add(time.Hour)); rep.Stats.Sent != 0 {
		t.Fatalf("prompts while off: %s", rep)
	}
	if rep := f.run(en, rhythm.JobDigests, time.Date(2026, 11, 23, 9, 5, 0, 0, time.UTC)); rep.Stats.Sent != 1 {
		t.Fatalf("digest with prompts off: %s", rep)
	}
}

func newTestRegistry() *prometheus.Registry { return prometheus.NewRegistry() }

// counter reads okrbot_deliveries_total{kind, outcome}.
func counter(m *rhythmMetrics, kind, outcome string) float64 {
	return testutil.ToFloat64(m.deliveries.WithLabelValues(kind, outcome))
}
