import Foundation

/// A strict reader of the Prometheus text exposition format 0.0.4, for tests: it rejects what
/// a Prometheus server would reject, and what the format says must not happen (a family's
/// samples split up or before its TYPE, duplicate series, non-cumulative histogram buckets).
struct MetricsTextParser {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct Family {
        var name: String
        var type: String
        var help: String?
        var samples: [Sample] = []
    }

    struct Problem: Error, CustomStringConvertible {
        var line: Int
        var message: String
        var description: String { "line \(line): \(message)" }
    }

    static func parse(_ text: String) throws -> [String: Family] {
        var families: [String: Family] = [:]
        var order: [String] = []
        var seenSeries = Set<String>()
        var current: String?
        guard text.isEmpty || text.hasSuffix("\n") else { throw Problem(line: 0, message: "no final newline") }
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let number = index + 1
            if line.isEmpty { continue }
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(parts[0])
                guard isMetricName(name) else { throw Problem(line: number, message: "bad metric name \(name)") }
                let rest = parts.count > 1 ? String(parts[1]) : ""
                if families[name] == nil {
                    guard !order.contains(name) else { throw Problem(line: number, message: "family \(name) split") }
                    families[name] = Family(name: name, type: "untyped")
                    order.append(name)
                }
                if line.hasPrefix("# TYPE ") {
                    guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(rest) else {
                        throw Problem(line: number, message: "bad type \(rest)")
                    }
                    guard families[name]!.samples.isEmpty else { throw Problem(line: number, message: "TYPE after samples of \(name)") }
                    families[name]!.type = rest
                } else {
                    families[name]!.help = rest
                }
                current = name
                continue
            }
            if line.hasPrefix("#") { continue }
            let sample = try parseSample(String(line), line: number)
            let family = try familyName(of: sample.name, current: current, families: families, line: number)
            let series = sample.name + "|" + sample.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            guard seenSeries.insert(series).inserted else { throw Problem(line: number, message: "duplicate series \(series)") }
            families[family]!.samples.append(sample)
        }
        for family in families.values where family.type == "histogram" { try checkHistogram(family) }
        return families
    }

    private static func familyName(of sample: String, current: String?, families: [String: Family], line: Int) throws -> String {
        guard let current, let family = families[current] else { throw Problem(line: line, message: "sample \(sample) without TYPE") }
        if family.type == "histogram" {
            guard ["_bucket", "_sum", "_count"].contains(where: { sample == current + $0 }) else {
                throw Problem(line: line, message: "\(sample) in histogram \(current)")
            }
        } else {
            guard sample == current else { throw Problem(line: line, message: "\(sample) outside its family (in \(current))") }
        }
        return current
    }

    private static func checkHistogram(_ family: Family) throws {
        var groups: [[String: String]: [(Double, Double)]] = [:]
        var counts: [[String: String]: Double] = [:]
        for sample in family.samples {
            var labels = sample.labels
            if sample.name.hasSuffix("_bucket") {
                guard let le = labels.removeValue(forKey: "le"), let bound = le == "+Inf" ? .infinity : Double(le) else {
                    throw Problem(line: 0, message: "bucket without le in \(family.name)")
                }
                groups[labels, default: []].append((bound, sample.value))
            } else if sample.name.hasSuffix("_count") {
                counts[labels] = sample.value
            }
        }
        for (labels, buckets) in groups {
            let sorted = buckets.sorted { $0.0 < $1.0 }
            guard sorted.last?.0 == .infinity else { throw Problem(line: 0, message: "no +Inf bucket in \(family.name)") }
            for (previous, next) in zip(sorted, sorted.dropFirst()) where next.1 < previous.1 {
                throw Problem(line: 0, message: "buckets of \(family.name) not cumulative")
            }
            guard counts[labels] == sorted.last?.1 else { throw Problem(line: 0, message: "+Inf bucket != _count in \(family.name)") }
        }
    }

    private static func parseSample(_ line: String, line number: Int) throws -> Sample {
        var scalars = Substring(line)
        let name = String(scalars.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" })
        guard isMetricName(name) else { throw Problem(line: number, message: "bad sample name in \(line)") }
        scalars = scalars.dropFirst(name.count)
        var labels: [String: String] = [:]
        if scalars.first == "{" {
            scalars = scalars.dropFirst()
            while scalars.first != "}" {
                let label = String(scalars.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
                guard let first = label.first, first.isLetter || first == "_" else { throw Problem(line: number, message: "bad label name") }
                scalars = scalars.dropFirst(label.count)
                guard scalars.hasPrefix("=\"") else { throw Problem(line: number, message: "expected =\" after \(label)") }
                scalars = scalars.dropFirst(2)
                var value = ""
                while true {
                    guard let character = scalars.popFirst() else { throw Problem(line: number, message: "unterminated label value") }
                    if character == "\"" { break }
                    if character == "\\" {
                        switch scalars.popFirst() {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw Problem(line: number, message: "bad escape")
                        }
                    } else {
                        value.append(character)
                    }
                }
                guard labels.updateValue(value, forKey: label) == nil else { throw Problem(line: number, message: "label \(label) twice") }
                if scalars.first == "," { scalars = scalars.dropFirst() } else if scalars.first != "}" {
                    throw Problem(line: number, message: "expected , or }")
                }
            }
            scalars = scalars.dropFirst()
        }
        guard scalars.first == " " else { throw Problem(line: number, message: "expected a space before the value") }
        let fields = scalars.dropFirst().split(separator: " ")
        guard (1...2).contains(fields.count) else { throw Problem(line: number, message: "bad value/timestamp in \(line)") }
        let text = String(fields[0])
        let value: Double? =
            switch text {
            case "+Inf": .infinity
            case "-Inf": -.infinity
            case "NaN": .nan
            default: Double(text)
            }
        guard let value else { throw Problem(line: number, message: "bad value \(text)") }
        return Sample(name: name, labels: labels, value: value)
    }

    private static func isMetricName(_ name: String) -> Bool {
        guard let first = name.first, first.isLetter || first == "_" || first == ":" else { return false }
        return name.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" || $0 == ":" }
    }
}

extension MetricsTextParser.Family {
    /// The value of the one sample with these labels (and any others).
    func value(_ labels: [String: String], suffix: String = "") -> Double? {
        samples.first { sample in sample.name == name + suffix && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
    }
}
