package chart

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
)

// missingGlyph replaces characters that no font of the chain can draw
// (Liberation Sans, the machine's fallback fonts, the bundled Noto Emoji
// and Droid Sans Fallback), so that a label never silently turns blank.
const missingGlyph = '□'

// prepare turns user text into what is drawn for it: cleaned, cut to at
// most maxRunes and w wide in sty, with characters the font lacks replaced
// and right-to-left runs put in visual order.
func prepare(s string, maxRunes int, sty text.Style, w vg.Length) string {
	s = shorten(clean(s, maxRunes), maxRunes)
	s = substitute(s, sty)
	s = fitWidth(sty, s, w)
	return visual(s)
}

// clean makes user text safe to draw on one line: control characters become
// spaces, invisible formatting characters (zero-width joiners, bidi marks,
// variation selectors) are dropped, runs of space collapse and the ends are
// trimmed. Only the first few times max runes are looked at, so huge input
// costs nothing.
func clean(s string, max int) string {
	var b strings.Builder
	space := false
	kept := 0
	for _, r := range s {
		if kept > max+1 {
			break
		}
		switch {
		case unicode.IsControl(r) || unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
			kept++
		}
		b.WriteRune(r)
		kept++
	}
	return b.String()
}

// shorten cuts s to at most max runes, ending it with "…" when cut.
func shorten(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return strings.TrimRight(s[:i], " ") + "…"
		}
		n++
	}
	return s
}

// substitute replaces each character no font of sty's handler draws with
// missingGlyph. Emoji skin-tone modifiers, the second half of a flag and
// combining marks without a glyph are dropped rather than boxed, so one
// emoji shows as one box.
func substitute(s string, sty text.Style) string {
	h, ok := sty.Handler.(handler)
	if !ok {
		return s
	}
	var (
		b       strings.Builder
		changed bool
		flag    bool // the previous rune opened a regional-indicator pair
	)
	b.Grow(len(s))
	for _, r := range s {
		if h.covers(sty.Font, r) {
			b.WriteRune(r)
			flag = false
			continue
		}
		changed = true
		regional := r >= 0x1F1E6 && r <= 0x1F1FF
		switch {
		case r >= 0x1F3FB && r <= 0x1F3FF, unicode.In(r, unicode.Mn, unicode.Me):
			// modifier or mark: belongs to the box before it
		case regional && flag:
			flag = false
		default:
			b.WriteRune(missingGlyph)
			flag = regional
		}
	}
	if !changed {
		return s
	}
	return b.String()
}

// fitWidth shortens s with "…" until it is at most w wide in sty.
func fitWidth(sty text.Style, s string, w vg.Length) string {
	if s == "" || sty.Width(s) <= w {
		return s
	}
	rs := []rune(strings.TrimSuffix(s, "…"))
	lo, hi := 0, len(rs) // the longest prefix that fits has length in [lo, hi]
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if sty.Width(strings.TrimRight(string(rs[:mid]), " ")+"…") <= w {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return strings.TrimRight(string(rs[:lo]), " ") + "…"
}

// rtl scripts whose letters are strong right-to-left characters.
var rtl = []*unicode.RangeTable{
	unicode.Hebrew, unicode.Arabic, unicode.Syriac, unicode.Thaana,
	unicode.Nko, unicode.Samaritan, unicode.Mandaic, unicode.Adlam,
}

func isRTL(r rune) bool    { return unicode.In(r, rtl...) && !unicode.IsDigit(r) }
func isLTR(r rune) bool    { return (unicode.IsLetter(r) || r == missingGlyph) && !isRTL(r) }
func isNum(r rune) bool    { return unicode.IsDigit(r) }
func isNumSep(r rune) bool { return r == '.' || r == ',' || r == ':' || r == '/' }

// visual puts s into left-to-right display order, as the Unicode
// bidirectional algorithm does for a left-to-right line in the common case:
// each stretch from a right-to-left letter to the last right-to-left letter
// or number before the next left-to-right letter is reversed, with the numbers inside
// it kept in reading order and brackets mirrored. The drawing library lays
// out runes strictly left to right, so without this Hebrew reads backwards.
// Arabic is not shaped (and Liberation Sans has no Arabic glyphs anyway).
func visual(s string) string {
	if !strings.ContainsFunc(s, isRTL) {
		return s
	}
	rs := []rune(s)
	for i := 0; i < len(rs); {
		if !isRTL(rs[i]) {
			i++
			continue
		}
		end := i // index of the last RTL rune of the stretch
		for j := i + 1; j < len(rs) && !isLTR(rs[j]); j++ {
			// Numbers after right-to-left text belong to its stretch.
			if isRTL(rs[j]) || isNum(rs[j]) {
				end = j
			}
		}
		reverseStretch(rs[i : end+1])
		i = end + 1
	}
	return string(rs)
}

// reverseStretch reverses a right-to-left stretch in place, then restores
// the reading order of the numbers inside it and mirrors brackets.
func reverseStretch(rs []rune) {
	for a, b := 0, len(rs)-1; a < b; a, b = a+1, b-1 {
		rs[a], rs[b] = rs[b], rs[a]
	}
	for i := 0; i < len(rs); {
		if !isNum(rs[i]) {
			rs[i] = mirror(rs[i])
			i++
			continue
		}
		j := i
		for j+1 < len(rs) && (isNum(rs[j+1]) || isNumSep(rs[j+1]) && j+2 < len(rs) && isNum(rs[j+2])) {
			j++
		}
		for a, b := i, j; a < b; a, b = a+1, b-1 {
			rs[a], rs[b] = rs[b], rs[a]
		}
		i = j + 1
	}
}

func mirror(r rune) rune {
	switch r {
	case '(':
		return ')'
	case ')':
		return '('
	case '[':
		return ']'
	case ']':
		return '['
	case '{':
		return '}'
	case '}':
		return '{'
	case '<':
		return '>'
	case '>':
		return '<'
	case '«':
		return '»'
	case '»':
		return '«'
	}
	return r
}
