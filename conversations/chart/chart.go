// Package chart renders the weekly digest's chart image: one horizontal bar
// per objective showing its progress against its expected pace, with last
// week's value marked, and below it the cycle's trend against the expected
// line (a burn-up).
//
// Rendering uses gonum.org/v1/plot with its bundled Liberation Sans font,
// fallback fonts for what Liberation cannot draw (see fallback.go) and the
// pure-Go raster backend. With the bundled fonts only (NewRenderer(false)) the
// output depends only on the input and the module versions: the same Chart
// always encodes to the same PNG bytes.
package chart

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"strings"
	"sync"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/font/liberation"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// MaxBars is the largest number of bars drawn; objectives past it are
// summarised by a note such as "and 12 more objectives not shown".
const MaxBars = 20

// MaxLabelRunes is the longest bar label, in runes, drawn before the label
// is shortened with a trailing "…".
const MaxLabelRunes = 40

// Image geometry in pixels. The PNG is always Width pixels wide; its height
// grows with the number of bars and stays between MinHeight and MaxHeight.
const (
	// Width is the width of every rendered image in pixels.
	Width = 1000
	// MinHeight is the height in pixels of a chart with few or no bars.
	MinHeight = 300
	// MaxHeight is the largest height in pixels a chart can have.
	MaxHeight = 1200
)

// Bar is one objective on the chart.
type Bar struct {
	// Label names the objective, for example "O-12 Grow the European market".
	// It is user text and is drawn literally; control and invisible
	// formatting characters are removed and long labels are shortened.
	Label string
	// Progress is the objective's progress as a fraction from 0 to 1.
	// Values outside that range are clamped; NaN is drawn as "no data".
	Progress float64
	// Status colours the bar: "off track" (red), "at risk" (amber),
	// "on track" (green), "done" (blue) or "no data" (grey), and is
	// written beside its value, so colour and text always agree. Matching
	// ignores case, surrounding space and "_"/"-" in place of spaces; any
	// other value is drawn grey.
	Status string
	// Previous is last week's progress, marked with a small circle when
	// HasPrevious.
	Previous    float64
	HasPrevious bool
	// Expected is this objective's own pace, marked with a dark tick
	// across its row when HasExpected (key results added mid-cycle have a
	// pace of their own); without it the chart's pace line applies.
	Expected    float64
	HasExpected bool
}

// Chart is what the digest draws: one horizontal bar per objective against
// the pace line.
type Chart struct {
	// Title is drawn at the top left, for example "2026-Q4 · week 48".
	Title string
	// Pace is the expected progress now (the fraction of the cycle
	// elapsed), from 0 to 1. It is drawn as a vertical dashed line labelled
	// "pace 48%". Values outside 0..1 are clamped; NaN hides the line.
	Pace float64
	// Bars are the objectives, drawn top to bottom in the given order.
	// Only the first MaxBars are drawn.
	Bars []Bar
	// Trend, when set, is drawn below the bars.
	Trend *Trend
}

// Renderer draws charts with one chain of fonts.
type Renderer struct {
	h handler
}

// NewRenderer returns a Renderer. With systemFonts, the machine's own
// fallback fonts come before the bundled ones; without, the output depends
// on nothing but the input (the golden tests use that).
func NewRenderer(systemFonts bool) *Renderer {
	return &Renderer{h: newHandler(fonts, systemFonts)}
}

var (
	defaultOnce     sync.Once
	defaultRenderer *Renderer
)

// Render draws c with the machine's fonts where they help, else the
// bundled ones. See Renderer.Render.
func Render(c Chart) ([]byte, error) {
	defaultOnce.Do(func() { defaultRenderer = NewRenderer(true) })
	return defaultRenderer.Render(c)
}

