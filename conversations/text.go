package conversations

import (
	"strings"
)

// PlainText renders a message as readable plain text: the console's output,
// and the fallback of platforms that show text in notifications.
func PlainText(m *Message) string {
	if m == nil {
		return ""
	}
	var b strings.Builder
	if m.Title != "" {
		b.WriteString(m.Title + "\n")
		b.WriteString(strings.Repeat("─", min(60, len([]rune(m.Title)))) + "\n")
	}
	for i, s := range m.Sections {
		if i > 0 && (len(s.Heading) > 0 || len(m.Sections[i-1].Heading) > 0) {
			b.WriteString("\n")
		}
		if len(s.Heading) > 0 {
			b.WriteString(TextLine(s.Heading) + "\n")
		}
		for _, l := range s.Lines {
			b.WriteString(TextLine(l) + "\n")
		}
		for _, f := range s.Fields {
			b.WriteString(f.Label + ": " + TextLine(f.Value) + "\n")
		}
		for _, btn := range s.Buttons {
			b.WriteString("[" + btn.Label + "]")
			if btn.Command != "" {
				b.WriteString(" → " + btn.Command)
			}
			b.WriteString("\n")
		}
		if len(s.Note) > 0 {
			b.WriteString("  " + TextLine(s.Note) + "\n")
		}
	}
	return b.String()
}

// TextLine renders one line of spans as plain text.
func TextLine(t Text) string {
	var b strings.Builder
	for _, s := range t {
		switch {
		case s.Bar != nil:
			b.WriteString(PaceBar(*s.Bar, 10))
		case s.User != "":
			b.WriteString("@" + s.Text)
		case s.Channel != "":
			b.WriteString("#" + s.Text)
		default:
			b.WriteString(s.Text)
		}
	}
	return b.String()
}

// PaceBar draws a progress bar of width cells with the pace marked "┃"
// (when the bar has a pace): "▓▓▓▓┃░░░░░".
func PaceBar(bar Bar, width int) string {
	cells := []rune(BarString(bar.Value, width))
	if bar.Pace >= 0 {
		i := int(bar.Pace*float64(width) + 0.5)
		if i >= width {
			i = width - 1
		}
		cells[i] = '┃'
	}
	return string(cells)
}
