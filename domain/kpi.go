package domain

import "time"

// Health is the state of a KPI.
type Health string

// KPI health states. Unknown: never measured. Stale: no value for 1.5× its cadence.
const (
	HealthUnknown Health = "unknown"
	HealthGreen   Health = "green"
	HealthYellow  Health = "yellow"
	HealthRed     Health = "red"
	HealthStale   Health = "stale"
)

// Rank orders health states for sorting: red first.
func (h Health) Rank() int {
	switch h {
	case HealthRed:
		return 0
	case HealthYellow:
		return 1
	case HealthStale:
		return 2
	case HealthUnknown, "":
		return 3
	}
	return 4
}

// StaleFactor: a KPI with no value for this many cadences is stale.
const StaleFactor = 1.5

// HealthOf judges the KPI's latest value at now.
func (k KPI) HealthOf(now time.Time) Health {
	if k.Latest == nil {
		return HealthUnknown
	}
	if now.After(k.StaleAt()) {
		return HealthStale
	}
	return k.Judge(k.Latest.Value)
}

// StaleAt is the moment after which the KPI's latest value is too old
// (StaleFactor cadences); zero when it has no value.
func (k KPI) StaleAt() time.Time {
	if k.Latest == nil {
		return time.Time{}
	}
	return k.Latest.At.Add(time.Duration(StaleFactor * float64(k.Cadence.Period())))
}

// Judge returns the colour of value by the KPI's direction and thresholds.
// Higher is better: red under alert, yellow under warn (or under target when
// no warn is set), else green. Lower is better mirrors it.
func (k KPI) Judge(v float64) Health {
	worse := func(x, limit float64) bool {
		if k.Direction == LowerIsBetter {
			return x > limit
		}
		return x < limit
	}
	switch {
	case k.Alert != nil && worse(v, *k.Alert):
		return HealthRed
	case k.Warn != nil && worse(v, *k.Warn):
		return HealthYellow
	case k.Warn == nil && k.Target != nil && worse(v, *k.Target):
		return HealthYellow
	}
	return HealthGreen
}

// Validate checks a KPI definition: a slug, a name, and thresholds that are in
// order for its direction (alert beyond warn, warn not beyond target).
func (k KPI) Validate() error {
	if err := ValidateSlug(k.Slug); err != nil {
		return err
	}
	if err := ValidateText("name", k.Name, MaxNameLen, true); err != nil {
		return err
	}
	if err := ValidateText("unit", k.Unit, MaxUnitLen, false); err != nil {
		return err
	}
	if k.Direction != HigherIsBetter && k.Direction != LowerIsBetter {
		return Invalid(`/kpi create nps "Net promoter score" higher`, "Direction must be higher or lower.")
	}
	switch k.Cadence {
	case Daily, Weekly, Monthly:
	default:
		return Invalid(`/kpi create leads "Web leads" every day`, "Cadence must be every day, week or month.")
	}
	before := func(a, b *float64) bool { // a is on the bad side of b, or equal
		if a == nil || b == nil {
			return true
		}
		if k.Direction == LowerIsBetter {
			return *a >= *b
		}
		return *a <= *b
	}
	if !before(k.Alert, k.Warn) || !before(k.Warn, k.Target) || !before(k.Alert, k.Target) {
		if k.Direction == LowerIsBetter {
			return Invalid(`/kpi create churn "Monthly churn" unit % lower target 2 warn 3 alert 5`,
				"For a lower-is-better KPI the thresholds must be target ≤ warn ≤ alert.")
		}
		return Invalid(`/kpi create leads "Web leads" higher target 35 warn 25 alert 15`,
			"For a higher-is-better KPI the thresholds must be alert ≤ warn ≤ target.")
	}
	return nil
}