// Render draws c as a PNG. It never fails on content: more than MaxBars bars
// are cut to the first MaxBars with a note "and N more" in the image; long
// labels are shortened with "…"; zero bars draws an empty chart with a
// "no objectives yet" note. Render is safe for concurrent use, and the same
// Chart always yields the same bytes.
func (rd *Renderer) Render(c Chart) (out []byte, err error) {
	defer func() {
		// gonum/plot reports some internal failures by panicking; a chart
		// must never take the bot down, so turn them into an error.
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("chart: render failed: %v", r)
		}
	}()

	l := newLayout(c, rd.h)
	height := l.height
	var tl *trendLayout
	if c.Trend != nil {
		tl = newTrendLayout(*c.Trend, rd.h)
		height += tl.height
	}
	cv := vgimg.NewWith(
		vgimg.UseWH(px(Width), px(height)),
		vgimg.UseDPI(dpi),
		vgimg.UseBackgroundColor(color.White),
	)
	dc := draw.New(cv)
	if tl != nil {
		if err := tl.draw(draw.Crop(dc, 0, 0, 0, -px(l.height))); err != nil {
			return nil, err
		}
		dc = draw.Crop(dc, 0, 0, px(tl.height), 0)
	}
	if err := l.draw(dc); err != nil {
		return nil, err
	}

	var buf bytes.Buffer
	buf.Grow(64 << 10)
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if err := enc.Encode(&buf, cv.Image()); err != nil {
		return nil, fmt.Errorf("chart: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// dpi is the raster resolution; at 96 dpi one pixel is 0.75 points.
const dpi = 96

// px converts pixels to a vg.Length at dpi.
func px(n float64) vg.Length { return vg.Length(n) * vg.Inch / dpi }

// Geometry of the layout, in pixels.
const (
	margin     = 16.0 // outer margin on every side
	headerH    = 62.0 // title and legend, below the top margin
	footerH    = 24.0 // "and N more" note, above the bottom margin
	axisH      = 34.0 // x axis tick labels
	rowH       = 36.0 // one bar row at the natural height
	paceBand   = 0.9  // rows above the first bar reserved for the pace label
	barFrac    = 0.62 // bar thickness as a fraction of the row height
	maxBarPx   = 24.0 // bar thickness cap when few bars stretch the rows
	maxLabelPx = 360.0
)

// maxTitleRunes is the longest title, in runes, before it is shortened.
const maxTitleRunes = 120

// noData is the value label of a bar without a usable progress value.
const noData = "no data"

// Status categories, in legend order.
type status int

const (
	stOffTrack status = iota
	stAtRisk
	stOnTrack
	stDone
	stNoData
	stOther
	numStatus
)

var statusNames = [numStatus]string{"off track", "at risk", "on track", "done", "no data", ""}

var statusColors = [numStatus]color.RGBA{
	stOffTrack: {R: 0xD6, G: 0x45, B: 0x45, A: 0xFF},
	stAtRisk:   {R: 0xF0, G: 0xA2, B: 0x2E, A: 0xFF},
	stOnTrack:  {R: 0x2E, G: 0x9E, B: 0x5B, A: 0xFF},
	stDone:     {R: 0x3B, G: 0x7D, B: 0xD8, A: 0xFF},
	stNoData:   {R: 0xA0, G: 0xA8, B: 0xB3, A: 0xFF},
	stOther:    {R: 0xA0, G: 0xA8, B: 0xB3, A: 0xFF},
}

var (
	colText   = color.RGBA{R: 0x22, G: 0x26, B: 0x2E, A: 0xFF}
	colMuted  = color.RGBA{R: 0x5F, G: 0x67, B: 0x73, A: 0xFF}
	colTrack  = color.RGBA{R: 0xEC, G: 0xEF, B: 0xF3, A: 0xFF}
	colGrid   = color.RGBA{R: 0xD5, G: 0xDA, B: 0xE0, A: 0xFF}
	colAxis   = color.RGBA{R: 0x9A, G: 0xA1, B: 0xAB, A: 0xFF}
	colPace   = color.RGBA{R: 0x3D, G: 0x44, B: 0x51, A: 0xFF}
	colorNote = colMuted
)

func parseStatus(s string) status {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer("_", " ", "-", " ").Replace(s)
	for i, name := range statusNames[:stOther] {
		if s == name {
			return status(i)
		}
	}
	return stOther
}

// fonts is a private cache so that changes to gonum/plot's global defaults
// elsewhere in the process cannot change the rendering.
var fonts = font.NewCache(liberation.Collection())

func (l layout) style(size float64, bold, italic bool, c color.Color) text.Style {
	return styleWith(l.h, size, bold, italic, c)
}

func styleWith(h handler, size float64, bold, italic bool, c color.Color) text.Style {
	f := font.Font{Typeface: "Liberation", Variant: "Sans", Size: vg.Points(size)}
	if bold {
		f.Weight = xfont.WeightBold
	}
	if italic {
		f.Style = xfont.StyleItalic
	}
	return text.Style{Color: c, Font: f, Handler: h, XAlign: draw.XLeft, YAlign: draw.YBottom}
}

// row is one drawn bar.
type row struct {
	label    string  // cleaned, shortened label
	value    float64 // clamped progress, 0..1
	prev     float64 // last week's, 0..1; NaN when none
	expected float64 // its own pace, 0..1; NaN when none
	text     string  // value label right of the bar and its marks
	st       status
}

// layout is everything Render draws, computed from a Chart.
type layout struct {
	h       handler
	title   string
	pace    float64 // clamped; NaN when the line is hidden
	rows    []row
	more    int // bars beyond MaxBars
	present [numStatus]bool
	perRow  bool    // rows carry their own pace: ticks instead of one line
	hasPrev bool    // some row marks last week's value
	height  float64 // image height in pixels
}

func newLayout(c Chart, fh handler) layout {
	l := layout{h: fh, pace: math.NaN()}
	if !math.IsNaN(c.Pace) {
		l.pace = clamp01(c.Pace)
	}
	l.title = prepare(c.Title, maxTitleRunes, l.titleStyle(), px(Width-2*margin))

	bars := c.Bars
	if len(bars) > MaxBars {
		l.more = len(bars) - MaxBars
		bars = bars[:MaxBars]
	}
	labelSty := l.labelStyle()
	l.rows = make([]row, len(bars))
	for i, b := range bars {
		r := row{st: parseStatus(b.Status)}
		r.label = prepare(b.Label, MaxLabelRunes, labelSty, px(maxLabelPx))
		if r.label == "" {
			r.label = "(untitled)"
		}
		r.value = clamp01(b.Progress)
		r.prev, r.expected = math.NaN(), math.NaN()
		if b.HasPrevious && !math.IsNaN(b.Previous) {
			r.prev = clamp01(b.Previous)
		}
		if b.HasExpected && !math.IsNaN(b.Expected) {
			r.expected = clamp01(b.Expected)
			l.perRow = true
		}
		r.text = percent(r.value)
		if name := statusNames[r.st]; name != "" && r.st != stNoData {
			r.text += " · " + name
		}
		if math.IsNaN(b.Progress) || r.st == stNoData && r.value == 0 {
			r.text = noData
		}
		l.present[r.st] = true
		l.hasPrev = l.hasPrev || !math.IsNaN(r.prev)
		l.rows[i] = r
	}

	n := float64(len(l.rows))
	if n == 0 {
		n = 1 // room for the "no objectives yet" note
	}
	h := 2*margin + headerH + footerH + axisH + (n+paceBand)*rowH
	l.height = math.Round(math.Min(math.Max(h, MinHeight), MaxHeight))
	return l
}

func (l layout) titleStyle() text.Style {
	s := l.style(15, true, false, colText)
	s.YAlign = draw.YTop
	return s
}

func (l layout) labelStyle() text.Style {
	s := l.style(11, false, false, colText)
	s.XAlign, s.YAlign = draw.XRight, draw.YCenter
	return s
}

// draw renders the layout onto c, which is Width by l.height pixels.
func (l layout) draw(c draw.Canvas) error {
	inner := draw.Crop(c, px(margin), -px(margin), px(margin), -px(margin))
	l.drawHeader(inner)
	if l.more > 0 {
		note := l.style(10, false, true, colorNote)
		note.YAlign = draw.YBottom
		msg := fmt.Sprintf("and %d more objective%s not shown", l.more, plural(l.more))
		inner.FillText(note, inner.Min, msg)
	}

	p, err := l.plot()
	if err != nil {
		return err
	}
	p.Draw(draw.Crop(inner, 0, 0, px(footerH), -px(headerH)))
	return nil
}

func (l layout) drawHeader(c draw.Canvas) {
	if l.title != "" {
		c.FillText(l.titleStyle(), vg.Point{X: c.Min.X, Y: c.Max.Y}, l.title)
	}

	// Legend: a swatch and name for each status present, in fixed order.
	lg := l.style(10, false, false, colMuted)
	lg.YAlign = draw.YCenter
	y := c.Max.Y - px(40)
	x := c.Min.X
	sw := px(11)
	for st := stOffTrack; st < stOther; st++ {
		if !l.present[st] {
			continue
		}
		c.FillPolygon(statusColors[st], []vg.Point{
			{X: x, Y: y - sw/2}, {X: x + sw, Y: y - sw/2},
			{X: x + sw, Y: y + sw/2}, {X: x, Y: y + sw/2},
		})
		x += sw + px(5)
		c.FillText(lg, vg.Point{X: x, Y: y}, statusNames[st])
		x += lg.Width(statusNames[st]) + px(16)
	}
	if l.perRow && len(l.rows) > 0 {
		x += px(8)
		c.StrokeLine2(draw.LineStyle{Color: colPace, Width: px(3)}, x, y-sw*0.7, x, y+sw*0.7)
		x += px(8)
		c.FillText(lg, vg.Point{X: x, Y: y}, "expected by now")
		x += lg.Width("expected by now") + px(16)
	}
	if l.hasPrev {
		drawPrev(c, vg.Point{X: x + sw/2, Y: y})
		x += sw + px(5)
		c.FillText(lg, vg.Point{X: x, Y: y}, "last week")
	}
}

// drawPrev marks last week's value: a white dot ringed in dark grey.
func drawPrev(c draw.Canvas, pt vg.Point) {
	r := px(4.5)
	var path vg.Path
	path.Move(vg.Point{X: pt.X + r, Y: pt.Y})
	path.Arc(pt, r, 0, 2*math.Pi)
	path.Close()
	c.SetColor(color.White)
	c.Fill(path)
	c.SetLineStyle(draw.LineStyle{Color: colPace, Width: px(1.6)})
	c.Stroke(path)
}

// marks draws each row's pace tick and last week's dot over the bars.
type marks struct {
	rows []row
	y    func(int) float64
}

// Plot implements plot.Plotter.
func (m *marks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	half := (trY(1) - trY(0)) * barFrac / 2
	if half > px(maxBarPx)/2 {
		half = px(maxBarPx) / 2
	}
	for i, r := range m.rows {
		y := trY(m.y(i))
		if !math.IsNaN(r.expected) {
			x := trX(r.expected * 100)
			c.StrokeLine2(draw.LineStyle{Color: colPace, Width: px(3)}, x, y-half-px(3), x, y+half+px(3))
		}
		if !math.IsNaN(r.prev) {
			drawPrev(c, vg.Point{X: trX(r.prev * 100), Y: y})
		}
	}
}

// plot builds the gonum plot on a 0–100 % x axis. Drawing order: grey
// tracks, grid, coloured bars, pace line, value labels, pace label, note.
func (l layout) plot() (*plot.Plot, error) {
	p := plot.New()
	p.TextHandler = l.h
	p.BackgroundColor = nil // the canvas is already white
	p.Legend.TextStyle.Handler = l.h

	n := len(l.rows)
	// Row i is drawn at y = n-1-i so the first bar is at the top; an empty
	// chart keeps one row for its note.
	yOf := func(i int) float64 { return float64(n - 1 - i) }
	top := float64(max(n, 1)) - 0.5 + paceBand

	// Axes.
	p.X.LineStyle = draw.LineStyle{Color: colAxis, Width: px(1)}
	p.X.Tick.LineStyle = draw.LineStyle{Color: colAxis, Width: px(1)}
	p.X.Tick.Length = px(5)
	p.X.Tick.Label = l.style(10, false, false, colMuted)
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XCenter, draw.YTop
	p.X.Label.TextStyle = l.style(10, false, false, colMuted)
	p.X.Tick.Marker = plot.ConstantTicks{
		{Value: 0, Label: "0%"}, {Value: 25, Label: "25%"}, {Value: 50, Label: "50%"},
		{Value: 75, Label: "75%"}, {Value: 100, Label: "100%"},
	}

	p.Y.LineStyle.Width = 0
	p.Y.Tick.Width = 0
	p.Y.Tick.Length = 0
	p.Y.Padding = px(8)
	p.Y.Tick.Label = l.labelStyle()
	p.Y.Label.TextStyle = l.style(10, false, false, colMuted)
	ticks := make(plot.ConstantTicks, n)
	for i, r := range l.rows {
		ticks[i] = plot.Tick{Value: yOf(i), Label: r.label}
	}
	p.Y.Tick.Marker = ticks

	// Grey 0–100 % tracks behind the bars, then the grid over them.
	if n > 0 {
		track := make(plotter.Values, n)
		for i := range track {
			track[i] = 100
		}
		tb, err := plotter.NewBarChart(track, 1)
		if err != nil {
			return nil, err
		}
		tb.Horizontal = true
		tb.Color = colTrack
		tb.LineStyle.Width = 0
		p.Add(rowBars{tb})
	}
	p.Add(&plotter.Grid{Vertical: draw.LineStyle{Color: colGrid, Width: px(1)}})

	// One single-bar chart per objective so each gets its status colour.
	for i, r := range l.rows {
		b, err := plotter.NewBarChart(plotter.Values{r.value * 100}, 1)
		if err != nil {
			return nil, err
		}
		b.Horizontal = true
		b.XMin = yOf(i)
		b.Color = statusColors[r.st]
		b.LineStyle.Width = 0
		p.Add(rowBars{b})
	}

	// The pace: one dashed line for the cycle, or, when objectives carry
	// their own (key results added mid-cycle), a dark tick across each row.
	if !math.IsNaN(l.pace) && !l.perRow {
		x := l.pace * 100
		line, err := plotter.NewLine(plotter.XYs{{X: x, Y: -0.5}, {X: x, Y: top}})
		if err != nil {
			return nil, err
		}
		line.LineStyle = draw.LineStyle{
			Color:  colPace,
			Width:  px(2),
			Dashes: []vg.Length{px(7), px(5)},
		}
		p.Add(line)
	}
	if n > 0 {
		p.Add(&marks{rows: l.rows, y: yOf})
	}

	// Value labels right of the bar and of its marks, so nothing overlaps
	// them; nudged up a pixel because digits have no descenders.
	if n > 0 {
		xy := plotter.XYLabels{XYs: make(plotter.XYs, n), Labels: make([]string, n)}
		for i, r := range l.rows {
			x := r.value
			if l.perRow && !math.IsNaN(r.expected) {
				x = math.Max(x, r.expected)
			}
			if !l.perRow && !math.IsNaN(l.pace) {
				x = math.Max(x, l.pace) // right of the pace line, never across it
			}
			if !math.IsNaN(r.prev) {
				x = math.Max(x, r.prev)
			}
			xy.XYs[i] = plotter.XY{X: x * 100, Y: yOf(i)}
			xy.Labels[i] = r.text
		}
		vl, err := plotter.NewLabels(xy)
		if err != nil {
			return nil, err
		}
		for i, r := range l.rows {
			s := l.valueStyle()
			if r.text == noData {
				s = l.style(10.5, false, true, colMuted)
				s.XAlign, s.YAlign = draw.XLeft, draw.YCenter
			}
			vl.TextStyle[i] = s
		}
		vl.Offset = vg.Point{X: px(9), Y: px(1)}
		p.Add(vl)
	}

	// The pace label sits in the band above the first bar, right of the
	// line, or left of it when the line is near 100 %.
	if !math.IsNaN(l.pace) {
		s := l.style(10.5, true, false, colPace)
		s.XAlign, s.YAlign = draw.XLeft, draw.YCenter
		off := px(6)
		if l.pace > 0.85 {
			s.XAlign, off = draw.XRight, -off
		}
		label := "pace " + percent(l.pace)
		if l.perRow {
			label = "cycle " + percent(l.pace) + " elapsed"
		}
		p.Add(&note{text: label, sty: s, x: l.pace * 100, y: top - paceBand/2, offset: off})
	}

	if n == 0 {
		s := l.style(13, false, true, colMuted)
		s.XAlign, s.YAlign = draw.XCenter, draw.YCenter
		p.Add(&note{text: "no objectives yet", sty: s, x: 50, y: 0, boxed: true})
	}

	// Reserve room right of 100 % for the widest value label so the data
	// area does not depend on which bars happen to be full.
	p.Add(reserve{width: px(9) + l.valueStyle().Width("100% · off track") + px(4)})

	// Fix the ranges last: Add widens them to fit the data.
	p.X.Min, p.X.Max = 0, 100
	p.Y.Min, p.Y.Max = -0.5, top
	return p, nil
}

func (l layout) valueStyle() text.Style {
	s := l.style(10.5, true, false, colText)
	s.XAlign, s.YAlign = draw.XLeft, draw.YCenter
	return s
}

// note is a single text at a data position, optionally on a white box so
// that it stays readable over the pace line.
type note struct {
	text   string
	sty    text.Style
	x, y   float64
	offset vg.Length // added to the x position
	boxed  bool
}

// Plot implements plot.Plotter.
func (n *note) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	pt := vg.Point{X: trX(n.x) + n.offset, Y: trY(n.y)}
	if n.boxed {
		r := n.sty.Rectangle(n.text).Add(pt)
		pad := px(6)
		c.FillPolygon(color.White, []vg.Point{
			{X: r.Min.X - pad, Y: r.Min.Y - pad}, {X: r.Max.X + pad, Y: r.Min.Y - pad},
			{X: r.Max.X + pad, Y: r.Max.Y + pad}, {X: r.Min.X - pad, Y: r.Max.Y + pad},
		})
	}
	c.FillText(n.sty, pt, n.text)
}

// rowBars draws a horizontal BarChart whose bar thickness follows the row
// height, which is only known once the plot is laid out on a canvas.
type rowBars struct{ *plotter.BarChart }

// Plot implements plot.Plotter.
func (b rowBars) Plot(c draw.Canvas, p *plot.Plot) {
	_, trY := p.Transforms(&c)
	w := (trY(1) - trY(0)) * barFrac
	if w > px(maxBarPx) {
		w = px(maxBarPx)
	}
	if w <= 0 {
		return
	}
	b.Width = w
	b.BarChart.Plot(c, p)
}

// GlyphBoxes implements plot.GlyphBoxer. The bars stay inside their rows,
// so they need no padding.
func (b rowBars) GlyphBoxes(*plot.Plot) []plot.GlyphBox { return nil }

// reserve draws nothing; its glyph box keeps a fixed gap right of 100 %.
type reserve struct{ width vg.Length }

// Plot implements plot.Plotter.
func (reserve) Plot(draw.Canvas, *plot.Plot) {}

// GlyphBoxes implements plot.GlyphBoxer.
func (r reserve) GlyphBoxes(*plot.Plot) []plot.GlyphBox {
	return []plot.GlyphBox{{X: 1, Y: 0, Rectangle: vg.Rectangle{Max: vg.Point{X: r.width, Y: 1}}}}
}

func clamp01(v float64) float64 {
	switch {
	case math.IsNaN(v) || v < 0:
		return 0
	case v > 1:
		return 1
	}
	return v
}

// percent formats a 0..1 fraction as a whole percentage, never showing a
// value that is not complete as "100%" or one that has started as "0%".
func percent(v float64) string {
	n := int(math.Round(v * 100))
	if n >= 100 && v < 1 {
		n = 99
	}
	if n <= 0 && v > 0 {
		n = 1
	}
	return fmt.Sprintf("%d%%", n)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
