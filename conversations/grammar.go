package conversations

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/okrbot/okrbot/domain"
)

// SplitCommand splits a typed line into the command ("okr" or "kpi") and its
// arguments: "/okr list mine", "okr list mine" and "@okrbot okr list" all give
// ("okr", "list mine"). ok is false for anything else.
func SplitCommand(line string) (cmd, args string, ok bool) {
	line = strings.TrimSpace(line)
	head, rest, _ := strings.Cut(line, " ")
	head = strings.ToLower(strings.TrimPrefix(head, "/"))
	if head == "okr" || head == "kpi" {
		return head, strings.TrimSpace(rest), true
	}
	return "", "", false
}

// token is one word of a command: s without its quotes, raw as typed.
type token struct {
	s      string
	quoted bool
	raw    string
}

// tokenize splits arguments on white space, keeping "quoted phrases" (straight
// or curly quotes) together. Each token keeps its raw text, quotes included,
// so that text people write (a title, a note) is stored as they wrote it.
func tokenize(s string) []token {
	var out []token
	var cur, raw strings.Builder
	quote := rune(0)
	inTok, quoted := false, false
	flush := func() {
		if inTok {
			out = append(out, token{cur.String(), quoted, raw.String()})
		}
		cur.Reset()
		raw.Reset()
		inTok, quoted = false, false
	}
	for _, r := range s {
		switch {
		case quote != 0 && (r == quote || quote == '“' && r == '”'):
			quote = 0
			raw.WriteRune(r)
		case quote != 0:
			cur.WriteRune(r)
			raw.WriteRune(r)
		case (r == '"' || r == '“') && !inTok:
			quote, inTok, quoted = r, true, true
			raw.WriteRune(r)
		case unicode.IsSpace(r):
			flush()
		default:
			cur.WriteRune(r)
			raw.WriteRune(r)
			inTok = true
		}
	}
	flush()
	return out
}

// rawText joins tokens as typed, quotes kept; a text that is one quoted
// phrase as a whole ("Grow Europe") loses its quotes, which only grouped it.
func rawText(toks []token) string {
	if len(toks) == 1 && toks[0].quoted {
		return toks[0].s
	}
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = t.raw
	}
	return strings.Join(parts, " ")
}

// flagSpec names a command's flags: true for a flag that takes a value.
type flagSpec map[string]bool

// parsed is a command's arguments split into positional words and flags.
type parsed struct {
	words []token
	flags map[string]string
	// late are the words that came after an option: a command that takes
	// text before its options refuses them rather than guess what they are
	// ("--target 3 min": a unit, or the start of a new text?).
	late []token
}

func (p parsed) has(flag string) bool { _, ok := p.flags[flag]; return ok }

// text joins the positional words from i on, as typed (single spaces,
// quotes kept).
func (p parsed) text(from int) string {
	if from >= len(p.words) {
		return ""
	}
	return rawText(p.words[from:])
}

func (p parsed) word(i int) string {
	if i < len(p.words) {
		return p.words[i].s
	}
	return ""
}

// parseArgs separates flags (--name, --name value) from words. An unknown
// flag or a flag without its value is an error with the command's example.
func parseArgs(args string, spec flagSpec, example string) (parsed, error) {
	p := parsed{flags: map[string]string{}}
	toks := tokenize(args)
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.quoted || !strings.HasPrefix(t.s, "--") || len(t.s) < 3 {
			p.words = append(p.words, t)
			if len(p.flags) > 0 {
				p.late = append(p.late, t)
			}
			continue
		}
		name := strings.ToLower(strings.TrimPrefix(t.s, "--"))
		name, inline, hasInline := strings.Cut(name, "=")
		takes, ok := spec[name]
		if !ok {
			names := make([]string, 0, len(spec))
			for n := range spec {
				names = append(names, n)
			}
			if guess := didYouMean(name, names); guess != "" {
				return p, domain.Invalid(example, "Unknown option --%s; did you mean --%s?", clip(name, 30), guess)
			}
			return p, domain.Invalid(example, "Unknown option --%s.", clip(name, 30))
		}
		switch {
		case !takes:
			p.flags[name] = ""
		case hasInline:
			p.flags[name] = inline
		case i+1 < len(toks):
			i++
			p.flags[name] = toks[i].s
		default:
			return p, domain.Invalid(example, "--%s needs a value.", name)
		}
	}
	return p, nil
}

