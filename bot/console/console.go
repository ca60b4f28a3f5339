// Package console is okrbot in a terminal: the same /okr and /kpi commands
// as in chat, read line by line from a terminal or a pipe, answered in
// plain text. It uses the same conversations and the same store as Slack and
// Teams, acting as one of their users, so what is made here is what that
// workspace sees in chat.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/okrbot/okrbot/conversations"
)

// Service is what the console needs of the conversations.
type Service interface {
	Command(ctx context.Context, a conversations.Actor, cmd, args string) conversations.Reply
	Submit(ctx context.Context, a conversations.Actor, sub conversations.Submission) conversations.Reply
	Action(ctx context.Context, a conversations.Actor, action, value string) conversations.Reply
}

// Options say who the console acts as.
type Options struct {
	Actor       conversations.Actor
	Interactive bool   // print prompts (a terminal, not a pipe)
	ImageDir    string // where charts are saved; the temp dir when empty
	// Banner, when set, is said after whom the console acts as (which
	// workspace it chose, and why), in a terminal.
	Banner string
}

// Console reads commands and prints answers.
type Console struct {
	svc   Service
	opt   Options
	in    *bufio.Scanner
	out   io.Writer
	actor conversations.Actor
	// pending is a command typed while a form was being filled in: the form
	// was left and the command runs next.
	pending string
}

// New returns a console over svc reading in and writing out.
func New(svc Service, in io.Reader, out io.Writer, opt Options) *Console {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	if opt.ImageDir == "" {
		opt.ImageDir = os.TempDir()
	}
	return &Console{svc: svc, opt: opt, in: sc, out: out, actor: opt.Actor}
}

const intro = `okrbot console: type /okr help. /as <user> [--admin] acts as someone else, /in #channel (or /in -) types in a channel, /quit leaves.`

// Run reads until the input ends, the context is cancelled or /quit.
func (c *Console) Run(ctx context.Context) error {
	if c.opt.Interactive {
		fmt.Fprintln(c.out, intro)
		fmt.Fprintf(c.out, "Acting as %s in %s.\n", c.actor.User, c.actor.WorkspaceID())
		if c.opt.Banner != "" {
			fmt.Fprintln(c.out, c.opt.Banner)
		}
	}
	for {
		line, ok := c.read(c.prompt())
		if !ok || ctx.Err() != nil {
			return ctx.Err()
		}
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case line == "/quit" || line == "/exit":
			return nil
		case strings.HasPrefix(line, "/as ") || line == "/as":
			c.switchUser(strings.TrimSpace(strings.TrimPrefix(line, "/as")))
			continue
		case strings.HasPrefix(line, "/in ") || line == "/in":
			c.switchChannel(strings.TrimSpace(strings.TrimPrefix(line, "/in")))
			continue
		}
		cmd, args, ok := conversations.SplitCommand(line)
		if !ok {
			fmt.Fprintln(c.out, "Not a command. Type /okr help, or /as <user> to act as someone else.")
			continue
		}
		c.handle(ctx, c.svc.Command(ctx, c.actor, cmd, args))
	}
}

func (c *Console) prompt() string {
	if !c.opt.Interactive {
		return ""
	}
	where := ""
	if c.actor.Channel != "" {
		where = " #" + c.actor.Channel
	}
	return c.actor.User + where + "> "
}

func (c *Console) read(prompt string) (string, bool) {
	if c.pending != "" {
		line := c.pending
		c.pending = ""
		return line, true
	}
	if prompt != "" && c.opt.Interactive {
		fmt.Fprint(c.out, prompt)
	}
	if !c.in.Scan() {
		return "", false
	}
	return c.in.Text(), true
}

func (c *Console) switchUser(args string) {
	f := strings.Fields(args)
	if len(f) == 0 {
		fmt.Fprintln(c.out, "Usage: /as <user> [--admin]   e.g. /as U024BE7LH")
		return
	}
	user := strings.TrimPrefix(strings.TrimPrefix(f[0], "<@"), "@")
	user = strings.TrimSuffix(user, ">")
	c.actor.User, c.actor.Name, c.actor.Admin = user, "", false
	for _, x := range f[1:] {
		if x == "--admin" {
			c.actor.Admin = true
		}
	}
	role := ""
	if c.actor.Admin {
		role = " (admin)"
	}
	fmt.Fprintf(c.out, "Now acting as %s%s.\n", user, role)
}

func (c *Console) switchChannel(args string) {
	ch := strings.TrimPrefix(strings.TrimSpace(args), "#")
	if ch == "-" || ch == "" {
		c.actor.Channel = ""
		fmt.Fprintln(c.out, "Now typing in a direct message.")
		return
	}
	c.actor.Channel = ch
	fmt.Fprintf(c.out, "Now typing in #%s.\n", ch)
}

// handle prints a reply, and fills in a form when one is opened.
func (c *Console) handle(ctx context.Context, r conversations.Reply) {
	if r.Message != nil {
		c.print(r.Message)
	}
	if f := r.File; f != nil {
		// Where charts go: the file is the person's, not the repository's.
		path := filepath.Join(c.opt.ImageDir, filepath.Base(f.Name))
		if err := os.WriteFile(path, f.Data, 0o600); err != nil {
			fmt.Fprintf(c.out, "(file not saved: %v)\n", err)
		} else {
			fmt.Fprintf(c.out, "File: %s\n", path)
		}
	}
	if r.Announce != nil && c.actor.Channel != "" {
		fmt.Fprintf(c.out, "(posted in #%s) %s", c.actor.Channel, conversations.PlainText(r.Announce))
	}
	if r.Form != nil {
		c.fill(ctx, r.Form)
	}
}

