package rhythm_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/conversations/rhythm"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/outbox"
	"github.com/okrbot/okrbot/storage/storagetest"
)

// The escalation job end to end on one store: the rhythm plans, the outbox
// writes, claims and hands each delivery to a handler that composes it with
// the run and records it as a platform would.

// inbox is a chat platform that records the DMs it gets.
type inbox struct {
	mu   sync.Mutex
	sent map[string]int // delivery id -> times sent
	to   map[string]string
	msgs map[string]*conversations.Message
}

func newInbox() *inbox {
	return &inbox{sent: map[string]int{}, to: map[string]string{}, msgs: map[string]*conversations.Message{}}
}

// ids returns the deliveries sent, in order, with how often.
func (b *inbox) ids() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for id, n := range b.sent {
		out = append(out, fmt.Sprintf("%s→%s×%d", strings.TrimPrefix(id, "slack:T1/"), b.to[id], n))
	}
	sort.Strings(out)
	return out
}

func (b *inbox) text(id string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return conversations.PlainText(b.msgs[id])
}

// handler delivers for the outbox: it composes with the run and sends to
// the inbox.
type handler struct {
	run *rhythm.Run
	box *inbox
}

func (h handler) Deliver(ctx context.Context, e domain.OutboxEntry) outbox.Result {
	ws, err := h.run.Workspace(ctx, e.WorkspaceID)
	if err != nil {
		return outbox.Retry(err, 0, false)
	}
	msg, skip, err := h.run.Compose(ctx, ws, e)
	switch {
	case err != nil:
		return outbox.Retry(err, 0, false)
	case skip != "":
		return outbox.Skipped(skip)
	}
	h.box.mu.Lock()
	defer h.box.mu.Unlock()
	h.box.sent[e.ID]++
	h.box.to[e.ID] = e.Recipient
	h.box.msgs[e.ID] = msg
	return outbox.Sent(fmt.Sprintf("m%d", len(h.box.sent)))
}

// escalationEnv is a workspace whose store and conversations share a fake
// clock, so that away changes are stamped with the test's moments.
type escalationEnv struct {
	*env
	mu    sync.Mutex
	log   bytes.Buffer
	rh    *rhythm.Rhythm    // the process's rhythm
	names map[string]string // display names the platform gives
	zones map[string]string // and time zones
}

func newEscalationEnv(t *testing.T, start time.Time) *escalationEnv {
	e := &escalationEnv{env: &env{t: t, now: start}}
	clock := func() time.Time {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.env.now
	}
	e.st = storagetest.Open(t, clock)
	e.svc = conversations.New(rhythm.Watch(e.st, e.st, nil), conversations.Options{Now: clock})
	e.rh = rhythm.New(e.st, e.svc, rhythm.Options{Log: slog.New(slog.NewTextHandler(&lockedWriter{mu: &e.mu, w: &e.log}, nil))})
	e.names, e.zones = map[string]string{}, map[string]string{}
	return e
}

func (e *escalationEnv) set(t time.Time) {
	e.mu.Lock()
	e.env.now = t
	e.mu.Unlock()
}

// in runs commands as user in channel (an admin when admin is set).
func (e *escalationEnv) in(user, channel string, admin bool, lines ...string) {
	e.t.Helper()
	name := e.names[user]
	if name == "" {
		name = strings.ToUpper(user[:1]) + user[1:]
	}
	e.act(conversations.Actor{Platform: domain.Slack, Workspace: "T1", User: user, Name: name, TimeZone: e.zones[user],
		Channel: channel, ChannelName: channel, Admin: admin}, lines...)
}