var (
	userRE    = regexp.MustCompile(`^<@([A-Za-z0-9][A-Za-z0-9:_\-]{0,199})(?:\|([^>]{0,100}))?>$`)
	channelRE = regexp.MustCompile(`^<#([A-Za-z0-9][A-Za-z0-9:_\-@.]{0,199})(?:\|([^>]{0,100}))?>$`)
	plainIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9:_\-]{0,199}$`)
)

// parseUser reads a reference to a person: "<@U123|ada>" (Slack, escaped),
// "<@U123>", or "@U123" (console, Teams after the adapter's translation).
func parseUser(s string) (id, name string, ok bool) {
	if m := userRE.FindStringSubmatch(s); m != nil {
		return m[1], m[2], true
	}
	if strings.HasPrefix(s, "@") && plainIDRE.MatchString(s[1:]) {
		return s[1:], "", true
	}
	return "", "", false
}

// parseChannel reads a reference to a channel: "<#C123|general>", "<#C123>",
// or "#general" (console).
func parseChannel(s string) (id, name string, ok bool) {
	if m := channelRE.FindStringSubmatch(s); m != nil {
		return m[1], m[2], true
	}
	if strings.HasPrefix(s, "#") && plainIDRE.MatchString(s[1:]) {
		return s[1:], s[1:], true
	}
	return "", "", false
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// ref reads an objective or key result ref of the wanted kind ("O", "KR",
// or "" for either).
func ref(s, want, example string) (kind, r string, err error) {
	kind, r, ok := domain.RefKind(s)
	if !ok || (want != "" && kind != want) {
		what := map[string]string{"O": "an objective ref like O-3", "KR": "a key result ref like KR-7", "": "a ref like O-3 or KR-7"}[want]
		if s == "" {
			return "", "", domain.Invalid(example, "Give %s.", what)
		}
		return "", "", domain.Invalid(example, "%q is not %s.", clip(s, 30), what)
	}
	return kind, r, nil
}

// didYouMean returns the one of known closest to word when it is close
// enough to be a slip of the keyboard ("updte", "chekin"), else "".
func didYouMean(word string, known []string) string {
	word = strings.ToLower(word)
	best, bestD := "", 3
	for _, k := range known {
		d := editDistance(word, k)
		if len(k) <= 4 && d > 1 {
			continue
		}
		if d < bestD || d == bestD && k < best {
			best, bestD = k, d
		}
	}
	if best == word {
		return ""
	}
	return best
}

// editDistance is the Damerau–Levenshtein distance (adjacent swaps count once).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// OpensForm reports whether a typed command opens a form rather than
// answering with a message: /okr checkin, /okr create without a title,
// /okr edit O-n, /okr kr edit KR-n and /kpi edit <slug> with nothing to
// change. Slack opens a "Loading…" modal for those at once, while its
// trigger is fresh.
func OpensForm(cmd, args string) bool {
	toks := tokenize(args)
	verb := ""
	if len(toks) > 0 {
		verb = strings.ToLower(toks[0].s)
	}
	switch strings.ToLower(cmd) {
	case "okr":
		switch verb {
		case "checkin", "check-in":
			return true
		case "create", "new":
			return len(toks) == 1
		case "edit":
			return len(toks) == 2
		case "kr":
			return len(toks) == 3 && strings.EqualFold(toks[1].s, "edit")
		}
	case "kpi":
		return verb == "edit" && len(toks) == 2
	}
	return false
}

// textFirst refuses words typed after the options of a command whose text
// comes first.
func (p parsed) textFirst(example string) error {
	if len(p.late) == 0 {
		return nil
	}
	return domain.Invalid(example, "%q came after the options; put the text first, and quote an option's value with spaces (--unit \"per day\").", clip(rawText(p.late), 30))
}
