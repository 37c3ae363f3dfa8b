//! Reading the Prometheus text exposition a host serves at `/metrics`: the
//! value of a family summed over the series whose labels match.

use std::collections::BTreeMap;

/// One sample line: its name, labels and value.
fn sample(line: &str) -> Option<(&str, BTreeMap<&str, &str>, f64)> {
    if line.starts_with('#') || line.trim().is_empty() {
        return None;
    }
    let (series, value) = line.rsplit_once(' ')?;
    let value = value.parse().ok()?;
    let Some((name, rest)) = series.split_once('{') else {
        return Some((series, BTreeMap::new(), value));
    };
    let mut labels = BTreeMap::new();
    for pair in rest.trim_end_matches('}').split("\",") {
        let (k, v) = pair.split_once("=\"")?;
        labels.insert(k.trim_start_matches(','), v.trim_end_matches('"'));
    }
    Some((name, labels, value))
}

/// The sum of `name`'s samples whose labels include every one of `want`
/// (`None` when there is no such sample at all).
pub fn sum(text: &str, name: &str, want: &[(&str, &str)]) -> Option<f64> {
    let mut found = None;
    for (n, labels, v) in text.lines().filter_map(sample) {
        if n == name && want.iter().all(|(k, w)| labels.get(k) == Some(w)) {
            *found.get_or_insert(0.0) += v;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_the_matching_series() {
        let text = "# HELP x_total X.\n# TYPE x_total counter\n\
            x_total{a=\"1\",b=\"2\"} 3\nx_total{a=\"1\",b=\"3\"} 4\nx_total{a=\"2\",b=\"2\"} 5\ny 7\n";
        assert_eq!(sum(text, "x_total", &[("a", "1")]), Some(7.0));
        assert_eq!(sum(text, "x_total", &[("b", "2")]), Some(8.0));
        assert_eq!(sum(text, "x_total", &[]), Some(12.0));
        assert_eq!(sum(text, "y", &[]), Some(7.0));
        assert_eq!(sum(text, "x_total", &[("a", "9")]), None);
    }
}