// tick runs the escalation job once at at, as the scheduler does (only the
// workspaces the next-due index says are due), with the process's rhythm
// and an outbox.
func (e *escalationEnv) tick(at time.Time, box *inbox) rhythm.Plan {
	e.t.Helper()
	e.set(at)
	run, err := e.rh.Begin(rhythm.JobEscalations, at)
	if err != nil {
		e.t.Fatal(err)
	}
	ob := outbox.New(e.st, outbox.Options{})
	wss, err := e.st.Workspaces(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	p, err := run.Plan(ctx, ob, wss, false)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := ob.Drain(ctx, domain.OutboxQuery{Kinds: []string{domain.KindEscalation}}, handler{run, box}, 0, nil); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// friday runs the job every hour of a Friday from 14:00 to 22:00 UTC: each
// person's check-in moment (15:00 in their time zone) comes in it, and the
// runs around it must add nothing.
func (e *escalationEnv) friday(day time.Time, box *inbox) {
	e.t.Helper()
	for h := 14; h <= 22; h++ {
		e.tick(time.Date(day.Year(), day.Month(), day.Day(), h, 0, 0, 0, time.UTC), box)
	}
}

func (e *escalationEnv) logged() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.log.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestEscalationOncePerStreak runs 2026-Q4's first seven weeks in #growth,
// whose objective O-1 Lea owns, with a key result each for Bob (in New
// York), Carol, Dave and Lea herself:
//
//	week       40  41  42  43  44  45  46
//	Bob        ✓   ✗   ✗   ✗   ✓   ✗   ✗    two streaks: one DM each, at weeks 43 and 47
//	Carol      ✓   away    ✓   ✓   ✓   ✓    away is not missed: none
//	Dave       ✓   ✗   ✗   away    ✗   ✓    away when it came due: none; missing again on return: one, at week 46
//	Lea        ✓   ✗   ✗   ✓   ✓   ✓   ✓    her own lead: none, logged once
func TestEscalationOncePerStreak(t *testing.T) {
	fri := func(week int) time.Time { return time.Date(2026, 10, 2+7*(week-40), 0, 0, 0, 0, time.UTC) }
	at := func(day time.Time, hour int) time.Time { return day.Add(time.Duration(hour) * time.Hour) }
	e := newEscalationEnv(t, time.Date(2026, 10, 1, 10, 0, 0, 0, time.UTC))
	e.names["bob"], e.zones["bob"] = "Bob <!channel>", "America/New_York"
	e.in("bob", "", false, "/okr list")
	e.in("lea", "growth", false, "/okr create Grow the European market",
		"/okr kr add O-1 Increase partners from 0 to 8 --owner @bob",
		"/okr kr add O-1 Increase leads from 22 to 35 --owner @carol",
		"/okr kr add O-1 Increase demos from 0 to 20 --owner @dave",
		"/okr kr add O-1 Increase hires from 0 to 3")
	kr := map[string]string{"bob": "KR-1", "carol": "KR-2", "dave": "KR-3", "lea": "KR-4"}
	answers := map[string][]int{"bob": {40, 44}, "carol": {40, 43, 44, 45, 46}, "dave": {40, 46}, "lea": {40, 43, 44, 45, 46}}
	box := newInbox()
	want := []string{}
	for week := 40; week <= 47; week++ {
		day := fri(week)
		switch week {
		case 41: // Carol goes away on Thursday until Tuesday week (weeks 41 and 42).
			e.set(at(day, -9))
			e.in("carol", "", false, "/okr away until 2026-10-20")
		case 43: // Dave goes away an hour before his week 43 comes due, until 1 Nov.
			e.set(at(day, 14))
			e.in("dave", "", false, "/okr away until 2026-11-01")
		}
		e.friday(day, box)
		switch week {
		case 43:
			want = append(want, "bob/escalation/2026-W41→lea×1")
		case 46:
			want = append(want, "dave/escalation/2026-W41→lea×1")
		case 47:
			want = append(want, "bob/escalation/2026-W45→lea×1")
		}
		sort.Strings(want)
		if got := box.ids(); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("after Friday of week %d: %v, want %v", week, got, want)
		}
		// The week's check-ins, on Friday evening (New York's too).
		e.set(at(day, 23))
		for user, weeks := range answers {
			for _, w := range weeks {
				if w == week {
					e.in(user, "", false, fmt.Sprintf("/okr update %s 3 confidence 7", kr[user]))
				}
			}
		}
	}
	// Each went out at the person's check-in moment in their time zone: 15:00
	// in New York is 19:00 UTC in October, 20:00 after the clocks change.
	for id, want := range map[string]time.Time{
		"slack:T1/bob/escalation/2026-W41":  time.Date(2026, 10, 23, 19, 0, 0, 0, time.UTC),
		"slack:T1/dave/escalation/2026-W41": time.Date(2026, 11, 13, 15, 0, 0, 0, time.UTC),
		"slack:T1/bob/escalation/2026-W45":  time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC),
	} {
		if d, err := e.st.Delivery(ctx, id); err != nil || !d.At.Equal(want) || d.State != domain.OutboxSent || !d.Direct {
			t.Errorf("%s planned at %v (%s, %v), want %v", id, d.At, d.State, err, want)
		}
	}
	// What the first DM says: who, which weeks since when, their key
	// results, why Lea; the person's name as typed, never a ping.
	text := box.text("slack:T1/bob/escalation/2026-W41")
	for _, w := range []string{"Bob <!channel> has missed 2 check-ins in a row", "has not checked in for weeks 41 and 42 (since Friday 9 October)",
		"Their last check-in was for week 40.", "KR-1 Increase partners from 0 to 8", "You get this as the owner of O-1 Grow the European market",
		"/okr list @bob", "/okr settings escalate after 3"} {
		if !strings.Contains(text, w) {
			t.Errorf("the escalation lacks %q:\n%s", w, text)
		}
	}
	if text := box.text("slack:T1/dave/escalation/2026-W41"); !strings.Contains(text, "has missed 3 check-ins in a row") || !strings.Contains(text, "weeks 41, 42 and 45") {
		t.Errorf("Dave's escalation:\n%s", text)
	}
	if text := box.text("slack:T1/bob/escalation/2026-W45"); !strings.Contains(text, "weeks 45 and 46") || !strings.Contains(text, "last check-in was for week 44") {
		t.Errorf("Bob's second escalation:\n%s", text)
	}
	// Lea, her own lead, is logged once, however often her week was planned.
	if n := strings.Count(e.logged(), "nobody to tell"); n != 1 || !strings.Contains(e.logged(), "person=lea") {
		t.Errorf("logged %d times:\n%s", n, e.logged())
	}
}

