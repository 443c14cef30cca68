/// What `localrouter usage --by` groups by; no grouping gives totals only.
package enum UsageGrouping: String, CaseIterable, Sendable {
    case key, model, provider, day
}
