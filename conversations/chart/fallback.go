package chart

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
)

// Fallback fonts. Liberation Sans (gonum/plot's bundled font) draws Latin,
// Greek, Cyrillic and Hebrew. Everything else is drawn with the first font
// of a fallback chain that has the character: the machine's own fonts when
// it has suitable ones (Noto CJK, Noto Emoji, Droid Sans Fallback, DejaVu,
// and Windows' and macOS's equivalents), then two fonts bundled here,
// gzipped (fonts/, with their licences):
//   - Noto Emoji (monochrome), SIL Open Font License 1.1, Google;
//   - Droid Sans Fallback Full (Chinese, Japanese kana and kanji), Apache
//     License 2.0, Google (from Debian's fonts-droid-fallback);
//   - NanumSquare Regular (all 11,172 Hangul syllables), SIL Open Font
//     License 1.1, NAVER (from Debian's fonts-nanum).
//
// Colour emoji fonts (bitmaps or colour layers) are skipped: the pure-Go
// rasteriser draws outlines only.

var (
	//go:embed fonts/NotoEmoji-Regular.ttf.gz
	notoEmojiGz []byte
	//go:embed fonts/DroidSansFallbackFull.ttf.gz
	droidFallbackGz []byte
	//go:embed fonts/NanumSquareR.ttf.gz
	nanumGz []byte
)

// face is one font of the chain.
type face struct {
	name string
	f    *opentype.Font
}

var (
	bundledOnce sync.Once
	bundled     []face
	systemOnce  sync.Once
	system      []face
)

func bundledFonts() []face {
	bundledOnce.Do(func() {
		for _, b := range []struct {
			name string
			gz   []byte
		}{{"Noto Emoji", notoEmojiGz}, {"Droid Sans Fallback", droidFallbackGz}, {"NanumSquare", nanumGz}} {
			if f := parseGz(b.gz); f != nil {
				bundled = append(bundled, face{b.name, f})
			}
		}
	})
	return bundled
}

func parseGz(gz []byte) *opentype.Font {
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil
	}
	f, err := opentype.Parse(raw)
	if err != nil {
		return nil
	}
	return f
}

// systemCandidates are font files worth a look, by base name (lower case),
// in order of preference.
var systemCandidates = []string{
	"notosanscjk-regular.ttc", "notosanscjksc-regular.otf", "notosanssc-regular.ttf", "notosanssc-regular.otf",
	"droidsansfallbackfull.ttf", "droidsansfallback.ttf", "wqy-microhei.ttc", "wqy-zenhei.ttc",
	"msyh.ttc", "msgothic.ttc", "malgun.ttf", "yugothr.ttc", "nanumgothic.ttf", "applesdgothicneo.ttc",
	"notoemoji-regular.ttf", "notoemoji[wght].ttf", "seguiemj.ttf", "symbola.ttf", "symbola_hint.ttf",
	"dejavusans.ttf", "notosans-regular.ttf", "arialuni.ttf", "arial unicode.ttf",
}

func systemDirs() []string {
	switch runtime.GOOS {
	case "windows":
		return []string{filepath.Join(os.Getenv("WINDIR"), "Fonts")}
	case "darwin":
		return []string{"/System/Library/Fonts", "/Library/Fonts", filepath.Join(os.Getenv("HOME"), "Library/Fonts")}
	}
	return []string{"/usr/share/fonts", "/usr/local/share/fonts", filepath.Join(os.Getenv("HOME"), ".local/share/fonts"), filepath.Join(os.Getenv("HOME"), ".fonts")}
}

// systemFonts finds the machine's fallback fonts once. A font that does
// not parse, or whose glyphs the rasteriser cannot draw, is left out.
func systemFonts() []face {
	systemOnce.Do(func() {
		found := map[string]string{}
		for _, dir := range systemDirs() {
			base := strings.Count(filepath.Clean(dir), string(filepath.Separator))
			filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return fs.SkipDir
				}
				if d.IsDir() && strings.Count(p, string(filepath.Separator))-base > 4 {
					return fs.SkipDir
				}
				name := strings.ToLower(d.Name())
				if _, ok := found[name]; !ok && !d.IsDir() {
					found[name] = p
				}
				return nil
			})
		}
		for _, name := range systemCandidates {
			if p, ok := found[name]; ok {
				if f := loadSystemFont(p); f != nil {
					system = append(system, face{"system " + name, f})
				}
			}
		}
	})
	return system
}

