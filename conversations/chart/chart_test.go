package chart

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testRenderer uses the bundled fonts only, so that the golden images do
// not depend on the fonts of the machine running the tests.
var (
	testRenderer = NewRenderer(false)
	testHandler  = testRenderer.h
)

// exampleChart is a realistic eight-objective digest chart.
func exampleChart() Chart {
	return Chart{
		Title: "2026-Q4 · week 48",
		Pace:  0.48,
		Bars: []Bar{
			{Label: "O-12 Grow the European market", Progress: 0.62, Status: "on track"},
			{Label: "O-13 Reduce churn among SMB customers below 2% monthly", Progress: 0.31, Status: "at risk"},
			{Label: "O-14 Launch the Teams integration", Progress: 0.85, Status: "on track"},
			{Label: "O-15 Hire & onboard 6 engineers 🚀", Progress: 0.12, Status: "off track"},
			{Label: "O-16 SOC 2 Type II audit", Progress: 1, Status: "done"},
			{Label: "O-17 Improve NPS <from 31 to 45>", Progress: 0.45, Status: "on track"},
			{Label: "O-18 Self-serve onboarding", Progress: 0, Status: "no data"},
			{Label: "O-19 Cut p95 API latency to 200 ms", Progress: 0.22, Status: "off track"},
		},
	}
}

func manyBars(n int) []Bar {
	statuses := []string{"off track", "at risk", "on track", "done", "no data"}
	bars := make([]Bar, n)
	for i := range bars {
		bars[i] = Bar{
			Label:    fmt.Sprintf("O-%d Objective number %d", i+1, i+1),
			Progress: float64(i%11) / 10,
			Status:   statuses[i%len(statuses)],
		}
	}
	return bars
}

// decode renders c and decodes the PNG, failing the test on any error.
func decode(t *testing.T, c Chart) image.Image {
	t.Helper()
	b, err := testRenderer.Render(c)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("png.Decode: %v", err)
	}
	return img
}

// drawn returns every string drawn for c, in drawing order.
func drawn(t *testing.T, c Chart) []string {
	t.Helper()
	l := newLayout(c, testHandler)
	var rec recorder.Canvas
	if err := l.draw(draw.NewCanvas(&rec, px(Width), px(l.height))); err != nil {
		t.Fatalf("draw: %v", err)
	}
	var out []string
	for _, a := range rec.Actions {
		if fs, ok := a.(*recorder.FillString); ok {
			out = append(out, fs.String)
		}
	}
	return out
}

func countColor(img image.Image, want color.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			if uint8(r>>8) == want.R && uint8(g>>8) == want.G && uint8(bl>>8) == want.B && uint8(a>>8) == want.A {
				n++
			}
		}
	}
	return n
}

func TestRenderValidPNG(t *testing.T) {
	img := decode(t, exampleChart())
	b := img.Bounds()
	if b.Dx() != Width {
		t.Errorf("width = %d, want %d", b.Dx(), Width)
	}
	if b.Dy() < MinHeight || b.Dy() > MaxHeight {
		t.Errorf("height = %d, want within [%d, %d]", b.Dy(), MinHeight, MaxHeight)
	}
	if got, want := b.Dy(), int(newLayout(exampleChart(), testHandler).height); got != want {
		t.Errorf("height = %d, layout says %d", got, want)
	}
	// White background in the corners.
	for _, p := range []image.Point{{0, 0}, {b.Dx() - 1, 0}, {0, b.Dy() - 1}, {b.Dx() - 1, b.Dy() - 1}} {
		if r, g, bl, a := img.At(p.X, p.Y).RGBA(); r != 0xFFFF || g != 0xFFFF || bl != 0xFFFF || a != 0xFFFF {
			t.Errorf("pixel %v = %v, want white", p, img.At(p.X, p.Y))
		}
	}
}

