package conversations

// help lists every command and option of the grammar, each with an
// example; dates in examples are relative to today (session.example). The
// same message answers everyone on a platform with the same dates, so it
// is built once for them and shared.
func (ss *session) help() Reply {
	key := string(ss.actor.Platform) + " " + ss.example("{cycle} {date} {yesterday}")
	if m, ok := ss.helps.Load(key); ok {
		return Reply{Message: m.(*Message), Shared: true}
	}
	m := ss.buildHelp()
	if ss.helpCount.Add(1) > maxHelps {
		// Yesterday's and other time zones' keys: start again.
		ss.helps.Clear()
		ss.helpCount.Store(1)
	}
	ss.helps.Store(key, m)
	return Reply{Message: m, Shared: true}
}

// maxHelps bounds the help messages kept: a few platforms times the dates
// of the time zones in use.
const maxHelps = 32

func (ss *session) buildHelp() *Message {
	c := ss.cmd("okr")
	k := ss.cmd("kpi")
	line := func(example, what string) Text { return Text{}.AddCode(ss.example(example)).Add("  " + what) }
	m := &Message{
		Summary: "okrbot commands",
		Title:   "okrbot: OKRs and KPIs where you talk",
		Sections: []Section{
			{Heading: B("Objectives and key results"), Lines: []Text{
				line(c+" create Grow the European market --aspirational --cycle {cycle}", "create an objective (--committed is the default; no title opens a form)"),
				line(c+" create Win the enterprise segment --parent O-1 --team #sales", "…aligned to a parent objective or key result, for a team's channel"),
				line(c+" kr add O-3 Increase web leads from 22 to 35 per day", "add a key result as you would say it; okrbot answers with what it understood"),
				line(c+" kr add O-3 Keep churn below 2% --kpi churn --owner @ada --weight 2", "…following a KPI, owned by someone else, counting double"),
				line(c+" kr add O-3 Reach NPS 60 --start 40", "a level to reach needs its start (--start, or the KPI of --kpi); only new things won or done, like Hire 5 engineers, start at 0. --target, --unit and --milestone settle what else the text leaves open"),
				line(c+" list [mine | @user | #channel | all] [--cycle {cycle}]", "list objectives"),
				line(c+" show O-3", "an objective or key result in detail, with its history of changes"),
				line(c+" edit O-3 Grow the Nordic market --owner @ada --team #nordics --cycle {cycle}", "change an objective (also --committed, --aspirational, --parent O-1 or none; nothing after the ref opens a form)"),
				line(c+" kr edit KR-7 Increase web leads from 22 to 40 per day", "change a key result's text, read again"),
				line(c+` kr edit KR-7 --target 40 --unit "per day" --owner @bob --weight 2 --kpi none`, "…or one part at a time (also --start, --milestone); its check-ins are kept"),
				line(c+" align O-5 to O-1", "align an objective to a parent objective or key result"),
				line(c+" grade O-3 0.7 two of three markets opened", "grade and close an objective (asks to confirm; --yes does not ask)"),
				line(c+" reopen O-3", "reopen a graded objective"),
				line(c+" delete KR-7", "delete an objective or key result (asks to confirm; --yes does not ask)"),
				line(c+" initiative add KR-7 Run a webinar series", "plan the work that moves a key result"),
				line(c+" initiative done I-4", "mark an initiative done;  "+c+" initiative list [KR-7]  lists them"),
			}},
			{Heading: B("Every week"), Lines: []Text{
				line(c+" checkin", "this week's check-in form"),
				line(c+" update KR-7 28 confidence 7 two deals closed", "check in on one key result: value (or done), confidence, note"),
				line(c+" update KR-4 10 hours 8/10", "…the value in its key result's unit; a confidence is 8/10, 8 of 10, conf 8, c8, or 1–10 right after the value; a value far off its scale asks to confirm (--yes does not ask)"),
				line(c+" away until {date}", "pause prompts and reminders;  "+c+" back  resumes them"),
				line(c+" digest preview", "see the weekly digest now"),
				line(c+" digest subscribe #leadership --company", "send the digest (or with --company, the company roll-up) to a channel every week"),
				line(c+" digest unsubscribe #leadership", "stop sending it there"),
				line(c+" settings checkin friday 15:00 reminder monday 10:00 digest monday 09:00 timezone Europe/Paris", "change the rhythm (admins; in a channel, for its team; off turns one off)"),
				line(c+" settings escalate after 3 lead @ada", "after 3 missed check-ins in a row (2 unless set; escalate off stops it), DM the person's team lead: in a team's channel, lead @ada names one, else it is the owner of the team's objective"),
				line(c+" settings api-token create nightly-etl", "a token for the HTTP API (admins; also list, revoke)"),
				line(c+" export --cycle {cycle}", "the workspace's objectives, check-ins and KPIs as CSV files, sent to you (admins; no --cycle: everything)"),
			}},
			{Heading: B("KPIs"), Lines: []Text{
				line(k+` create web-leads "Web leads" unit /day higher target 35 warn 25 alert 15 every day`, "define a KPI (lower: lower is better)"),
				line(k+" set web-leads 28 on {yesterday} campaign paused", "record a value (today unless on a date; a note after it)"),
				line(k+" source web-leads https://stats.example.com/leads.json json data.today", "fetch its value every period (also: prometheus <url> <query>, off)"),
				line(k+" show web-leads", "a KPI with its history"),
				line(k+" list", "every KPI, red first"),
				line(k+" edit web-leads target 40 warn 30 alert none", "change a KPI: name, unit, higher or lower, target, warn, alert, every, owner (nothing after the slug opens a form)"),
				line(k+" archive web-leads", "retire a KPI, its values kept;  "+k+" unarchive web-leads  restores it"),
			}},
		},
	}
	return m
}
