package conversations

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// referenceProgressAt is the digest's first reading of a key result's
// progress at t, one moment at a time over its check-ins sorted by time:
// progressesAt, which walks them once for all the moments, must agree.
func referenceProgressAt(cs []domain.CheckIn, kpi []domain.KPIValue, kr domain.KeyResult, t time.Time) float64 {
	var mine []domain.CheckIn
	for _, c := range cs {
		if c.KR == kr.Ref {
			mine = append(mine, c)
		}
	}
	sort.SliceStable(mine, func(i, j int) bool { return mine[i].At.Before(mine[j].At) })
	then := kr
	then.Current, then.Measured, then.Done = kr.Start, false, false
	for _, c := range mine {
		if !c.At.Before(t) {
			break
		}
		then.Current, then.Measured, then.Done = c.Value, true, c.Done
	}
	if kr.KPI != "" {
		for _, v := range kpi {
			if v.At.Before(t) {
				then.Current, then.Measured = v.Value, true
				break
			}
		}
	}
	return then.Progress()
}

func TestTimelineProgressAtMoments(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 10, d, 15, 0, 0, 0, time.UTC) }
	krs := []domain.KeyResult{
		{Ref: "KR-1", Kind: domain.Increase, Start: 0, Target: 100},
		{Ref: "KR-2", Kind: domain.Milestone},
		{Ref: "KR-3", Kind: domain.StayAbove, Target: 50},
		{Ref: "KR-4", Kind: domain.Increase, Start: 10, Target: 20, KPI: "leads"},
		{Ref: "KR-5", Kind: domain.Decrease, Start: 100, Target: 0}, // no check-ins
	}
	// Out of time order, as another store might return them, with two
	// check-ins at one moment (the later given wins, as it did).
	cs := []domain.CheckIn{
		{KR: "KR-1", Value: 40, At: day(15)},
		{KR: "KR-1", Value: 10, At: day(1)},
		{KR: "KR-1", Value: 25, At: day(8)},
		{KR: "KR-1", Value: 30, At: day(8)},
		{KR: "KR-2", Done: true, At: day(10)},
		{KR: "KR-3", Value: 60, At: day(2)},
		{KR: "KR-3", Value: 40, At: day(9)},
		{KR: "KR-4", Value: 12, At: day(3)},
	}
	kpi := []domain.KPIValue{{Value: 18, At: day(12)}, {Value: 15, At: day(6)}} // newest first
	tl := newTimeline(cs, groupByKR(cs))
	tl.kpi["leads"] = kpi
	for _, moments := range [][]time.Time{
		{day(1), day(2), day(8), day(8).Add(time.Nanosecond), day(10), day(11), day(20)},
		{day(20), day(5), day(9), day(1)}, // out of order
		{day(15)},
		{},
	} {
		for _, kr := range krs {
			got := make([]float64, len(moments))
			tl.progressesAt(kr, moments, got)
			for i, m := range moments {
				if want := referenceProgressAt(cs, kpi, kr, m); got[i] != want {
					t.Errorf("%s at %s: %v, want %v", kr.Ref, m.Format("2 Jan 15:04:05.000000000"), got[i], want)
				}
				if one := tl.progressAt(kr, m); one != got[i] {
					t.Errorf("%s at %s: progressAt %v, progressesAt %v", kr.Ref, m.Format("2 Jan"), one, got[i])
				}
			}
		}
	}
	// A few by hand, so that the reference is not only agreeing with itself.
	for _, c := range []struct {
		kr   int
		at   time.Time
		want float64
	}{
		{0, day(1), 0},                         // strictly before: the day-1 check-in is not yet in
		{0, day(8).Add(time.Nanosecond), 0.30}, // the later of the two at one moment
		{0, day(20), 0.40},                     // the latest
		{1, day(10), 0}, {1, day(11), 1},       // a milestone done on the 10th
		{2, day(5), 1}, {2, day(10), 0}, // above 50, then below
		{3, day(4), 0.2}, {3, day(7), 0.5}, // its check-in, then the KPI's value overrides it
		{3, day(13), 0.8}, {4, day(13), 0}, // the KPI's newest value; no check-ins: the start
	} {
		if got := tl.progressAt(krs[c.kr], c.at); got != c.want {
			t.Errorf("%s at %s: %v, want %v", krs[c.kr].Ref, c.at.Format("2 Jan"), got, c.want)
		}
	}
}

// The digest makes the progress lines a few thousand check-ins at a time,
// whole key results each: they must be domain.WeeklyPoints of them all.
func TestHistoryInChunksIsWeeklyPoints(t *testing.T) {
	start := time.Date(2026, 10, 2, 15, 0, 0, 0, time.UTC)
	var cs []domain.CheckIn
	for i := range 12000 {
		kr := fmt.Sprintf("KR-%d", i%900)
		if i%2 == 0 {
			kr = "KR-big" // one key result with more check-ins than a chunk holds
		}
		week := domain.WeekOf(start.AddDate(0, 0, 7*(i%13)), time.UTC)
		// Several people a week, some at the same moment.
		at := start.AddDate(0, 0, 7*(i%13)).Add(time.Duration(i%5) * time.Minute)
		cs = append(cs, domain.CheckIn{UserID: fmt.Sprintf("U%d", i%7), KR: kr, Week: week, Value: float64(i), At: at})
	}
	ps := make([]domain.CheckInPoint, len(cs))
	for i, c := range cs {
		ps[i] = domain.CheckInPoint{User: c.UserID, KR: c.KR, Week: c.Week, Point: domain.Point{At: c.At, Value: c.Value}}
	}
	want := domain.WeeklyPoints(ps)
	got := history(cs, groupByKR(cs))
	if len(got) != len(want) || len(want) != 451 {
		t.Fatalf("%d lines, want %d (451)", len(got), len(want))
	}
	for kr, w := range want {
		if !reflect.DeepEqual(got[kr], w) {
			t.Errorf("%s: %v, want %v", kr, got[kr], w)
		}
	}
	if len(history(nil, groupByKR(nil))) != 0 {
		t.Error("lines without check-ins")
	}
}