func loadSystemFont(path string) *opentype.Font {
	raw, err := os.ReadFile(path)
	if err != nil || len(raw) > 64<<20 {
		return nil
	}
	var f *opentype.Font
	if c, err := opentype.ParseCollection(raw); err == nil && c.NumFonts() > 0 {
		f, err = c.Font(0)
		if err != nil {
			return nil
		}
	} else if f, err = opentype.Parse(raw); err != nil {
		return nil
	}
	// A colour font answers with ErrColoredGlyph, or no outline at all.
	var buf sfnt.Buffer
	for _, r := range []rune{'😀', '中', 'A'} {
		idx, err := f.GlyphIndex(&buf, r)
		if err != nil || idx == 0 {
			continue
		}
		segs, err := f.LoadGlyph(&buf, idx, fixed.I(int(f.UnitsPerEm())), nil)
		if err != nil || len(segs) == 0 {
			return nil
		}
		return f
	}
	return nil
}

// handler is a text.Handler that draws each run of text with the first
// font of the chain that has its characters. Line metrics are the primary
// font's, so layout does not move when a fallback font is used.
type handler struct {
	text.Plain
	chain []face
	mu    *sync.Mutex
	pick  map[rune]int // rune -> index in chain (-1 primary, len(chain) none)
}

func newHandler(fonts *font.Cache, withSystem bool) handler {
	var chain []face
	if withSystem {
		chain = append(chain, systemFonts()...)
	}
	chain = append(chain, bundledFonts()...)
	return handler{Plain: text.Plain{Fonts: fonts}, chain: chain, mu: new(sync.Mutex), pick: map[rune]int{}}
}

// choose returns which font draws r: -1 the primary, i the chain's i-th,
// len(chain) none.
func (h handler) choose(primary *opentype.Font, r rune) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if i, ok := h.pick[r]; ok {
		return i
	}
	var buf sfnt.Buffer
	i := len(h.chain)
	if idx, err := primary.GlyphIndex(&buf, r); err == nil && idx != 0 || r == ' ' {
		i = -1
	} else {
		for j, f := range h.chain {
			if idx, err := f.f.GlyphIndex(&buf, r); err == nil && idx != 0 {
				i = j
				break
			}
		}
	}
	h.pick[r] = i
	return i
}

// covers reports whether some font of the handler draws r.
func (h handler) covers(fnt font.Font, r rune) bool {
	return h.choose(h.Fonts.Lookup(fnt, fnt.Size).Face, r) < len(h.chain)
}

type run struct {
	text string
	face font.Face
}

// runs splits s into runs of one font each.
func (h handler) runs(s string, fnt font.Font) []run {
	primary := h.Fonts.Lookup(fnt, fnt.Size)
	faceOf := func(i int) font.Face {
		if i < 0 || i >= len(h.chain) {
			return primary
		}
		return font.Face{Font: font.Font{Typeface: font.Typeface(h.chain[i].name), Size: fnt.Size}, Face: h.chain[i].f}
	}
	var out []run
	cur, start := -2, 0
	for i, r := range s {
		c := h.choose(primary.Face, r)
		if c != cur {
			if cur != -2 && i > start {
				out = append(out, run{s[start:i], faceOf(cur)})
			}
			cur, start = c, i
		}
	}
	if len(s) > start {
		out = append(out, run{s[start:], faceOf(cur)})
	}
	return out
}

func (h handler) width(s string, fnt font.Font) vg.Length {
	var w vg.Length
	for _, r := range h.runs(s, fnt) {
		w += r.face.Width(r.text)
	}
	return w
}

// Box implements text.Handler.
func (h handler) Box(txt string, fnt font.Font) (width, height, depth vg.Length) {
	f := h.Fonts.Lookup(fnt, fnt.Size)
	ext := f.Extents()
	return h.width(txt, fnt), ext.Ascent, ext.Descent
}

// Draw implements text.Handler, as text.Plain does but run by run.
func (h handler) Draw(c vg.Canvas, txt string, sty text.Style, pt vg.Point) {
	txt = strings.TrimRight(txt, "\n")
	if len(txt) == 0 {
		return
	}
	fnt := h.Fonts.Lookup(sty.Font, sty.Font.Size)
	c.SetColor(sty.Color)
	if sty.Rotation != 0 {
		c.Push()
		c.Rotate(sty.Rotation)
	}
	sin64, cos64 := math.Sincos(sty.Rotation)
	cos, sin := vg.Length(cos64), vg.Length(sin64)
	pt.X, pt.Y = pt.Y*sin+pt.X*cos, pt.Y*cos-pt.X*sin
	lines := h.Lines(txt)
	ht := sty.Height(txt)
	pt.Y += ht*vg.Length(sty.YAlign) - fnt.Extents().Ascent
	for i, line := range lines {
		pos := pt.Add(vg.Point{X: vg.Length(sty.XAlign) * h.width(line, sty.Font), Y: vg.Length(len(lines)-i) * sty.Font.Size})
		for _, r := range h.runs(line, sty.Font) {
			c.FillString(r.face, pos, r.text)
			pos.X += r.face.Width(r.text)
		}
	}
	if sty.Rotation != 0 {
		c.Pop()
	}
}

var _ text.Handler = handler{}