func TestHeightScalesWithBars(t *testing.T) {
	prev := 0.0
	for n := range 2*MaxBars + 1 {
		h := newLayout(Chart{Bars: manyBars(n)}, testHandler).height
		if h < MinHeight || h > MaxHeight || h != math.Round(h) {
			t.Errorf("%d bars: height %v, want a whole number in [%d, %d]", n, h, MinHeight, MaxHeight)
		}
		if h < prev {
			t.Errorf("%d bars: height %v shrank from %v", n, h, prev)
		}
		prev = h
	}
	if h := newLayout(Chart{Bars: manyBars(MaxBars)}, testHandler).height; h <= MinHeight {
		t.Errorf("%d bars: height %v, want more than the minimum %d", MaxBars, h, MinHeight)
	}
	for _, n := range []int{0, MaxBars, 200} {
		c := Chart{Title: "t", Pace: 0.5, Bars: manyBars(n)}
		b, err := testRenderer.Render(c)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Width != Width || cfg.Height != int(newLayout(c, testHandler).height) {
			t.Errorf("%d bars: %dx%d, want %dx%v", n, cfg.Width, cfg.Height, Width, newLayout(c, testHandler).height)
		}
	}
}

func TestZeroBars(t *testing.T) {
	for _, c := range []Chart{{}, {Title: "2026-Q4 · week 1", Pace: 0.02}, {Bars: []Bar{}}} {
		img := decode(t, c)
		if got := img.Bounds().Size(); got != image.Pt(Width, MinHeight) {
			t.Errorf("size = %v, want %dx%d", got, Width, MinHeight)
		}
		s := drawn(t, c)
		if !slices.Contains(s, "no objectives yet") {
			t.Errorf("drawn %q, want the note %q", s, "no objectives yet")
		}
		for _, name := range statusNames[:stOther] {
			if slices.Contains(s, name) {
				t.Errorf("legend entry %q drawn for an empty chart", name)
			}
		}
	}
}

func TestOneBar(t *testing.T) {
	c := Chart{Title: "2026-Q4 · week 48", Pace: 0.48, Bars: []Bar{{Label: "O-1 Ship it", Progress: 0.62, Status: "on track"}}}
	img := decode(t, c)
	if img.Bounds().Dx() != Width || img.Bounds().Dy() != MinHeight {
		t.Errorf("size = %v", img.Bounds().Size())
	}
	s := drawn(t, c)
	for _, want := range []string{"2026-Q4 · week 48", "O-1 Ship it", "62% · on track", "pace 48%", "on track", "0%", "100%"} {
		if !slices.Contains(s, want) {
			t.Errorf("drawn %q, missing %q", s, want)
		}
	}
	if slices.Contains(s, "no objectives yet") {
		t.Error("empty-chart note drawn for a chart with a bar")
	}
	if n := countColor(img, statusColors[stOnTrack]); n < 1000 {
		t.Errorf("only %d pixels in the on-track colour", n)
	}
}

func TestManyBarsAreCut(t *testing.T) {
	c := Chart{Title: "Big org", Pace: 0.3, Bars: manyBars(200)}
	img := decode(t, c)
	if h := img.Bounds().Dy(); h > MaxHeight {
		t.Errorf("height %d > %d", h, MaxHeight)
	}
	s := drawn(t, c)
	if !slices.Contains(s, "and 180 more objectives not shown") {
		t.Errorf("drawn %q, want the note for 180 more", s)
	}
	if !slices.Contains(s, "O-20 Objective number 20") || slices.Contains(s, "O-21 Objective number 21") {
		t.Errorf("want exactly the first %d bars drawn, got %q", MaxBars, s)
	}
	if l := newLayout(c, testHandler); len(l.rows) != MaxBars || l.more != 180 {
		t.Errorf("layout has %d rows and %d more, want %d and 180", len(l.rows), l.more, MaxBars)
	}
	if len(c.Bars) != 200 || c.Bars[199].Label != "O-200 Objective number 200" {
		t.Error("Render modified its input")
	}
}

