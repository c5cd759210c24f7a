//! `routes`: where a call goes when its target is throttled or down. Each model id (or `*`,
//! any model) names further targets, each a model id or `region/model id` (`*` standing for
//! the called model); a call tries its own target first, then those in order, moving on only
//! for what another Region or profile can fix (see [`fails_over`]), after that target's
//! retries. Each target has a circuit breaker: after [`FAILURES_TO_OPEN`] such failures in a
//! row it is skipped for the cool-down, then one call probes it (the others still skip it)
//! and its answer closes or reopens the breaker.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures in a row that open a target's circuit breaker.
pub const FAILURES_TO_OPEN: u32 = 3;
/// How long an open breaker skips its target, unless `route_cooldown` says otherwise.
pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(30);

/// Where one attempt series goes: a source Region and a model id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub region: String,
    pub model_id: String,
}

/// A configured target: `None` parts are the call's own (its client's Region, `*`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Spec {
    region: Option<String>,
    model_id: Option<String>,
}

impl Spec {
    /// `model id`, `region/model id`, `*` or `region/*`. An ARN is a model id (its own
    /// slashes name no Region).
    fn parse(text: &str) -> Spec {
        let (region, model) = match text.split_once('/') {
            Some((region, model)) if !text.starts_with("arn:") && looks_like_region(region) => {
                (Some(region.to_owned()), model)
            }
            _ => (None, text),
        };
        Spec {
            region,
            model_id: (model != "*").then(|| model.to_owned()),
        }
    }

    fn resolve(&self, region: &str, model_id: &str) -> Target {
        Target {
            region: self.region.clone().unwrap_or_else(|| region.to_owned()),
            model_id: self.model_id.clone().unwrap_or_else(|| model_id.to_owned()),
        }
    }
}

/// `ap-southeast-1`, `us-gov-west-1`: lower-case words joined by `-`, ending in a number.
fn looks_like_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts
            .last()
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

#[derive(Debug, Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
    probing: bool,
}

/// What the breakers allow a call to do with a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Closed: go.
    Go,
    /// Cooled down: this call is the one probe.
    Probe,
    /// Open (or another call is probing): skip it.
    Skip,
}

/// A client's routes and its targets' breakers.
#[derive(Debug)]
pub struct Routes {
    table: HashMap<String, Vec<Spec>>,
    cooldown: Duration,
    breakers: Mutex<HashMap<Target, Breaker>>,
}

impl Routes {
    /// From `Config(routes=...)`'s pairs: a model id (or `*`) and its targets.
    pub fn new(table: Vec<(String, Vec<String>)>, cooldown: Option<Duration>) -> Self {
        Routes {
            table: table
                .into_iter()
                .map(|(model, targets)| (model, targets.iter().map(|t| Spec::parse(t)).collect()))
                .collect(),
            cooldown: cooldown.unwrap_or(DEFAULT_COOLDOWN),
            breakers: Mutex::new(HashMap::new()),
        }
    }

