// Package phrasings holds key results as people write them, and what
// okrbot must make of each, for the domain's parser test and the end-to-end
// test of /okr kr add. It is test support, not a product path.
package phrasings

import "github.com/okrbot/okrbot/domain"

// KeyResult is one key result as written, and what okrbot must make of it:
// a kind with a start, target and unit, or a question (EAMBIGUOUS), or a
// refusal (EINVALID).
type KeyResult struct {
	Text string
	// Options are the options of /okr kr add typed with it: "kpi" (a
	// slug of KPIs), "start", "target", "unit", "milestone" ("").
	Options map[string]string
	// When Code is "": what it must read as.
	Kind          domain.Kind
	Start, Target float64
	Unit          string
	From          string // where the start comes from: text, option, baseline, zero ("" for stay and milestones)
	// Code is the error code it must get instead (ambiguous: asked).
	Code string
}

// KPIs are the KPIs the "kpi" option names, as their baselines.
var KPIs = map[string]domain.Baseline{
	"web-leads":     {Value: 22, Unit: "/day", Direction: domain.HigherIsBetter, Name: "KPI web-leads", Follows: true},
	"conversion":    {Value: 2.5, Unit: "%", Direction: domain.HigherIsBetter, Name: "KPI conversion", Follows: true},
	"churn":         {Value: 3, Unit: "%", Direction: domain.LowerIsBetter, Name: "KPI churn", Follows: true},
	"mrr":           {Value: 30000, Unit: "$", Direction: domain.HigherIsBetter, Name: "KPI mrr", Follows: true},
	"response-time": {Value: 720, Unit: "min", Direction: domain.LowerIsBetter, Name: "KPI response-time", Follows: true},
	"uptime":        {Value: 99.95, Unit: "%", Direction: domain.HigherIsBetter, Name: "KPI uptime", Follows: true},
	"unmeasured":    {Unit: "", Direction: domain.HigherIsBetter, Name: "KPI unmeasured", Follows: true, Unmeasured: true},
}

// ParseOptions returns the options of p as the parser takes them.
func (p KeyResult) ParseOptions() domain.ParseOptions {
	var o domain.ParseOptions
	for k, v := range p.Options {
		switch k {
		case "kpi":
			b := KPIs[v]
			o.Baseline = &b
		case "start":
			o.Start = v
		case "target":
			o.Target = v
		case "unit":
			o.Unit, o.UnitSet = v, true
		case "milestone":
			o.Milestone = true
		}
	}
	return o
}

