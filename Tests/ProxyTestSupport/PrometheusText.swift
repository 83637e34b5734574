/// Reads a Prometheus text exposition the way a scraper sees it, for tests.
public enum PrometheusText {
    /// Every sample: `name{labels}` (everything before the value) to its value; comments skipped.
    public static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }
}
