package chart

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Trend is a burn-up: progress over a cycle's weeks against the expected
// line, for one objective or a team's objectives together.
type Trend struct {
	// Title is drawn above the panel, for example "Progress over 2026-Q4
	// against the expected line".
	Title string
	// Start and End bound the cycle; the x axis runs between them.
	Start, End time.Time
	// Points are in time order. Actual is NaN where there is nothing to
	// draw (the weeks to come); Expected is the pace at that moment.
	Points []TrendPoint
}

// TrendPoint is one moment of a Trend.
type TrendPoint struct {
	At       time.Time
	Actual   float64
	Expected float64
}

// trendH is the trend panel's height in pixels.
const trendH = 330.0

var colActual = color.RGBA{R: 0x3B, G: 0x7D, B: 0xD8, A: 0xFF}

type trendLayout struct {
	t      Trend
	h      handler
	title  string
	height float64
}

func newTrendLayout(t Trend, h handler) *trendLayout {
	tl := &trendLayout{t: t, h: h, height: trendH}
	tl.title = prepare(t.Title, maxTitleRunes, tl.titleStyle(), px(Width-2*margin))
	return tl
}

func (tl *trendLayout) style(size float64, bold, italic bool, c color.Color) draw.TextStyle {
	return styleWith(tl.h, size, bold, italic, c)
}

func (tl *trendLayout) titleStyle() draw.TextStyle {
	s := tl.style(13, true, false, colText)
	s.YAlign = draw.YTop
	return s
}

// RenderTrend draws a trend on its own, Width by trendH pixels.
func (rd *Renderer) RenderTrend(t Trend) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("chart: render failed: %v", r)
		}
	}()
	tl := newTrendLayout(t, rd.h)
	cv := vgimg.NewWith(vgimg.UseWH(px(Width), px(tl.height)), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	if err := tl.draw(draw.New(cv)); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, cv.Image()); err != nil {
		return nil, fmt.Errorf("chart: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

func (tl *trendLayout) draw(c draw.Canvas) error {
	inner := draw.Crop(c, px(margin), -px(margin), px(margin), -px(margin))
	if tl.title != "" {
		inner.FillText(tl.titleStyle(), vg.Point{X: inner.Min.X, Y: inner.Max.Y}, tl.title)
	}
	// Legend: the actual line and the expected one.
	lg := tl.style(10, false, false, colMuted)
	lg.YAlign = draw.YCenter
	y := inner.Max.Y - px(32)
	x := inner.Min.X
	inner.StrokeLine2(draw.LineStyle{Color: colActual, Width: px(3)}, x, y, x+px(22), y)
	x += px(28)
	inner.FillText(lg, vg.Point{X: x, Y: y}, "progress")
	x += lg.Width("progress") + px(18)
	inner.StrokeLine2(draw.LineStyle{Color: colPace, Width: px(2), Dashes: []vg.Length{px(7), px(5)}}, x, y, x+px(22), y)
	x += px(28)
	inner.FillText(lg, vg.Point{X: x, Y: y}, "expected")

	p, err := tl.plot()
	if err != nil {
		return err
	}
	p.Draw(draw.Crop(inner, 0, 0, 0, -px(48)))
	return nil
}

func (tl *trendLayout) plot() (*plot.Plot, error) {
	t := tl.t
	days := func(at time.Time) float64 { return at.Sub(t.Start).Hours() / 24 }
	span := math.Max(1, days(t.End))

	p := plot.New()
	p.TextHandler = tl.h
	p.BackgroundColor = nil
	p.X.LineStyle = draw.LineStyle{Color: colAxis, Width: px(1)}
	p.X.Tick.LineStyle = draw.LineStyle{Color: colAxis, Width: px(1)}
	p.X.Tick.Length = px(5)
	p.X.Tick.Label = tl.style(10, false, false, colMuted)
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XCenter, draw.YTop
	p.Y.LineStyle.Width = 0
	p.Y.Tick.Length = 0
	p.Y.Tick.Label = tl.style(10, false, false, colMuted)
	p.Y.Tick.Label.XAlign, p.Y.Tick.Label.YAlign = draw.XRight, draw.YCenter
	p.Y.Padding = px(6)
	p.Y.Tick.Marker = plot.ConstantTicks{{Value: 0, Label: "0%"}, {Value: 25, Label: "25%"}, {Value: 50, Label: "50%"}, {Value: 75, Label: "75%"}, {Value: 100, Label: "100%"}}

	// Month starts label the x axis; every week gets a faint grid line.
	var ticks plot.ConstantTicks
	if !t.Start.IsZero() {
		for m := time.Date(t.Start.Year(), t.Start.Month(), 1, 0, 0, 0, 0, t.Start.Location()); !m.After(t.End); m = m.AddDate(0, 1, 0) {
			if !m.Before(t.Start) {
				ticks = append(ticks, plot.Tick{Value: days(m), Label: m.Format("2 Jan")})
			}
		}
		for d := 7.0; d < span; d += 7 {
			ticks = append(ticks, plot.Tick{Value: d})
		}
	}
	p.X.Tick.Marker = ticks
	p.Add(&plotter.Grid{
		Vertical:   draw.LineStyle{Color: colTrack, Width: px(1)},
		Horizontal: draw.LineStyle{Color: colGrid, Width: px(1)},
	})

	var exp, act plotter.XYs
	for _, pt := range t.Points {
		if !math.IsNaN(pt.Expected) {
			exp = append(exp, plotter.XY{X: days(pt.At), Y: clamp01(pt.Expected) * 100})
		}
		if !math.IsNaN(pt.Actual) {
			act = append(act, plotter.XY{X: days(pt.At), Y: clamp01(pt.Actual) * 100})
		}
	}
	if len(exp) > 1 {
		l, err := plotter.NewLine(exp)
		if err != nil {
			return nil, err
		}
		l.LineStyle = draw.LineStyle{Color: colPace, Width: px(2), Dashes: []vg.Length{px(7), px(5)}}
		p.Add(l)
	}
	if len(act) > 0 {
		l, pts, err := plotter.NewLinePoints(act)
		if err != nil {
			return nil, err
		}
		l.LineStyle = draw.LineStyle{Color: colActual, Width: px(3)}
		pts.Shape = draw.CircleGlyph{}
		pts.Color = colActual
		pts.Radius = px(3.5)
		p.Add(l, pts)
		// The latest value, and the pace at that moment, beside the last point.
		last := act[len(act)-1]
		label := percent(last.Y / 100)
		for _, pt := range t.Points {
			if !math.IsNaN(pt.Actual) && days(pt.At) == last.X && !math.IsNaN(pt.Expected) {
				label += " (expected " + percent(clamp01(pt.Expected)) + ")"
			}
		}
		s := tl.style(10.5, true, false, colText)
		s.XAlign, s.YAlign = draw.XLeft, draw.YBottom
		off := px(8)
		if last.X > span*0.75 {
			s.XAlign, off = draw.XRight, -px(8)
		}
		p.Add(&note{text: label, sty: s, x: last.X, y: last.Y, offset: off, boxed: true})
	}
	p.X.Min, p.X.Max = 0, span
	p.Y.Min, p.Y.Max = 0, 105
	return p, nil
}
