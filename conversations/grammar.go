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

type token struct {
	s      string
	quoted bool
}

// tokenize splits arguments on white space, keeping "quoted phrases" (straight
// or curly quotes) together.
func tokenize(s string) []token {
	var out []token
	var cur strings.Builder
	quote := rune(0)
	inTok, quoted := false, false
	flush := func() {
		if inTok {
			out = append(out, token{cur.String(), quoted})
		}
		cur.Reset()
		inTok, quoted = false, false
	}
	for _, r := range s {
		switch {
		case quote != 0 && (r == quote || quote == '“' && r == '”'):
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case (r == '"' || r == '“') && !inTok:
			quote, inTok, quoted = r, true, true
		case unicode.IsSpace(r):
			flush()
		default:
			cur.WriteRune(r)
			inTok = true
		}
	}
	flush()
	return out
}

// flagSpec names a command's flags: true for a flag that takes a value.
type flagSpec map[string]bool

// parsed is a command's arguments split into positional words and flags.
type parsed struct {
	words []token
	flags map[string]string
}

func (p parsed) has(flag string) bool { _, ok := p.flags[flag]; return ok }

// text joins the positional words from i on, as typed (single spaces).
func (p parsed) text(from int) string {
	if from >= len(p.words) {
		return ""
	}
	parts := make([]string, 0, len(p.words)-from)
	for _, w := range p.words[from:] {
		parts = append(parts, w.s)
	}
	return strings.Join(parts, " ")
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
			continue
		}
		name := strings.ToLower(strings.TrimPrefix(t.s, "--"))
		name, inline, hasInline := strings.Cut(name, "=")
		takes, ok := spec[name]
		if !ok {
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