// TestEscalationFollowsTheTeamsSettings: a lead the team names gets it, the
// team's threshold counts, and off is off.
func TestEscalationFollowsTheTeamsSettings(t *testing.T) {
	fri := func(week int) time.Time { return time.Date(2026, 10, 2+7*(week-40), 0, 0, 0, 0, time.UTC) }
	e := newEscalationEnv(t, time.Date(2026, 10, 1, 10, 0, 0, 0, time.UTC))
	e.in("lea", "growth", false, "/okr create Grow the European market", "/okr kr add O-1 Increase partners from 0 to 8 --owner @bob")
	e.in("max", "mobile", false, "/okr create Ship the app", "/okr kr add O-2 Increase rating from 3 to 4 --owner @cy")
	e.in("boss", "growth", true, "/okr settings lead @zoe escalate after 3")
	e.in("boss", "mobile", true, "/okr settings escalate off")
	box := newInbox()
	for week := 40; week <= 44; week++ {
		e.friday(fri(week), box)
		if week == 42 && len(box.ids()) != 0 {
			t.Fatalf("escalated after two missed check-ins with the team's threshold at 3: %v", box.ids())
		}
	}
	if got := box.ids(); strings.Join(got, " ") != "bob/escalation/2026-W40→zoe×1" {
		t.Fatalf("sent %v, want Bob's streak to Zoe only (mobile has escalation off)", got)
	}
	if text := box.text("slack:T1/bob/escalation/2026-W40"); !strings.Contains(text, "You get this as the lead of #growth") || !strings.Contains(text, "weeks 40, 41 and 42") {
		t.Errorf("the escalation:\n%s", text)
	}
}

// TestEscalationExactlyOnceAcrossProcesses: three processes, each with its
// own rhythm and outbox on one store, run the job at the same moment: the
// lead gets one DM.
func TestEscalationExactlyOnceAcrossProcesses(t *testing.T) {
	fri := func(week int) time.Time { return time.Date(2026, 10, 2+7*(week-40), 15, 0, 0, 0, time.UTC) }
	e := newEscalationEnv(t, time.Date(2026, 10, 1, 10, 0, 0, 0, time.UTC))
	e.in("lea", "growth", false, "/okr create Grow the European market")
	for i := range 6 {
		e.in("lea", "growth", false, fmt.Sprintf("/okr kr add O-1 Increase deals from 0 to 10 --owner @u%d", i))
	}
	box := newInbox()
	e.tick(fri(40), box)
	e.tick(fri(41), box)
	if len(box.ids()) != 0 {
		t.Fatalf("escalated after one missed week: %v", box.ids())
	}
	e.set(fri(42))
	var wg sync.WaitGroup
	plans := make([]rhythm.Plan, 3)
	for p := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			log := slog.New(slog.DiscardHandler)
			run, err := rhythm.New(e.st, e.svc, rhythm.Options{Log: log}).Begin(rhythm.JobEscalations, fri(42))
			if err != nil {
				t.Error(err)
				return
			}
			ob := outbox.New(e.st, outbox.Options{})
			wss, _ := e.st.Workspaces(ctx)
			if plans[p], err = run.Plan(ctx, ob, wss, true); err != nil {
				t.Error(err)
				return
			}
			if _, err := ob.Drain(ctx, domain.OutboxQuery{Kinds: []string{domain.KindEscalation}}, handler{run, box}, 5*time.Second, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got := box.ids()
	if len(got) != 6 {
		t.Fatalf("sent %v, want one DM for each of the six (%+v)", got, plans)
	}
	for _, id := range got {
		if !strings.HasSuffix(id, "→lea×1") {
			t.Errorf("sent %s", id)
		}
	}
	if n := plans[0].Planned + plans[1].Planned + plans[2].Planned; n != 6 {
		t.Errorf("the processes planned %d new deliveries between them, want 6: %+v", n, plans)
	}
	// A fourth process later that week adds nothing.
	e.tick(fri(42).Add(3*time.Hour), box)
	if len(box.ids()) != 6 || strings.Contains(strings.Join(box.ids(), " "), "×2") {
		t.Fatalf("after a later run: %v", box.ids())
	}
}