    /// The targets of a call to `model_id` from `region`, in order: its own, then its routes
    /// (those of `model_id`, else those of `*`), each once.
    pub fn targets(&self, region: &str, model_id: &str) -> Vec<Target> {
        let mut targets = vec![Target {
            region: region.to_owned(),
            model_id: model_id.to_owned(),
        }];
        let specs = self
            .table
            .get(model_id)
            .or_else(|| self.table.get("*"))
            .map(Vec::as_slice)
            .unwrap_or_default();
        for spec in specs {
            let target = spec.resolve(region, model_id);
            if !targets.contains(&target) {
                targets.push(target);
            }
        }
        targets
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Target, Breaker>> {
        self.breakers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `target`'s breaker is closed (asking changes nothing).
    pub fn closed(&self, target: &Target) -> bool {
        self.lock()
            .get(target)
            .is_none_or(|b| b.open_until.is_none())
    }

    /// Whether a call may use `target` now.
    pub fn pass(&self, target: &Target) -> Pass {
        let mut breakers = self.lock();
        let Some(breaker) = breakers.get_mut(target) else {
            return Pass::Go;
        };
        match breaker.open_until {
            None => Pass::Go,
            Some(until) if Instant::now() < until || breaker.probing => Pass::Skip,
            Some(_) => {
                breaker.probing = true;
                Pass::Probe
            }
        }
    }

    /// Records how a call's attempts at `target` ended: `failed` if it would fail over.
    pub fn record(&self, target: &Target, failed: bool) {
        let mut breakers = self.lock();
        if !failed {
            breakers.remove(target);
            return;
        }
        let breaker = breakers.entry(target.clone()).or_default();
        breaker.failures += 1;
        if breaker.probing || breaker.failures >= FAILURES_TO_OPEN {
            breaker.open_until = Some(Instant::now() + self.cooldown);
        }
        breaker.probing = false;
    }

    /// A probe that ended without an answer either way (cancelled) lets another call probe.
    pub fn abandon(&self, target: &Target) {
        if let Some(breaker) = self.lock().get_mut(target) {
            breaker.probing = false;
        }
    }
}

/// Whether an error that survived a target's retries is one another target can fix:
/// throttling, service unavailable, model not ready, any 5xx, no connection, no first byte
/// in time. `code` is the service's error code, `status` the HTTP status (0: none came).
pub fn fails_over(
    code: Option<&str>,
    status: u16,
    transport: Option<crate::errors::Transport>,
) -> bool {
    use crate::errors::Transport;
    if let Some(failure) = transport {
        return matches!(
            failure,
            Transport::Connect | Transport::ConnectTimeout | Transport::ReadTimeout
        );
    }
    matches!(
        code,
        Some(
            "ThrottlingException"
                | "ServiceUnavailableException"
                | "ModelNotReadyException"
                | "InternalServerException"
                | "TooManyRequestsException"
        )
    ) || status == 429
        || status >= 500
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(region: &str, model: &str) -> Target {
        Target {
            region: region.into(),
            model_id: model.into(),
        }
    }

    #[test]
    fn targets_resolve_in_order() {
        let routes = Routes::new(
            vec![
                (
                    "global.m".into(),
                    vec![
                        "apac.m".into(),
                        "ap-southeast-1/global.m".into(),
                        "*".into(),
                    ],
                ),
                ("*".into(), vec!["ap-southeast-1/*".into()]),
            ],
            None,
        );
        assert_eq!(
            routes.targets("ap-south-1", "global.m"),
            vec![
                target("ap-south-1", "global.m"),
                target("ap-south-1", "apac.m"),
                target("ap-southeast-1", "global.m"),
            ]
        );
        assert_eq!(
            routes.targets("ap-south-1", "other"),
            vec![
                target("ap-south-1", "other"),
                target("ap-southeast-1", "other")
            ]
        );
        let arn = "arn:aws:bedrock:us-east-1:123:inference-profile/us.m";
        assert_eq!(Spec::parse(arn).model_id.as_deref(), Some(arn));
        assert_eq!(
            Spec::parse("us-gov-west-1/m").region.as_deref(),
            Some("us-gov-west-1")
        );
        assert_eq!(Spec::parse("a/b").region, None);
    }

    #[test]
    fn breakers_open_cool_down_and_probe() {
        let routes = Routes::new(Vec::new(), Some(Duration::from_millis(30)));
        let t = target("r", "m");
        for _ in 0..FAILURES_TO_OPEN - 1 {
            routes.record(&t, true);
            assert_eq!(routes.pass(&t), Pass::Go);
        }
        routes.record(&t, true);
        assert_eq!(routes.pass(&t), Pass::Skip);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(routes.pass(&t), Pass::Probe);
        assert_eq!(routes.pass(&t), Pass::Skip); // one probe at a time
        routes.record(&t, true); // the probe failed: open again
        assert_eq!(routes.pass(&t), Pass::Skip);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(routes.pass(&t), Pass::Probe);
        routes.record(&t, false);
        assert_eq!(routes.pass(&t), Pass::Go);
    }

    #[test]
    fn what_fails_over() {
        assert!(fails_over(Some("ThrottlingException"), 429, None));
        assert!(fails_over(None, 502, None));
        assert!(fails_over(Some("ModelNotReadyException"), 429, None));
        assert!(!fails_over(Some("ValidationException"), 400, None));
        assert!(!fails_over(Some("AccessDeniedException"), 403, None));
        assert!(fails_over(None, 0, Some(crate::errors::Transport::Connect)));
        assert!(!fails_over(None, 0, Some(crate::errors::Transport::Tls)));
    }
}