func (c *Console) print(m *conversations.Message) {
	fmt.Fprint(c.out, conversations.PlainText(m))
	if m.Image != nil && len(m.Image.PNG) > 0 {
		name := m.Image.Name
		if name == "" {
			name = "okrbot-chart.png"
		}
		path := filepath.Join(c.opt.ImageDir, filepath.Base(name))
		if err := os.WriteFile(path, m.Image.PNG, 0o644); err != nil {
			fmt.Fprintf(c.out, "(chart not saved: %v)\n", err)
		} else {
			fmt.Fprintf(c.out, "Chart: %s\n", path)
		}
	}
}

// fill asks for a form's inputs one by one, submits, and asks again for the
// inputs the submission rejected. "/cancel" leaves the form.
func (c *Console) fill(ctx context.Context, f *conversations.Form) {
	fmt.Fprintf(c.out, "%s (answer each question; Enter keeps [the default]; /cancel or a command leaves the form unsaved)\n", f.Title)
	if len(f.Intro) > 0 {
		fmt.Fprintln(c.out, conversations.TextLine(f.Intro))
	}
	values := map[string]string{}
	ask := func(in conversations.Input) bool {
		choices := ""
		if len(in.Options) > 0 {
			var opts []string
			for _, o := range in.Options {
				opts = append(opts, o.Value)
			}
			if len(opts) > 4 {
				opts = []string{opts[0] + "–" + opts[len(opts)-1]}
			}
			choices = strings.Join(opts, " / ")
		}
		for {
			q := "  " + in.Label
			if choices != "" {
				q += " (" + choices + ")"
			}
			switch {
			case in.Initial != "":
				q += " [" + in.Initial + "]"
			case in.Skip != "":
				// Nothing to keep: Enter would mean nothing, so it must be said.
				q += " (a value, or " + in.Skip + ")"
			case in.Placeholder != "" && !strings.Contains(in.Placeholder, "\n"):
				q += " (e.g. " + in.Placeholder + ")"
			}
			if in.Kind == conversations.TextArea && in.ID == "krs" {
				q += " (one per line, end with an empty line)"
			}
			ans, ok := c.read(q + ": ")
			if !c.opt.Interactive {
				fmt.Fprintln(c.out, q+": "+ans)
			}
			if !ok || strings.TrimSpace(ans) == "/cancel" {
				return false
			}
			if isCommand(ans) {
				c.pending = ans
				return false
			}
			if in.Kind == conversations.TextArea && in.ID == "krs" && strings.TrimSpace(ans) != "" {
				lines := []string{ans}
				for {
					more, ok := c.read("  … ")
					if !c.opt.Interactive {
						fmt.Fprintln(c.out, "  … "+more)
					}
					if !ok || strings.TrimSpace(more) == "" {
						break
					}
					lines = append(lines, more)
				}
				ans = strings.Join(lines, "\n")
			}
			ans = strings.TrimSpace(ans)
			if ans == "" {
				ans = in.Initial
			}
			if in.Skip != "" && ans == "" {
				fmt.Fprintf(c.out, "  %s has no value yet: give one, or type %s to leave it out.\n", in.Label, in.Skip)
				continue
			}
			if in.Skip != "" && strings.EqualFold(ans, in.Skip) {
				values[in.ID] = in.Skip
				return true
			}
			if ans == "" && !in.Optional {
				fmt.Fprintln(c.out, "  This one needs an answer.")
				continue
			}
			if in.Kind == conversations.Select && ans != "" && !validOption(in, ans) {
				fmt.Fprintf(c.out, "  Choose one of: %s.\n", choices)
				continue
			}
			values[in.ID] = ans
			return true
		}
	}
	inputs := map[string]conversations.Input{}
	for _, s := range f.Sections {
		if len(s.Heading) > 0 {
			fmt.Fprintln(c.out, conversations.TextLine(s.Heading))
		}
		if len(s.Note) > 0 {
			fmt.Fprintln(c.out, "  "+conversations.TextLine(s.Note))
		}
		for _, in := range s.Inputs {
			inputs[in.ID] = in
			if !ask(in) {
				fmt.Fprintln(c.out, "Form left unfinished; nothing was saved.")
				return
			}
		}
	}
	for attempt := 0; attempt < 5; attempt++ {
		r := c.svc.Submit(ctx, c.actor, conversations.Submission{Form: f.ID, State: f.State, Values: values})
		if len(r.Errors) == 0 {
			c.handle(ctx, r)
			return
		}
		for id, msg := range r.Errors {
			fmt.Fprintf(c.out, "  %s: %s\n", inputs[id].Label, msg)
		}
		for id := range r.Errors {
			if in, ok := inputs[id]; ok && !ask(in) {
				fmt.Fprintln(c.out, "Form left unfinished; nothing was saved.")
				return
			}
		}
	}
	fmt.Fprintln(c.out, "Too many attempts; form cancelled, nothing was saved.")
}

// isCommand reports whether a line typed into a form is a console command
// rather than an answer.
func isCommand(line string) bool {
	line = strings.TrimSpace(line)
	if _, _, ok := conversations.SplitCommand(line); ok && strings.HasPrefix(line, "/") {
		return true
	}
	for _, p := range []string{"/as ", "/in ", "/quit", "/exit"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

func validOption(in conversations.Input, v string) bool {
	for _, o := range in.Options {
		if strings.EqualFold(o.Value, v) {
			return true
		}
	}
	return false
}