// KeyResults come from OKR guides and examples (15Five, Perdoo-style and
// Atlassian-style lists, engineering OKR write-ups, German and French OKR
// guides such as Workpath's and okr-made-simple's, and the issue that asked
// for this), written in the styles and number formats people use.
var KeyResults = []KeyResult{
	// The classic "from X to Y".
	{Text: "Increase web leads from 22 to 35 per day", Kind: domain.Increase, Start: 22, Target: 35, Unit: "per day", From: "text"},
	{Text: "Improve our Net Promoter score from 20 to 45", Kind: domain.Increase, Start: 20, Target: 45, From: "text"},
	{Text: "Increase customer retention from 40% to 70% for first time users", Kind: domain.Increase, Start: 40, Target: 70, Unit: "%", From: "text"},
	{Text: "Improve checkout success rate from 94% to 98%", Kind: domain.Increase, Start: 94, Target: 98, Unit: "%", From: "text"},
	{Text: "Improve sales close rate from 20% to 25%", Kind: domain.Increase, Start: 20, Target: 25, Unit: "%", From: "text"},
	{Text: "NPS from 40 to 60", Kind: domain.Increase, Start: 40, Target: 60, From: "text"},
	{Text: "Churn from 3% to 2%", Kind: domain.Decrease, Start: 3, Target: 2, Unit: "%", From: "text"},
	{Text: "Reduce revenue leakage cancellations from 8% to 5%", Kind: domain.Decrease, Start: 8, Target: 5, Unit: "%", From: "text"},
	{Text: "Increase NPS from 30 to 50 points by end of Q4", Kind: domain.Increase, Start: 30, Target: 50, Unit: "points", From: "text"},
	{Text: "Grow from 3 to 5 enterprise customers in DACH", Kind: domain.Increase, Start: 3, Target: 5, Unit: "enterprise customers", From: "text"},
	// Units with spaces, plurals, rates, and different spellings on each side.
	{Text: "Reduce support response time from 12 hours to 4 hours", Kind: domain.Decrease, Start: 12, Target: 4, Unit: "hours", From: "text"},
	{Text: "Reduce response time from 12h to 4h", Kind: domain.Decrease, Start: 12, Target: 4, Unit: "h", From: "text"},
	{Text: "Cut first response from 12 hrs to 4 hrs", Kind: domain.Decrease, Start: 12, Target: 4, Unit: "hrs", From: "text"},
	{Text: "Reduce mean time to recovery (MTTR) from 2 hours to 30 minutes", Kind: domain.Decrease, Start: 120, Target: 30, Unit: "minutes", From: "text"},
	{Text: "Reduce p99 API latency from 800ms to 200ms", Kind: domain.Decrease, Start: 800, Target: 200, Unit: "ms", From: "text"},
	{Text: "Reduce p95 latency from 800 ms to 200 ms", Kind: domain.Decrease, Start: 800, Target: 200, Unit: "ms", From: "text"},
	{Text: "Reduce checkout page load time from 3.2s to 1.5s", Kind: domain.Decrease, Start: 3.2, Target: 1.5, Unit: "s", From: "text"},
	{Text: "Reduce mean-time-to-detect from 30 min to 5 min", Kind: domain.Decrease, Start: 30, Target: 5, Unit: "min", From: "text"},
	{Text: "Reduce lead time from 14 days to 3 days", Kind: domain.Decrease, Start: 14, Target: 3, Unit: "days", From: "text"},
	{Text: "Reduce time to hire from 45 days to 30 days", Kind: domain.Decrease, Start: 45, Target: 30, Unit: "days", From: "text"},
	{Text: "Reduce P1 incidents from 8/quarter to 2/quarter", Kind: domain.Decrease, Start: 8, Target: 2, Unit: "/quarter", From: "text"},
	{Text: "Increase signups from 120/week to 200/week", Kind: domain.Increase, Start: 120, Target: 200, Unit: "/week", From: "text"},
	{Text: "Increase demos booked from 10 per week to 25 per week", Kind: domain.Increase, Start: 10, Target: 25, Unit: "per week", From: "text"},
	// Thousands separators, decimal commas and magnitudes, by context.
	{Text: "Increase conversion from 2,5% to 4%", Kind: domain.Increase, Start: 2.5, Target: 4, Unit: "%", From: "text"},
	{Text: "Increase conversion from 2,5 % to 4 %", Kind: domain.Increase, Start: 2.5, Target: 4, Unit: "%", From: "text"},
	{Text: "Grow weekly active users from 1,200 to 2,000", Kind: domain.Increase, Start: 1200, Target: 2000, From: "text"},
	{Text: "Grow ARR from $1,200,000 to $2,000,000 by December", Kind: domain.Increase, Start: 1200000, Target: 2000000, Unit: "$", From: "text"},
	{Text: "Grow MRR from $1.2M to $2M", Kind: domain.Increase, Start: 1200000, Target: 2000000, Unit: "$", From: "text"},
	{Text: "Grow MRR from 50k to 80k", Kind: domain.Increase, Start: 50000, Target: 80000, From: "text"},
	{Text: "Increase pipeline from €800k to €1.2M", Kind: domain.Increase, Start: 800000, Target: 1200000, Unit: "€", From: "text"},
	{Text: "Increase ARR from 1.2M€ to 2M€", Kind: domain.Increase, Start: 1200000, Target: 2000000, Unit: "€", From: "text"},
	{Text: "Increase revenue from 10k EUR to 15k EUR", Kind: domain.Increase, Start: 10000, Target: 15000, Unit: "EUR", From: "text"},
	{Text: "Increase revenue from EUR 10k to EUR 15k", Kind: domain.Increase, Start: 10000, Target: 15000, Unit: "EUR", From: "text"},
	{Text: "Umsatz von 1.200.000 € auf 1.500.000 € steigern", Kind: domain.Increase, Start: 1200000, Target: 1500000, Unit: "€", From: "text"},
	{Text: "Kundenzufriedenheit von 7,2 auf 8,5 steigern", Kind: domain.Increase, Start: 7.2, Target: 8.5, From: "text"},
	{Text: "Réduire le coût par lead de 50€ à 37,50€", Kind: domain.Decrease, Start: 50, Target: 37.5, Unit: "€", From: "text"},
	{Text: "Augmenter le taux de conversion de 15% à 20% (baseline actuelle : 15%)", Kind: domain.Increase, Start: 15, Target: 20, Unit: "%", From: "text"},
	{Text: "Increase revenue from 10 000 € to 12 500 €", Kind: domain.Increase, Start: 10000, Target: 12500, Unit: "€", From: "text"},
	{Text: "Grow the market cap from 1.5bn to 2bn", Kind: domain.Increase, Start: 1.5e9, Target: 2e9, From: "text"},
	{Text: "Increase donations from ₹5 lakh to ₹8 lakh", Kind: domain.Increase, Start: 500000, Target: 800000, Unit: "₹", From: "text"},
	{Text: "Grow orders from 1,00,000 to 1,50,000", Kind: domain.Increase, Start: 100000, Target: 150000, From: "text"},
	{Text: "Increase EBITDA margin from -5% to 3%", Kind: domain.Increase, Start: -5, Target: 3, Unit: "%", From: "text"},
	{Text: "Grow paying users from 1.2 million to 2 million", Kind: domain.Increase, Start: 1.2e6, Target: 2e6, From: "text"},
	// Arrows and the start written after the target.
	{Text: "Churn 3% → 2%", Kind: domain.Decrease, Start: 3, Target: 2, Unit: "%", From: "text"},
	{Text: "Activation rate 35% -> 50%", Kind: domain.Increase, Start: 35, Target: 50, Unit: "%", From: "text"},
	{Text: "Achieve 99.95% uptime (from current 99.7%)", Kind: domain.Increase, Start: 99.7, Target: 99.95, Unit: "%", From: "text"},
	{Text: "Increase NPS to 60 (currently 40)", Kind: domain.Increase, Start: 40, Target: 60, From: "text"},
	{Text: "Générer 750 leads qualifiés par mois (vs 600 actuellement)", Kind: domain.Increase, Start: 600, Target: 750, From: "text"},
	// Staying above or below a line.
	{Text: "Keep churn below 2%", Kind: domain.StayBelow, Target: 2, Unit: "%"},
	{Text: "Keep uptime above 99.9%", Kind: domain.StayAbove, Target: 99.9, Unit: "%"},
	{Text: "Maintain uptime of at least 99.9%", Kind: domain.StayAbove, Target: 99.9, Unit: "%"},
	{Text: "Keep p95 latency under 200 ms", Kind: domain.StayBelow, Target: 200, Unit: "ms"},
	{Text: "Keep response time within 4 hours", Kind: domain.StayBelow, Target: 4, Unit: "hours"},
	{Text: "Keep NPS at 50+", Kind: domain.StayAbove, Target: 50},
	{Text: "Keep churn at 2% or below", Kind: domain.StayBelow, Target: 2, Unit: "%"},
	{Text: "Hold CSAT at or above 4.5", Kind: domain.StayAbove, Target: 4.5},
	{Text: "Churn unter 2 % halten", Kind: domain.StayBelow, Target: 2, Unit: "%"},
	{Text: "Uptime ≥ 99.9%", Kind: domain.StayAbove, Target: 99.9, Unit: "%"},
	{Text: "Spend at most $10k on paid ads", Kind: domain.StayBelow, Target: 10000, Unit: "$"},
	{Text: "Keep uptime at 99.9%", Options: map[string]string{"kpi": "uptime"}, Kind: domain.StayAbove, Target: 99.9, Unit: "%"},
	// Counts and levels to reach.
	{Text: "Close 10+ enterprise deals", Kind: domain.Reach, Start: 0, Target: 10, Unit: "enterprise deals", From: "zero"},
	{Text: "Hire 3 engineers by March 31", Kind: domain.Reach, Start: 0, Target: 3, Unit: "engineers", From: "zero"},
	{Text: "Sign at least 5 new partners", Kind: domain.Reach, Start: 0, Target: 5, Unit: "new partners", From: "zero"},
	{Text: "Conduct 10 architecture reviews", Kind: domain.Reach, Start: 0, Target: 10, Unit: "architecture reviews", From: "zero"},
	{Text: "Ship 3 features in 2 weeks", Kind: domain.Reach, Start: 0, Target: 3, Unit: "features", From: "zero"},
	{Text: "Publish 12 blog posts in Q3 2026", Kind: domain.Reach, Start: 0, Target: 12, Unit: "blog posts", From: "zero"},
	{Text: "Raise $5M seed round", Kind: domain.Reach, Start: 0, Target: 5e6, Unit: "$", From: "zero"},
	{Text: "Reach NPS 60", Options: map[string]string{"start": "0"}, Kind: domain.Reach, Start: 0, Target: 60, From: "option"},
	{Text: "Hit $100k MRR by 2026-12-31", Options: map[string]string{"start": "$70k"}, Kind: domain.Reach, Start: 70000, Target: 100000, Unit: "$", From: "option"},
	{Text: "Reach 40 leads", Options: map[string]string{"kpi": "web-leads"}, Kind: domain.Reach, Start: 22, Target: 40, Unit: "/day", From: "baseline"},
	{Text: "200 qualifizierte Leads aus organischer Suche", Options: map[string]string{"start": "0"}, Kind: domain.Reach, Start: 0, Target: 200, Unit: "qualifizierte Leads", From: "option"},
	{Text: "Wir erreichen 40 erfolgreiche Test Starts bis zum 10. Dezember 2020", Options: map[string]string{"start": "0"}, Kind: domain.Reach, Start: 0, Target: 40, From: "option"}, // the words are too long for a unit
	// Relative targets: the start comes from the linked KPI, or is asked.
	{Text: "Reduce churn by 20%", Options: map[string]string{"kpi": "churn"}, Kind: domain.Decrease, Start: 3, Target: 2.4, Unit: "%", From: "baseline"},
	{Text: "Increase web leads by 10 per day", Options: map[string]string{"kpi": "web-leads"}, Kind: domain.Increase, Start: 22, Target: 32, Unit: "per day", From: "baseline"},
	{Text: "Increase conversion by 1.5 points", Options: map[string]string{"kpi": "conversion"}, Kind: domain.Increase, Start: 2.5, Target: 4, Unit: "%", From: "baseline"},
	{Text: "Gain 20% more qualified leads", Options: map[string]string{"kpi": "web-leads"}, Kind: domain.Increase, Start: 22, Target: 26.4, Unit: "/day", From: "baseline"},
	{Text: "Double MRR", Options: map[string]string{"kpi": "mrr"}, Kind: domain.Increase, Start: 30000, Target: 60000, Unit: "$", From: "baseline"},
	{Text: "Grow MRR 3x", Options: map[string]string{"kpi": "mrr"}, Kind: domain.Increase, Start: 30000, Target: 90000, Unit: "$", From: "baseline"},
	{Text: "Increase MRR from $40k by 25%", Kind: domain.Increase, Start: 40000, Target: 50000, Unit: "$", From: "text"},
	{Text: "Increase revenue by 15%", Options: map[string]string{"start": "$1.2M"}, Kind: domain.Increase, Start: 1200000, Target: 1380000, Unit: "$", From: "option"},
	{Text: "Reduce response time by 2 hours", Options: map[string]string{"kpi": "response-time"}, Kind: domain.Decrease, Start: 720, Target: 600, Unit: "min", From: "baseline"},
	// Targets with no Start: from the KPI, from an option, or asked.
	{Text: "Grow MRR to 50k", Options: map[string]string{"kpi": "mrr"}, Kind: domain.Increase, Start: 30000, Target: 50000, Unit: "$", From: "baseline"},
	{Text: "Reduce churn to 2%", Options: map[string]string{"kpi": "churn"}, Kind: domain.Decrease, Start: 3, Target: 2, Unit: "%", From: "baseline"},
	{Text: "Increase test coverage to 80%", Options: map[string]string{"start": "62%"}, Kind: domain.Increase, Start: 62, Target: 80, Unit: "%", From: "option"},
	{Text: "Reduce response time to 4h", Options: map[string]string{"kpi": "response-time"}, Kind: domain.Decrease, Start: 720, Target: 240, Unit: "min", From: "baseline"},
	// Options settle what the text leaves open.
	{Text: "Reach 1,000 paying customers in 3 markets", Options: map[string]string{"target": "1000", "start": "640"}, Kind: domain.Reach, Start: 640, Target: 1000, Unit: "paying customers", From: "option"},
	{Text: "Achieve SOC 2 compliance", Options: map[string]string{"milestone": ""}, Kind: domain.Milestone},
	{Text: "Reach NPS 60", Options: map[string]string{"start": "40"}, Kind: domain.Reach, Start: 40, Target: 60, From: "option"},
	{Text: "Grow MRR to 50k", Options: map[string]string{"start": "30k", "unit": "$"}, Kind: domain.Increase, Start: 30000, Target: 50000, Unit: "$", From: "option"},
	// Scores out of 10 or 5, halves, and what QA found guessed (QA-1 #10).
	{Text: "Increase employee engagement score from 6.5/10 to 8/10", Kind: domain.Increase, Start: 6.5, Target: 8, Unit: "/10", From: "text"},
	{Text: "Raise CSAT from 4.1/5 to 4.5/5", Kind: domain.Increase, Start: 4.1, Target: 4.5, Unit: "/5", From: "text"},
	{Text: "Improve app store rating from 3.8/5 to 4.5/5", Kind: domain.Increase, Start: 3.8, Target: 4.5, Unit: "/5", From: "text"},
	{Text: "Increase employee engagement score from 6.5 to 8/10", Kind: domain.Increase, Start: 6.5, Target: 8, Unit: "/10", From: "text"},
	{Text: "Decrease customer complaints by half", Options: map[string]string{"start": "40"}, Kind: domain.Decrease, Start: 40, Target: 20, From: "option"},
	{Text: "Cut response time in half", Options: map[string]string{"kpi": "response-time"}, Kind: domain.Decrease, Start: 720, Target: 360, Unit: "min", From: "baseline"},
	{Text: "Reduce churn by half", Options: map[string]string{"kpi": "churn"}, Kind: domain.Decrease, Start: 3, Target: 1.5, Unit: "%", From: "baseline"},
	{Text: "Sign 3 new enterprise customers with ACV over $100k", Options: map[string]string{"target": "3"}, Kind: domain.Reach, Start: 0, Target: 3, From: "zero"}, // the words are too long for a unit
	{Text: "Achieve 99.9% uptime", Options: map[string]string{"start": "99.5%"}, Kind: domain.Reach, Start: 99.5, Target: 99.9, Unit: "%", From: "option"},
	{Text: "Process at least 95% of tickets within 24 hours", Kind: domain.StayAbove, Target: 95, Unit: "%"},
	{Text: "Keep at least 99.9% uptime", Kind: domain.StayAbove, Target: 99.9, Unit: "%"},
	// More from OKR guides (Perdoo, Whatmatters, Atlassian, Lattice examples).
	{Text: "Increase average deal size from $25k to $40k", Kind: domain.Increase, Start: 25000, Target: 40000, Unit: "$", From: "text"},
	{Text: "Reduce cost per acquisition from $150 to $100", Kind: domain.Decrease, Start: 150, Target: 100, Unit: "$", From: "text"},
	{Text: "Grow newsletter subscribers from 5,000 to 12,000", Kind: domain.Increase, Start: 5000, Target: 12000, From: "text"},
	{Text: "Reduce bug backlog from 120 to 40 bugs", Kind: domain.Decrease, Start: 120, Target: 40, Unit: "bugs", From: "text"},
	{Text: "Increase trial-to-paid conversion from 12% to 18%", Kind: domain.Increase, Start: 12, Target: 18, Unit: "%", From: "text"},
	{Text: "Grow revenue from 1,5 M€ to 2 M€", Kind: domain.Increase, Start: 1.5e6, Target: 2e6, Unit: "€", From: "text"},
	// Units as QA-1 #27 found them dropped.
	{Text: "Cut AWS bill from $20k/month to $15k/month", Kind: domain.Decrease, Start: 20000, Target: 15000, Unit: "$/month", From: "text"},
	{Text: "Have 100 customers using feature X", Options: map[string]string{"start": "0"}, Kind: domain.Reach, Start: 0, Target: 100, Unit: "customers", From: "option"},
	{Text: "At least 10 customer interviews per month", Kind: domain.StayAbove, Target: 10, Unit: "per month"},
	{Text: "Get 10 new customers per month", Kind: domain.Reach, Start: 0, Target: 10, Unit: "per month", From: "zero"},
	{Text: "Book 20 demos per week", Kind: domain.Reach, Start: 0, Target: 20, Unit: "demos per week", From: "zero"},
	{Text: "Reduce onboarding time from 3 weeks to 1 week", Kind: domain.Decrease, Start: 3, Target: 1, Unit: "week", From: "text"},
	{Text: "Grow ARR from 120,000USD to 150,000USD", Kind: domain.Increase, Start: 120000, Target: 150000, Unit: "USD", From: "text"},
	// A rate at one end is the other's too; "monthly" before a noun names
	// what is counted, not a rate.
	{Text: "Increase MRR from $10k to $20k monthly", Kind: domain.Increase, Start: 10000, Target: 20000, Unit: "$/month", From: "text"},
	{Text: "Grow revenue from €20k to €50k per month by March", Kind: domain.Increase, Start: 20000, Target: 50000, Unit: "€/month", From: "text"},
	{Text: "Increase MRR from $10k/month to $20k", Kind: domain.Increase, Start: 10000, Target: 20000, Unit: "$/month", From: "text"},
	{Text: "Reach 10,000 monthly active users", Options: map[string]string{"start": "6000"}, Kind: domain.Reach, Start: 6000, Target: 10000, Unit: "monthly active users", From: "option"},
	{Text: "Go from 12 to 30 weekly demos", Kind: domain.Increase, Start: 12, Target: 30, Unit: "weekly demos", From: "text"},
	{Text: "Increase demos from 10 weekly to 30 weekly", Kind: domain.Increase, Start: 10, Target: 30, Unit: "weekly", From: "text"},
	// "A to B" without "from", as people jot it down; a range of counted things is asked.
	{Text: "grow weekly active teams 120 to 200", Kind: domain.Increase, Start: 120, Target: 200, From: "text"},
	{Text: "Cut churn 3% to 2% by March", Kind: domain.Decrease, Start: 3, Target: 2, Unit: "%", From: "text"},
	{Text: "Increase signups 120 to 200 per week", Kind: domain.Increase, Start: 120, Target: 200, Unit: "per week", From: "text"},
	{Text: "Hire 2 to 3 engineers", Code: domain.EAMBIGUOUS},
	// A reach with no start (ask-start): counted from 0 only when what it
	// counts are new things won or done in the cycle (a verb of doing or
	// winning, or "new"); a level (NPS, MRR, a score, a rating, a time), a
	// total (Reach 10,000 users) or a weak verb (get) is asked. From
	// Perdoo's, Whatmatters', Atlassian's, Lattice's, Gtmhub's and
	// Betterworks' example lists.
	{Text: "Sign 50 new customers", Kind: domain.Reach, Start: 0, Target: 50, Unit: "new customers", From: "zero"},
	{Text: "Hire 5 engineers", Kind: domain.Reach, Start: 0, Target: 5, Unit: "engineers", From: "zero"},
	{Text: "Onboard 20 new clients", Kind: domain.Reach, Start: 0, Target: 20, Unit: "new clients", From: "zero"},
	{Text: "Acquire 1,000 new users", Kind: domain.Reach, Start: 0, Target: 1000, Unit: "new users", From: "zero"},
	{Text: "Launch 4 new campaigns", Kind: domain.Reach, Start: 0, Target: 4, Unit: "new campaigns", From: "zero"},
	{Text: "Close 15 new deals in EMEA", Kind: domain.Reach, Start: 0, Target: 15, Unit: "new deals", From: "zero"},
	{Text: "Win 10 new logos", Kind: domain.Reach, Start: 0, Target: 10, Unit: "new logos", From: "zero"},
	{Text: "Publish 8 case studies", Kind: domain.Reach, Start: 0, Target: 8, Unit: "case studies", From: "zero"},
	{Text: "Run 12 customer interviews", Kind: domain.Reach, Start: 0, Target: 12, Unit: "customer interviews", From: "zero"},
	{Text: "Reach 500 new subscribers", Kind: domain.Reach, Start: 0, Target: 500, Unit: "new subscribers", From: "zero"},
	{Text: "Generate 200 new qualified leads", Kind: domain.Reach, Start: 0, Target: 200, Unit: "new qualified leads", From: "zero"},
	{Text: "Close $500k in new business", Kind: domain.Reach, Start: 0, Target: 500000, Unit: "$", From: "zero"},
	{Text: "Book $2M in new ARR", Kind: domain.Reach, Start: 0, Target: 2e6, Unit: "$", From: "zero"},
	{Text: "Hire 5 full-time engineers", Kind: domain.Reach, Start: 0, Target: 5, Unit: "full-time engineers", From: "zero"},
	{Text: "Resolve 300 support tickets", Kind: domain.Reach, Start: 0, Target: 300, Unit: "support tickets", From: "zero"},
	{Text: "5 neue Entwickler einstellen", Kind: domain.Reach, Start: 0, Target: 5, Unit: "neue Entwickler", From: "zero"},
	{Text: "Hit $100k MRR", Options: map[string]string{"kpi": "mrr"}, Kind: domain.Reach, Start: 30000, Target: 100000, Unit: "$", From: "baseline"},
	{Text: "Achieve a CSAT of 4.5", Options: map[string]string{"start": "4.1"}, Kind: domain.Reach, Start: 4.1, Target: 4.5, From: "option"},
	{Text: "Reach 10,000 active users", Options: map[string]string{"start": "0"}, Kind: domain.Reach, Start: 0, Target: 10000, Unit: "active users", From: "option"},

	// Milestones.
	{Text: "Hire a VP of sales for Europe", Kind: domain.Milestone},
	{Text: "  Launch   the   mobile app  ", Kind: domain.Milestone},
	{Text: "Launch v2 of the billing page", Kind: domain.Milestone},
	{Text: "Enable 2FA for all employees", Kind: domain.Milestone},
	{Text: "Win “enterprise” deals in the Nordics", Kind: domain.Milestone},
	{Text: "Offer 24/7 support", Kind: domain.Milestone},

	// Asked, never guessed.
	{Text: "Increase revenue from 1.200 to 1.500", Code: domain.EAMBIGUOUS},                                        // 1.2 or 1200?
	{Text: "Reduce build time from 12m to 8m", Code: domain.EAMBIGUOUS},                                            // minutes or millions?
	{Text: "Keep uptime at 99.9%", Code: domain.EAMBIGUOUS},                                                        // above or below?
	{Text: "Maintain 99.9% uptime", Code: domain.EAMBIGUOUS},                                                       // above or below?
	{Text: "Grow MRR to 50k", Code: domain.EAMBIGUOUS},                                                             // from where?
	{Text: "Reduce churn to 2%", Code: domain.EAMBIGUOUS},                                                          // from where?
	{Text: "Increase test coverage to 80%", Code: domain.EAMBIGUOUS},                                               // from where?
	{Text: "Reduce churn by 30%", Code: domain.EAMBIGUOUS},                                                         // 30% of what?
	{Text: "Reduce tech debt by 30%", Code: domain.EAMBIGUOUS},                                                     // 30% of what?
	{Text: "Increase landing page conversion rate by 15%", Code: domain.EAMBIGUOUS},                                // of what?
	{Text: "NPS (Net Promoter Score) up 50 over previous quarter", Code: domain.EAMBIGUOUS},                        // up from what?
	{Text: "Increase conversion by 15%", Options: map[string]string{"kpi": "conversion"}, Code: domain.EAMBIGUOUS}, // points, or 15% of 2.5%?
	{Text: "Improve response time by 20%", Options: map[string]string{"start": "10h"}, Code: domain.EAMBIGUOUS},    // up or down?
	{Text: "Reach 1,000 paying customers in 3 markets", Code: domain.EAMBIGUOUS},                                   // which number?
	{Text: "Complete 3 of 5 migrations", Code: domain.EAMBIGUOUS},                                                  // which number?
	{Text: "Achieve SOC 2 compliance", Code: domain.EAMBIGUOUS},                                                    // a name or a target?
	{Text: "Get ISO 27001 certified", Code: domain.EAMBIGUOUS},                                                     // a name or a target?
	{Text: "Boost signups 20%", Code: domain.EAMBIGUOUS},                                                           // by or to?
	{Text: "Ensure 95% of tickets are answered within 24h", Code: domain.EAMBIGUOUS},                               // which number is the line?
	{Text: "Ensure at least 95% of tickets are answered within 24h", Kind: domain.StayAbove, Target: 95, Unit: "%"},
	{Text: "Decrease customer complaints by half", Code: domain.EAMBIGUOUS},                // half of what?
	{Text: "Sign 3 new enterprise customers with ACV over $100k", Code: domain.EAMBIGUOUS}, // which number is the target?
	{Text: "Achieve 99.9% uptime", Code: domain.EAMBIGUOUS},                                // from where, or a line to hold?
	{Text: "Process 95% of tickets within 24 hours", Code: domain.EAMBIGUOUS},              // from where, or a line to hold?
	{Text: "Close 5 deals worth more than $50k each", Code: domain.EAMBIGUOUS},             // which number is the target?
	{Text: "Get 80% of employees to complete security training", Code: domain.EAMBIGUOUS},  // from where?
	{Text: "Increase visits by 30% to 50,000 visits", Code: domain.EAMBIGUOUS},             // from where?
	{Text: "Grow revenue from 1 to 2M€", Code: domain.EAMBIGUOUS},                          // 1 € or 1M€?
	{Text: "Grow revenue from 1 to 2M€", Options: map[string]string{"start": "1"}, Kind: domain.Increase, Start: 1, Target: 2e6, Unit: "€", From: "option"},

	// A level or a total to reach with no start: from where, or a line to
	// hold (ask-start).
	{Text: "Reach NPS 60", Code: domain.EAMBIGUOUS},
	{Text: "Hit $100k MRR by 2026-12-31", Code: domain.EAMBIGUOUS},
	{Text: "Get ARR to $2M", Code: domain.EAMBIGUOUS},
	{Text: "Achieve a CSAT of 4.5", Code: domain.EAMBIGUOUS},
	{Text: "Reach 40% activation", Code: domain.EAMBIGUOUS},
	{Text: "Reach $1M ARR", Code: domain.EAMBIGUOUS},
	{Text: "Reach an eNPS of 40", Code: domain.EAMBIGUOUS},
	{Text: "Achieve an average deal size of $40k", Code: domain.EAMBIGUOUS},
	{Text: "Hit a 4.8 app store rating", Code: domain.EAMBIGUOUS},
	{Text: "Achieve a customer satisfaction score of 90", Code: domain.EAMBIGUOUS},
	{Text: "Reach 10,000 monthly active users", Code: domain.EAMBIGUOUS},
	{Text: "Reach 1,000 paying customers", Code: domain.EAMBIGUOUS},
	{Text: "Hit 1 million downloads", Code: domain.EAMBIGUOUS},
	{Text: "Get 500 reviews on G2", Code: domain.EAMBIGUOUS},
	{Text: "Generate $1M in revenue", Code: domain.EAMBIGUOUS},
	{Text: "Earn 4.5 stars on the App Store", Code: domain.EAMBIGUOUS},
	{Text: "Achieve $50 average order value", Code: domain.EAMBIGUOUS},
	{Text: "Hit 200 ms p95 latency", Code: domain.EAMBIGUOUS},
	{Text: "Reach MRR of $50k", Code: domain.EAMBIGUOUS},
	{Text: "Reach 25,000 newsletter subscribers", Code: domain.EAMBIGUOUS},
	{Text: "Have 100 customers using feature X", Code: domain.EAMBIGUOUS},
	{Text: "200 qualifizierte Leads aus organischer Suche", Code: domain.EAMBIGUOUS},
	{Text: "Wir erreichen 40 erfolgreiche Test Starts bis zum 10. Dezember 2020", Code: domain.EAMBIGUOUS},
	{Text: "Complete 40 hours of training", Kind: domain.Reach, Start: 0, Target: 40, Unit: "hours", From: "zero"},
	{Text: "Add $20k in new MRR", Kind: domain.Reach, Start: 0, Target: 20000, Unit: "$", From: "zero"},
	{Text: "Gain 500 followers on LinkedIn", Kind: domain.Reach, Start: 0, Target: 500, Unit: "followers", From: "zero"},
	{Text: "Launch the new plan at a price of $49", Code: domain.EAMBIGUOUS},
	{Text: "Reach a Lighthouse performance score of 95", Code: domain.EAMBIGUOUS},
	{Text: "Attain 5,000 daily active users", Code: domain.EAMBIGUOUS},
	{Text: "Hit 4.5/5 customer satisfaction", Code: domain.EAMBIGUOUS},
	{Text: "Reach NPS 60", Options: map[string]string{"kpi": "unmeasured"}, Code: domain.EAMBIGUOUS}, // the KPI has no value yet

	// Refused with an example.
	{Text: "Increase web leads from 35 to 22 per day", Code: domain.EINVALID},
	{Text: "Reduce response time from 4h to 12h", Code: domain.EINVALID},
	{Text: "NPS from 40 to 40", Code: domain.EINVALID},
	{Text: "Reduce response time from 12h to 40%", Code: domain.EINVALID},
	{Text: "Increase NPS from 40 to 60 and CSAT from 80 to 90", Code: domain.EINVALID},
	{Text: "NPS from 1 to 99999999999999999999", Code: domain.EINVALID},
	{Text: "Reach 40 leads", Options: map[string]string{"kpi": "conversion", "unit": "h"}, Code: domain.EINVALID},
	{Text: "Hire 5 engineers", Options: map[string]string{"start": "8"}, Code: domain.EINVALID},           // hiring only goes up (ask-start)
	{Text: "Add 10 leads per day", Options: map[string]string{"kpi": "web-leads"}, Code: domain.EINVALID}, // not a decrease from 22/day to 10/day
	{Text: "Add $20k MRR", Options: map[string]string{"start": "70k"}, Code: domain.EINVALID},             // not a decrease from $70k to $20k
	{Text: "Keep churn below 2%", Options: map[string]string{"start": "3"}, Code: domain.EINVALID},
	{Text: "Decrease average handle time from 6:30 to 5:00", Code: domain.EINVALID}, // minutes:seconds or hours:minutes?
	{Text: "", Code: domain.EINVALID},
}