func TestMoreNoteBoundary(t *testing.T) {
	for n, want := range map[int]string{MaxBars: "", MaxBars + 1: "and 1 more objective not shown", MaxBars + 2: "and 2 more objectives not shown"} {
		s := drawn(t, Chart{Bars: manyBars(n)})
		got := ""
		for _, x := range s {
			if strings.HasPrefix(x, "and ") {
				got = x
			}
		}
		if got != want {
			t.Errorf("%d bars: note %q, want %q", n, got, want)
		}
	}
}

func TestHostileLabels(t *testing.T) {
	long := strings.Repeat("Grow the European market ", 400)
	tests := []struct {
		name, in, want string
	}{
		{"plain", "O-12 Grow the European market", "O-12 Grow the European market"},
		{"markup", "O-1 <b>bold</b> & \"quotes\"", "O-1 <b>bold</b> & \"quotes\""},
		// Emoji and CJK are drawn by fallback fonts (never boxes); joiners
		// and variation selectors are dropped, so a sequence shows its parts.
		{"emoji", "O-2 Launch 🚀", "O-2 Launch 🚀"},
		{"emoji sequence", "O-3 Team 👩‍👩‍👧‍👦 and 👍🏽 and 🇩🇪 ok", "O-3 Team 👩👩👧👦 and 👍🏽 and 🇩🇪 ok"},
		{"keycap", "1️⃣ first", "1⃣ first"},
		{"hebrew", "O-4 עברית", "O-4 תירבע"},
		{"hebrew with number", "O-5 שלום 2026 plan", "O-5 2026 םולש plan"},
		{"arabic", "O-6 مرحبا", "O-6 □□□□□"},
		{"cjk", "O-7 增长欧洲市场", "O-7 增长欧洲市场"},
		{"accents", "O-8 Ærøskøbing café naïve", "O-8 Ærøskøbing café naïve"},
		{"control", "O-9 line\none\ttab\r\x00end", "O-9 line one tab end"},
		{"bidi controls", "O-10 \u202Eevil\u202C \u200Bzero", "O-10 evil zero"},
		{"invalid utf8", "O-11 \xff\xfe bad", "O-11 □□ bad"},
		{"spaces", "   lots    of   space   ", "lots of space"},
		{"empty", "", "(untitled)"},
		{"only controls", "\n\t\u200D", "(untitled)"},
		{"long", long, shorten(long, MaxLabelRunes)},
	}
	bars := make([]Bar, len(tests))
	for i, tt := range tests {
		bars[i] = Bar{Label: tt.in, Progress: 0.5, Status: "on track"}
	}
	c := Chart{Title: "unicode ✓ « » 🚀 עברית", Pace: 0.5, Bars: bars[:MaxBars/2]}
	c2 := Chart{Title: long, Pace: 0.5, Bars: bars[MaxBars/2:]}
	for _, c := range []Chart{c, c2} {
		decode(t, c)
	}

	l1, l2 := newLayout(c, testHandler), newLayout(c2, testHandler)
	rows := append(l1.rows, l2.rows...)
	for i, tt := range tests {
		got := rows[i].label
		if got != tt.want {
			t.Errorf("%s: label %q, want %q", tt.name, got, tt.want)
		}
		if n := utf8.RuneCountInString(got); n > MaxLabelRunes {
			t.Errorf("%s: label has %d runes, want at most %d", tt.name, n, MaxLabelRunes)
		}
	}
	if got := rows[len(rows)-1].label; !strings.HasSuffix(got, "…") || utf8.RuneCountInString(got) != MaxLabelRunes {
		t.Errorf("long label = %q, want %d runes ending in …", got, MaxLabelRunes)
	}
	if n := utf8.RuneCountInString(l2.title); n > maxTitleRunes || !strings.HasSuffix(l2.title, "…") {
		t.Errorf("long title = %q (%d runes), want at most %d ending in …", l2.title, n, maxTitleRunes)
	}
	if w := (layout{h: testHandler}).titleStyle().Width(l2.title); w > px(Width-2*margin) {
		t.Errorf("title is %v wide, more than the image", w)
	}
}

