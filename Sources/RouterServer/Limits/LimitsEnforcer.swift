import Foundation
import Logging
import RouterCore
import Synchronization

/// Per-key rate limits and budgets for the whole daemon. One lock; every operation is a few
/// dictionary updates (no I/O under it: the ledger file only queues a line).
///
/// Budget order of events: reserve the worst case → send → settle the real cost. Reservations
/// count against the budget while requests run, so concurrent requests cannot overspend it.
package final class LimitsEnforcer: Sendable {
    package typealias Instant = ContinuousClock.Instant

    /// Appended lines after which the ledger file is rewritten as daily totals.
    package static let compactionThreshold = 10_000

    private let now: @Sendable () -> Instant
    private let date: @Sendable () -> Date
    private let calendar: LocalCalendar
    private let journal: SpendJournal?
    private let state: Mutex<State>

    private struct RateEntry {
        var requestsPerMinute: Int
        var tokensPerMinute: Int
        var limiter: KeyRateLimiter
    }

    private struct LedgerEntry {
        var budget: KeyLimits.Budget
        var ledger: BudgetLedger
        var generation: UInt64
    }

    private struct State {
        var rates: [String: RateEntry] = [:]
        var ledgers: [String: LedgerEntry] = [:]
        var history: SpendHistory
        var nextGeneration: UInt64 = 1
    }

    /// `replaying` is spend from before this process (the ledger file's content).
    package init(
        journal: SpendJournal? = nil,
        replaying spends: [SpendHistory.Entry] = [],
        calendar: LocalCalendar = .system,
        now: @escaping @Sendable () -> Instant = { ContinuousClock.now },
        date: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.journal = journal
        self.calendar = calendar
        self.now = now
        self.date = date
        var history = SpendHistory(calendar: calendar)
        for entry in spends { history.add(entry) }
        history.prune(now: date())
        self.state = Mutex(State(history: history))
    }

    /// Limits whose spend lives in `<stateDirectory>/spend.jsonl`: replayed now, so a restart or
    /// a crash never resets a budget, and compacted to daily totals when it holds more lines.
    package static func persistent(
        stateDirectory: String,
        logger: Logger,
        calendar: LocalCalendar = .system,
        now: @escaping @Sendable () -> Instant = { ContinuousClock.now },
        date: @escaping @Sendable () -> Date = { Date() }
    ) throws -> LimitsEnforcer {
        let journal = try SpendJournal(directory: stateDirectory, logger: logger)
        let loaded = try journal.load()
        if loaded.skippedLines > 0 {
            logger.warning("skipped unreadable lines in the spend ledger", metadata: ["file": "\(journal.path)", "lines": "\(loaded.skippedLines)"])
        }
        let enforcer = LimitsEnforcer(journal: journal, replaying: loaded.entries, calendar: calendar, now: now, date: date)
        let history = enforcer.state.withLock { $0.history }
        if journal.linesSinceCompaction > history.count { journal.compact(to: history.entries) }
        return enforcer
    }

    /// Reserves the budget, then checks the rate limits; consumes nothing when either refuses.
    package func admit(_ limits: KeyLimits, estimate: TokenEstimate, worstCaseCost: Double) -> Result<LimitAdmission, LimitRejection> {
        let instant = now()
        let today = date()
        return state.withLock { state -> Result<LimitAdmission, LimitRejection> in
            var reservation: BudgetReservation?
            var generation: UInt64 = 0
            if let budget = limits.budget {
                var entry = ledger(for: limits.keyName, budget: budget, state: &state)
                switch entry.ledger.reserve(worstCaseCost, now: today) {
                case .reserved(let reserved):
                    reservation = reserved
                case .rejected(let remaining, let resetsAt):
                    state.ledgers[limits.keyName] = entry
                    return .failure(Self.budgetRejection(limits, budget: budget, remaining: remaining, cost: worstCaseCost, resetsAt: resetsAt, now: today))
                }
                generation = entry.generation
                state.ledgers[limits.keyName] = entry
            }

            var headers: [(name: String, value: String)] = []
            var charged = 0
            if limits.hasRateLimits {
                var entry = rateEntry(for: limits, state: &state)
                let decision = entry.limiter.check(estimatedTokens: estimate.rateTokens, now: instant)
                state.rates[limits.keyName] = entry
                guard decision.allowed else {
                    if let reservation { state.ledgers[limits.keyName]?.ledger.release(reservation) }
                    return .failure(Self.rateRejection(limits, decision: decision, estimate: estimate))
                }
                headers = decision.headerFields
                charged = entry.limiter.tokens == nil ? 0 : estimate.rateTokens
                if state.rates.count > 256 { state.rates = state.rates.filter { !$0.value.limiter.isIdle(now: instant) } }
            } else {
                state.rates[limits.keyName] = nil
            }
            return .success(
                LimitAdmission(
                    keyName: limits.keyName, chargedTokens: charged, reservation: reservation, ledgerGeneration: generation,
                    headerFields: headers, admittedAt: instant))
        }
    }

    /// The request ended: charge its real tokens and cost. `actualTokens` nil keeps the estimate;
    /// `cost` is what it cost (0 when unknown or free).
    package func settle(_ admission: LimitAdmission, actualTokens: Int?, cost: Double) {
        let instant = now()
        let today = date()
        let cost = cost.isFinite ? max(0, cost) : 0
        state.withLock { state in
            if admission.chargedTokens > 0, let actualTokens {
                state.rates[admission.keyName]?.limiter.settleTokens(estimated: admission.chargedTokens, actual: actualTokens, now: instant)
            }
            if var entry = state.ledgers[admission.keyName] {
                if let reservation = admission.reservation, entry.generation == admission.ledgerGeneration {
                    entry.ledger.settle(reservation, actualCost: cost, now: today)
                } else {
                    entry.ledger.record(spend: cost, at: today)
                }
                state.ledgers[admission.keyName] = entry
            }
            guard cost > 0, admission.keyName != KeyLimits.anonymousName else { return }
            let spend = SpendHistory.Entry(keyName: admission.keyName, at: today, usd: cost)
            state.history.add(spend)
            if let journal {
                journal.append(spend)
                if journal.linesSinceCompaction > Self.compactionThreshold {
                    state.history.prune(now: today)
                    journal.compact(to: state.history.entries)
                }
            }
        }
    }

    /// The request never reached an upstream and never will (abandoned): free its reservation.
    package func release(_ admission: LimitAdmission) {
        guard let reservation = admission.reservation else { return }
        state.withLock { state in
            guard state.ledgers[admission.keyName]?.generation == admission.ledgerGeneration else { return }
            state.ledgers[admission.keyName]?.ledger.release(reservation)
        }
    }

    package struct BudgetStatus: Sendable, Equatable {
        package var keyName: String
        package var period: BudgetLedger.Period
        package var budgetUSD: Double
        package var spentUSD: Double
        package var reservedUSD: Double
    }

    /// Every key with a budget seen since start, for `/metrics`.
    package func budgetStatuses() -> [BudgetStatus] {
        let today = date()
        return state.withLock { state in
            state.ledgers.map { key, entry in
                BudgetStatus(
                    keyName: key, period: entry.budget.period, budgetUSD: entry.budget.usd, spentUSD: entry.ledger.spent(at: today),
                    reservedUSD: entry.ledger.reserved)
            }.sorted { $0.keyName < $1.keyName }
        }
    }

    /// USD a key has spent in the period containing now.
    package func spent(keyName: String, period: BudgetLedger.Period) -> Double {
        let today = date()
        return state.withLock { state in
            var ledger = BudgetLedger(budget: .infinity, period: period, calendar: calendar)
            for entry in state.history.entries(for: keyName) { ledger.record(spend: entry.usd, at: entry.at) }
            return ledger.spent(at: today)
        }
    }

    /// Writes queued ledger lines and stops (graceful shutdown).
    package func close() {
        journal?.close()
    }

    /// Returns once every settled spend so far is on disk.
    package func waitUntilDurable() {
        journal?.waitUntilDurable()
    }

    // MARK: State helpers (called under the lock)

    private func ledger(for keyName: String, budget: KeyLimits.Budget, state: inout State) -> LedgerEntry {
        if let entry = state.ledgers[keyName], entry.budget == budget { return entry }
        // New, or its budget changed (a reload, a rotated key): rebuild from the spend history.
        var ledger = BudgetLedger(budget: budget.usd, period: budget.period, calendar: calendar)
        for spend in state.history.entries(for: keyName) { ledger.record(spend: spend.usd, at: spend.at) }
        defer { state.nextGeneration += 1 }
        return LedgerEntry(budget: budget, ledger: ledger, generation: state.nextGeneration)
    }

    private func rateEntry(for limits: KeyLimits, state: inout State) -> RateEntry {
        if let entry = state.rates[limits.keyName], entry.requestsPerMinute == limits.requestsPerMinute,
            entry.tokensPerMinute == limits.tokensPerMinute
        {
            return entry
        }
        return RateEntry(
            requestsPerMinute: limits.requestsPerMinute, tokensPerMinute: limits.tokensPerMinute,
            limiter: KeyRateLimiter(requestsPerMinute: limits.requestsPerMinute, tokensPerMinute: limits.tokensPerMinute))
    }

    // MARK: Rejections

    private static func rateRejection(_ limits: KeyLimits, decision: KeyLimitDecision, estimate: TokenEstimate) -> LimitRejection {
        let byRequests = decision.requests.map { !$0.allowed } ?? false
        let rejecting = byRequests ? decision.requests! : decision.tokens!
        let unit = byRequests ? "requests per min (RPM)" : "tokens per min (TPM)"
        let requested = byRequests ? 1 : estimate.rateTokens
        var message = "Rate limit reached for key '\(limits.keyName)' on \(unit): Limit \(rejecting.limit), Remaining \(rejecting.remaining), Requested \(requested)."
        if let retryAfter = decision.retryAfter {
            message += " Please try again in \(LimitDecision.formatReset(retryAfter))."
        } else {
            message += " This request is larger than the whole limit; lower max_tokens or the prompt."
        }
        return LimitRejection(
            limit: byRequests ? .requests : .tokens, message: message,
            headerFields: decision.headerFields.map { .init(name: $0.name, value: $0.value) })
    }

    private static func budgetRejection(
        _ limits: KeyLimits, budget: KeyLimits.Budget, remaining: Double, cost: Double, resetsAt: Date, now: Date
    ) -> LimitRejection {
        let seconds = max(1, Int(resetsAt.timeIntervalSince(now).rounded(.up)))
        let message =
            "Budget exhausted for key '\(limits.keyName)': \(usd(remaining)) of \(usd(budget.usd)) per \(budget.period.rawValue) "
            + "is left unspent and unreserved, and this request may cost up to \(usd(cost)). The budget resets in \(LimitDecision.formatReset(.seconds(seconds)))."
        return LimitRejection(limit: .budget, message: message, headerFields: [.init(name: "retry-after", value: String(seconds))])
    }

    private static func usd(_ amount: Double) -> String {
        "$" + String(format: "%.4f", amount)
    }
}
