//! The verdict of a run: the anomalies the checkers found, split into failures and the kinds
//! the scenario expects (for example lost writes on a node that does not fsync), plus whether
//! the liveness phase converged. A run passes only with no failure and a live cluster.

use crate::checker::Anomaly;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Anomalies of kinds the scenario does not allow.
    pub failures: Vec<Anomaly>,
    /// Anomalies of allowed kinds: reported, not failures.
    pub expected: Vec<Anomaly>,
    /// Why the liveness phase did not converge, if it did not.
    pub liveness: Option<String>,
}

impl Verdict {
    pub fn judge(anomalies: Vec<Anomaly>, allow: &[String], liveness: Option<String>) -> Self {
        let (expected, failures) = anomalies
            .into_iter()
            .partition(|anomaly| allow.iter().any(|kind| kind == anomaly.checker));
        Verdict {
            failures,
            expected,
            liveness,
        }
    }

    pub fn passed(&self) -> bool {
        self.failures.is_empty() && self.liveness.is_none()
    }

    /// One word.
    pub fn word(&self) -> &'static str {
        if self.passed() {
            "PASS"
        } else {
            "FAIL"
        }
    }

    /// The failing checkers' names, deduplicated, in order of first appearance.
    pub fn failing_checkers(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Vec::new();
        for anomaly in &self.failures {
            if !names.contains(&anomaly.checker) {
                names.push(anomaly.checker);
            }
        }
        if self.liveness.is_some() {
            names.push("liveness");
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anomaly(checker: &'static str) -> Anomaly {
        Anomaly {
            checker,
            detail: "x".into(),
        }
    }

    #[test]
    fn allowed_kinds_are_expected_and_everything_else_fails() {
        let allow = vec!["lost-write".to_string()];
        let verdict = Verdict::judge(vec![anomaly("lost-write")], &allow, None);
        assert!(verdict.passed());
        assert_eq!(verdict.expected.len(), 1);
        let verdict = Verdict::judge(
            vec![anomaly("lost-write"), anomaly("duplicate")],
            &allow,
            None,
        );
        assert!(!verdict.passed());
        assert_eq!(verdict.failing_checkers(), vec!["duplicate"]);
        let verdict = Verdict::judge(Vec::new(), &allow, Some("node n1 down".into()));
        assert!(!verdict.passed());
        assert_eq!(verdict.failing_checkers(), vec!["liveness"]);
    }
}