func TestWideLabelsFitTheirColumn(t *testing.T) {
	wide := strings.Repeat("W", 100)
	l := newLayout(Chart{Bars: []Bar{{Label: wide}, {Label: strings.Repeat("🚀", 100)}}}, testHandler)
	for _, r := range l.rows {
		if w := (layout{h: testHandler}).labelStyle().Width(r.label); w > px(maxLabelPx) {
			t.Errorf("label %q is %v wide, more than %v", r.label, w, px(maxLabelPx))
		}
		if !strings.HasSuffix(r.label, "…") {
			t.Errorf("label %q not marked as shortened", r.label)
		}
	}
}

func TestVisual(t *testing.T) {
	for in, want := range map[string]string{
		"":            "",
		"abc":         "abc",
		"אבג":         "גבא",
		"a אבג b":     "a גבא b",
		"a (אבג) b":   "a (גבא) b",
		"א (ב) ג":     "ג (ב) א",
		"אבג 12.5 דה": "הד 12.5 גבא",
		"O-1 אבג 3":   "O-1 3 גבא",
		"O-1 אבג… ":   "O-1 גבא… ",
		"אב, גד; ef":  "דג ,בא; ef",
	} {
		if got := visual(in); got != want {
			t.Errorf("visual(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestProgressClampedAndNaN(t *testing.T) {
	c := Chart{Title: "clamp", Pace: 7, Bars: []Bar{
		{Label: "neg", Progress: -0.5, Status: "off track"},
		{Label: "over", Progress: 1.7, Status: "done"},
		{Label: "nan", Progress: math.NaN(), Status: "on track"},
		{Label: "+inf", Progress: math.Inf(1), Status: "on track"},
		{Label: "-inf", Progress: math.Inf(-1), Status: "at risk"},
		{Label: "tiny", Progress: 0.001, Status: "at risk"},
		{Label: "almost", Progress: 0.999, Status: "on track"},
		{Label: "no data", Progress: 0, Status: "no data"},
		{Label: "grey with value", Progress: 0.4, Status: "no data"},
	}}
	decode(t, c)
	l := newLayout(c, testHandler)
	want := []struct {
		v    float64
		text string
	}{{0, "0%"}, {1, "100%"}, {0, "no data"}, {1, "100%"}, {0, "0%"}, {0.001, "1%"}, {0.999, "99%"}, {0, "no data"}, {0.4, "40%"}}
	for i, w := range want {
		if r := l.rows[i]; r.value != w.v || strings.Split(r.text, " · ")[0] != w.text {
			t.Errorf("bar %q: value %v text %q, want %v %q", r.label, r.value, r.text, w.v, w.text)
		}
	}
	if l.pace != 1 || !slices.Contains(drawn(t, c), "pace 100%") {
		t.Errorf("pace = %v, want clamped to 1 and labelled 100%%", l.pace)
	}

	for _, pace := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), -1} {
		c := Chart{Pace: pace, Bars: manyBars(3)}
		decode(t, c)
		s := drawn(t, c)
		hasPace := slices.ContainsFunc(s, func(x string) bool { return strings.HasPrefix(x, "pace ") })
		if math.IsNaN(pace) == hasPace {
			t.Errorf("pace %v: pace label drawn = %v", pace, hasPace)
		}
	}
}

func TestStatusColours(t *testing.T) {
	for in, want := range map[string]status{
		"off track": stOffTrack, "Off Track": stOffTrack, "off_track": stOffTrack, " off-track ": stOffTrack,
		"at risk": stAtRisk, "AT_RISK": stAtRisk,
		"on track": stOnTrack, "on-track": stOnTrack,
		"done": stDone, "Done": stDone,
		"no data": stNoData, "no_data": stNoData,
		"": stOther, "blocked": stOther, "<script>": stOther,
	} {
		if got := parseStatus(in); got != want {
			t.Errorf("parseStatus(%q) = %d, want %d", in, got, want)
		}
	}
	for st := stOffTrack; st < stOther; st++ {
		img := decode(t, Chart{Bars: []Bar{{Label: "x", Progress: 0.5, Status: statusNames[st]}}})
		if n := countColor(img, statusColors[st]); n < 1000 {
			t.Errorf("%s: only %d pixels in its colour", statusNames[st], n)
		}
		for other := stOffTrack; other < stNoData; other++ {
			if other != st && countColor(img, statusColors[other]) > 0 {
				t.Errorf("%s: colour of %s present", statusNames[st], statusNames[other])
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	c := exampleChart()
	want, err := testRenderer.Render(c)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			got, err := testRenderer.Render(c)
			if err != nil {
				errs <- err
				return
			}
			if !bytes.Equal(got, want) {
				errs <- fmt.Errorf("concurrent render differs: %d bytes vs %d", len(got), len(want))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestGolden compares the charts with their golden images in testdata/
// pixel by pixel. Run `go test ./conversations/chart/ -run TestGolden
// -update` after an intended visual change and look at the new files.
func TestGolden(t *testing.T) {
	for name, c := range map[string]Chart{
		"example.png": exampleChart(),
		"digest.png":  scriptsChart(),
	} {
		got, err := testRenderer.Render(c)
		if err != nil {
			t.Fatal(err)
		}
		goldenPNG(t, name, got)
	}
	got, err := testRenderer.RenderTrend(exampleTrend())
	if err != nil {
		t.Fatal(err)
	}
	goldenPNG(t, "trend.png", got)
}

// scriptsChart is a team's digest chart with Latin, Cyrillic, CJK and emoji
// titles, each objective with its own pace and last week's value, and the
// team's trend below.
func scriptsChart() Chart {
	tr := exampleTrend()
	return Chart{
		Title: "#growth OKRs · 2026-Q4 · week 48 · 🚀",
		Pace:  0.6,
		Bars: []Bar{
			{Label: "O-21 Сократить отток клиентов", Progress: 0.22, Status: "off track", Previous: 0.25, HasPrevious: true, Expected: 0.6, HasExpected: true},
			{Label: "O-22 增长欧洲市场", Progress: 0.75, Status: "at risk", Previous: 0.7, HasPrevious: true, Expected: 0.81, HasExpected: true},
			{Label: "O-23 Grow the European market", Progress: 0.7, Status: "on track", Previous: 0.55, HasPrevious: true, Expected: 0.6, HasExpected: true},
			{Label: "O-24 日本市場に参入する 🇯🇵", Progress: 0.41, Status: "on track", Previous: 0.3, HasPrevious: true, Expected: 0.35, HasExpected: true},
			{Label: "O-25 Ship the app 🚀📱", Progress: 1, Status: "done", Previous: 0.9, HasPrevious: true, Expected: 0.6, HasExpected: true},
			{Label: "O-26 한국 파트너 확보", Progress: 0, Status: "no data", HasPrevious: true, Expected: 0.12, HasExpected: true},
		},
		Trend: &tr,
	}
}

// exampleTrend is a quarter's burn-up eight weeks in.
func exampleTrend() Trend {
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := Trend{Title: "Progress over 2026-Q4 against the expected line · Рост · 增长 · 📈", Start: start, End: end}
	actual := []float64{0, 0.03, 0.08, 0.12, 0.2, 0.24, 0.31, 0.33, 0.4}
	for i, a := range actual {
		at := start.AddDate(0, 0, 1+7*i)
		if i == 0 {
			at = start
		}
		tr.Points = append(tr.Points, TrendPoint{At: at, Actual: a, Expected: at.Sub(start).Hours() / end.Sub(start).Hours()})
	}
	tr.Points = append(tr.Points, TrendPoint{At: end, Actual: math.NaN(), Expected: 1})
	return tr
}

// TestNoTofu checks that every character of Latin, Cyrillic, CJK and emoji
// titles has a glyph in the bundled fonts (the fallback chain without the
// machine's fonts), and that labels keep them.
func TestNoTofu(t *testing.T) {
	sty := (layout{h: testHandler}).labelStyle()
	for _, s := range []string{
		"Grow the European market, café naïve",
		"Сократить отток клиентов до 2 %",
		"增长欧洲市场 日本市場に参入する 한국 파트너 확보",
		"🚀📱🎉✅📈👍🏽🇯🇵",
	} {
		for _, r := range s {
			if !testHandler.covers(sty.Font, r) {
				t.Errorf("%q: no font draws %q (U+%04X)", s, r, r)
			}
		}
		if got := prepare(s, 200, sty, px(4000)); strings.ContainsRune(got, missingGlyph) {
			t.Errorf("%q drawn as %q", s, got)
		}
	}
	// Runs: each part of a mixed label goes to a font that has it.
	runs := testHandler.runs("O-1 Рост 增长 🚀", sty.Font)
	if len(runs) < 3 {
		t.Errorf("mixed label in %d runs", len(runs))
	}
}

// goldenPNG compares got with testdata/name, or rewrites it with -update.
func goldenPNG(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return
	}
	if runtime.GOARCH != "amd64" {
		// The rasteriser's float arithmetic may be fused (FMA) on other
		// architectures, which moves anti-aliased edge pixels slightly.
		t.Skipf("golden image was made on amd64; GOARCH=%s", runtime.GOARCH)
	}
	wantB, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if bytes.Equal(got, wantB) {
		return
	}
	// Different bytes may still be the same picture (for example after a
	// change in the PNG encoder); compare pixels.
	gi, _ := png.Decode(bytes.NewReader(got))
	wi, err := png.Decode(bytes.NewReader(wantB))
	if err != nil {
		t.Fatalf("golden file: %v", err)
	}
	if gi.Bounds() != wi.Bounds() {
		t.Fatalf("%s: size %v, golden %v", name, gi.Bounds(), wi.Bounds())
	}
	diff := 0
	for y := gi.Bounds().Min.Y; y < gi.Bounds().Max.Y; y++ {
		for x := gi.Bounds().Min.X; x < gi.Bounds().Max.X; x++ {
			if gi.At(x, y) != wi.At(x, y) {
				diff++
			}
		}
	}
	if diff > 0 {
		out := filepath.Join(t.TempDir(), name)
		_ = os.WriteFile(out, got, 0o644)
		t.Errorf("%d pixels differ from %s; got image written to %s (rerun with -update if intended)", diff, path, out)
	}
}

func FuzzRender(f *testing.F) {
	f.Add("O-12 Grow the European market", "2026-Q4 · week 48", 0.62, 0.48, "on track", 3)
	f.Add("🚀👩‍👩‍👧‍👦 עברית مرحبا 增长", "\u202E", math.NaN(), math.Inf(1), "at risk", 0)
	f.Add(strings.Repeat("x", 500), "", -1.0, 2.0, "", 25)
	f.Add("\xff\x00\n", "\t", 1e308, -1e308, "done", 1)
	f.Fuzz(func(t *testing.T, label, title string, progress, pace float64, status string, n int) {
		n = max(0, min(n, MaxBars+3))
		bars := make([]Bar, n)
		for i := range bars {
			bars[i] = Bar{Label: label, Progress: progress, Status: status}
		}
		b, err := testRenderer.Render(Chart{Title: title, Pace: pace, Bars: bars})
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Width != Width || cfg.Height < MinHeight || cfg.Height > MaxHeight {
			t.Fatalf("size %dx%d", cfg.Width, cfg.Height)
		}
	})
}

func BenchmarkRender(b *testing.B) {
	c := Chart{Title: "2026-Q4 · week 48", Pace: 0.48, Bars: manyBars(MaxBars)}
	b.ReportAllocs()
	var size int
	for b.Loop() {
		out, err := testRenderer.Render(c)
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.ReportMetric(float64(size), "png-bytes")
}
