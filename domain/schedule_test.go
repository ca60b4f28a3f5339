package domain_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// at parses a local wall-clock time in loc.
func at(t *testing.T, loc *time.Location, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestScheduleOnOrAfterAcrossDaylightSavingAndZones(t *testing.T) {
	friday15 := domain.Schedule{Weekday: time.Friday, Minute: 15 * 60, Set: true}
	sunday0230 := domain.Schedule{Weekday: time.Sunday, Minute: 2*60 + 30, Set: true}
	tests := []struct {
		name, zone, from string
		s                domain.Schedule
		wantUTC          string
	}{
		{"Los Angeles before DST ends (PDT, UTC-7)", "America/Los_Angeles", "2026-10-28 12:00", friday15, "2026-10-30 22:00"},
		{"Los Angeles after DST ends (PST, UTC-8)", "America/Los_Angeles", "2026-11-04 12:00", friday15, "2026-11-06 23:00"},
		{"New York, the week DST begins", "America/New_York", "2026-03-06 16:00", friday15, "2026-03-13 19:00"},
		{"Berlin: 02:30 does not exist on the spring-forward night", "Europe/Berlin", "2026-03-28 12:00", sunday0230, "2026-03-29 01:30"},
		{"Kolkata, half-hour offset", "Asia/Kolkata", "2026-11-18 00:00", friday15, "2026-11-20 09:30"},
		{"Chatham, 45-minute offset in summer", "Pacific/Chatham", "2026-11-18 00:00", friday15, "2026-11-20 01:15"},
		{"Lord Howe, half-hour daylight saving", "Australia/Lord_Howe", "2026-11-18 00:00", friday15, "2026-11-20 04:00"},
		{"Kiritimati, UTC+14: Friday afternoon is Friday 01:00 UTC", "Pacific/Kiritimati", "2026-11-18 00:00", friday15, "2026-11-20 01:00"},
		{"Pago Pago, UTC-11: Friday afternoon is Saturday in UTC", "Pacific/Pago_Pago", "2026-11-18 00:00", friday15, "2026-11-21 02:00"},
		{"the moment itself counts", "UTC", "2026-11-20 15:00", friday15, "2026-11-20 15:00"},
		{"a minute after is next week", "UTC", "2026-11-20 15:01", friday15, "2026-11-27 15:00"},
		{"off", "UTC", "2026-11-20 15:00", domain.Schedule{Weekday: time.Friday, Minute: 900, Off: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := zone(t, tt.zone)
			got := tt.s.OnOrAfter(at(t, loc, tt.from), loc)
			if tt.wantUTC == "" {
				if !got.IsZero() {
					t.Fatalf("OnOrAfter = %s, want none", got)
				}
				return
			}
			if want := at(t, time.UTC, tt.wantUTC); !got.Equal(want) {
				t.Errorf("OnOrAfter = %s (%s UTC), want %s UTC", got, got.UTC().Format("2006-01-02 15:04"), tt.wantUTC)
			}
		})
	}
}

func TestDueWeekOverTheWeek(t *testing.T) {
	set := domain.DefaultSettings("UTC") // prompt Friday 15:00, reminder Monday 10:00, digest Monday 09:00
	noReminder := set
	noReminder.Reminder.Off = true
	mondayTeam := set.Override(domain.Settings{CheckIn: domain.Schedule{Weekday: time.Monday, Minute: 9 * 60, Set: true}})
	tests := []struct {
		at   string
		set  domain.Settings
		kind string
		week domain.Week
		due  bool
	}{
		{"2026-11-20 14:59", set, domain.KindCheckInPrompt, "2026-W47", false},
		{"2026-11-20 15:00", set, domain.KindCheckInPrompt, "2026-W47", true},
		{"2026-11-22 23:59", set, domain.KindCheckInPrompt, "2026-W47", true},
		{"2026-11-23 09:59", set, domain.KindCheckInPrompt, "2026-W47", true},
		{"2026-11-23 10:00", set, domain.KindCheckInPrompt, "2026-W47", false}, // the reminder speaks for it
		{"2026-11-25 10:00", noReminder, domain.KindCheckInPrompt, "2026-W47", true},
		{"2026-11-27 00:00", noReminder, domain.KindCheckInPrompt, "2026-W48", false}, // a new week began
		{"2026-11-23 09:59", set, domain.KindReminder, "2026-W47", false},
		{"2026-11-23 10:00", set, domain.KindReminder, "2026-W47", true},
		{"2026-11-26 23:59", set, domain.KindReminder, "2026-W47", true},
		{"2026-11-27 09:00", set, domain.KindReminder, "2026-W48", false}, // Friday before the prompt: nothing
		{"2026-11-23 08:59", set, domain.KindDigest, "2026-W47", false},
		{"2026-11-23 09:00", set, domain.KindDigest, "2026-W47", true},
		{"2026-11-20 16:00", set, domain.KindDigest, "2026-W47", false},
		{"2026-11-23 09:00", noReminder, domain.KindReminder, "2026-W47", false},
		// A team that checks in on Mondays at 09:00: its prompt is due from then
		// until the reminder at 10:00, and Monday is already its new week.
		{"2026-11-23 09:30", mondayTeam, domain.KindCheckInPrompt, "2026-W48", true},
		{"2026-11-23 10:00", mondayTeam, domain.KindCheckInPrompt, "2026-W48", false},
		{"2026-11-23 10:00", mondayTeam, domain.KindReminder, "2026-W48", true},
		// The ISO year 2026 has 53 weeks: Friday 1 January 2027 is in 2026-W53.
		{"2027-01-01 15:00", set, domain.KindCheckInPrompt, "2026-W53", true},
		{"2027-01-04 10:00", set, domain.KindReminder, "2026-W53", true},
	}
	for _, tt := range tests {
		week, due := domain.DueWeek(at(t, time.UTC, tt.at), time.UTC, tt.set, tt.kind)
		if week != tt.week || due != tt.due {
			t.Errorf("DueWeek(%s, %s) = %s %v, want %s %v", tt.at, tt.kind, week, due, tt.week, tt.due)
		}
	}
}

func TestNextDueInEachTimeZone(t *testing.T) {
	tests := []struct {
		zone, after, kind string
		wantLocal         string
		week              domain.Week
	}{
		{"America/Los_Angeles", "2026-10-30 15:00", domain.KindCheckInPrompt, "2026-11-06 15:00", "2026-W45"},
		{"America/Los_Angeles", "2026-10-30 14:59", domain.KindCheckInPrompt, "2026-10-30 15:00", "2026-W44"},
		{"America/Los_Angeles", "2026-10-30 15:00", domain.KindReminder, "2026-11-02 10:00", "2026-W44"}, // the Monday after DST ends
		{"Europe/Berlin", "2026-03-27 16:00", domain.KindDigest, "2026-03-30 09:00", "2026-W13"},         // across spring-forward
		{"Asia/Tokyo", "2026-11-23 09:00", domain.KindDigest, "2026-11-30 09:00", "2026-W48"},
		{"Asia/Tokyo", "2026-11-23 08:59", domain.KindDigest, "2026-11-23 09:00", "2026-W47"},
		{"Pacific/Kiritimati", "2026-12-31 23:00", domain.KindCheckInPrompt, "2027-01-01 15:00", "2026-W53"},
	}
	for _, tt := range tests {
		loc := zone(t, tt.zone)
		set := domain.DefaultSettings(tt.zone)
		got, week := domain.NextDue(at(t, loc, tt.after), loc, set, tt.kind)
		if want := at(t, loc, tt.wantLocal); !got.Equal(want) || week != tt.week {
			t.Errorf("%s after %s in %s: NextDue = %s %s, want %s %s", tt.kind, tt.after, tt.zone, got.In(loc).Format("2006-01-02 15:04"), week, tt.wantLocal, tt.week)
		}
		// Whoever wakes at that moment finds it due, for that week; a minute
		// before, not.
		if w, due := domain.DueWeek(got, loc, set, tt.kind); !due || w != week {
			t.Errorf("%s in %s: not due at its NextDue %s (%s %v)", tt.kind, tt.zone, got, w, due)
		}
		if _, due := domain.DueWeek(got.Add(-time.Minute), loc, set, tt.kind); due && week != domain.CheckInWeek(got.Add(-time.Minute), loc, set.CheckIn.Weekday) {
			t.Errorf("%s in %s: due a minute before its NextDue", tt.kind, tt.zone)
		}
	}
	off := domain.DefaultSettings("UTC")
	off.Digest.Off = true
	if got, _ := domain.NextDue(time.Now(), time.UTC, off, domain.KindDigest); !got.IsZero() {
		t.Errorf("NextDue of a digest that is off = %s", got)
	}
}

func TestPersonalSettings(t *testing.T) {
	ws := domain.DefaultSettings("Europe/Paris")
	teams := map[string]domain.Settings{
		"C7": {CheckIn: domain.Schedule{Weekday: time.Monday, Minute: 540, Set: true}, TimeZone: "Asia/Tokyo"},
		// Sunday 00:00 is a real override (Set), not "as the workspace".
		"C8": {Digest: domain.Schedule{Weekday: time.Sunday, Minute: 0, Set: true}},
	}
	tests := []struct {
		team, userTZ, wantTZ string
		wantCheckIn          time.Weekday
		wantDigest           time.Weekday
	}{
		{"", "", "Europe/Paris", time.Friday, time.Monday},
		{"", "America/Chicago", "America/Chicago", time.Friday, time.Monday},
		{"C7", "", "Asia/Tokyo", time.Monday, time.Monday},
		{"C7", "America/Chicago", "America/Chicago", time.Monday, time.Monday},
		{"C8", "", "Europe/Paris", time.Friday, time.Sunday},
		{"C9", "", "Europe/Paris", time.Friday, time.Monday}, // no override
	}
	for _, tt := range tests {
		s, tz := domain.Personal(ws, teams, tt.team, tt.userTZ)
		if tz != tt.wantTZ || s.CheckIn.Weekday != tt.wantCheckIn || s.Digest.Weekday != tt.wantDigest {
			t.Errorf("Personal(%q, %q) = %s/%s/%s, want %s/%s/%s", tt.team, tt.userTZ, s.CheckIn.Weekday, s.Digest.Weekday, tz, tt.wantCheckIn, tt.wantDigest, tt.wantTZ)
		}
	}
}

func ExampleNextDue() {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	set := domain.DefaultSettings("Asia/Tokyo")
	wednesday := time.Date(2026, 11, 18, 12, 0, 0, 0, tokyo)
	next, week := domain.NextDue(wednesday, tokyo, set, domain.KindCheckInPrompt)
	fmt.Println(next.UTC().Format(time.RFC3339), week)
	// Output: 2026-11-20T06:00:00Z 2026-W47
}
