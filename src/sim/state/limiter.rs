//! The simulated rate limits (octopus-api.md section 6): a rolling 60 s window per
//! rate class and tier, and the `rate-limited` scenario's one 429 per class.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use super::Scenario;
use crate::tier::Tier;

/// The rolling rate-limit window.
pub(super) const WINDOW: Duration = Duration::from_secs(60);

/// A rate-limit class of octopus-api.md section 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RateClass {
    /// `POST /auth/login`.
    Login,
    /// `POST /auth/refresh`.
    Refresh,
    /// Every GET under `/api/v1`.
    Get,
    /// `POST /api/v1/orders`.
    Orders,
    /// `POST /api/v1/products/:id/charges`.
    Charges,
}

impl RateClass {
    /// Requests per rolling minute for a tier.
    pub(crate) fn limit(self, tier: Tier) -> usize {
        match (self, tier) {
            (RateClass::Login, Tier::Sandbox) => 30,
            (RateClass::Login, Tier::Production) => 10,
            (RateClass::Refresh, Tier::Sandbox) => 30,
            (RateClass::Refresh, Tier::Production) => 20,
            (RateClass::Get, Tier::Sandbox) => 600,
            (RateClass::Get, Tier::Production) => 300,
            (RateClass::Orders, Tier::Sandbox) => 120,
            (RateClass::Orders, Tier::Production) => 60,
            (RateClass::Charges, Tier::Sandbox) => 300,
            (RateClass::Charges, Tier::Production) => 120,
        }
    }
}

/// Rolling 60 s windows per class, plus the `RateLimited` scenario's one-shot trips.
#[derive(Debug, Default)]
pub(super) struct RateLimiter {
    pub(super) windows: HashMap<RateClass, VecDeque<Instant>>,
    pub(super) tripped: HashSet<RateClass>,
}

impl RateLimiter {
    /// Admits a request at `now` or returns the `Retry-After` seconds (at least 1).
    pub(super) fn check(
        &mut self,
        class: RateClass,
        tier: Tier,
        scenario: Scenario,
        now: Instant,
    ) -> Result<(), u64> {
        if scenario == Scenario::RateLimited && self.tripped.insert(class) {
            return Err(1);
        }
        let window = self.windows.entry(class).or_default();
        while window
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW)
        {
            window.pop_front();
        }
        if window.len() >= class.limit(tier) {
            let oldest = window.front().copied().unwrap_or(now);
            let wait = (oldest + WINDOW).saturating_duration_since(now);
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Err(secs.max(1));
        }
        window.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_rolls_and_reports_retry_after() {
        let mut l = RateLimiter::default();
        let t0 = Instant::now();
        for i in 0..10 {
            let t = t0 + Duration::from_secs(i);
            assert!(
                l.check(RateClass::Login, Tier::Production, Scenario::Healthy, t)
                    .is_ok()
            );
        }
        let t = t0 + Duration::from_millis(10_500);
        assert_eq!(
            l.check(RateClass::Login, Tier::Production, Scenario::Healthy, t),
            Err(50)
        );
        // Another class is independent.
        assert!(
            l.check(RateClass::Get, Tier::Production, Scenario::Healthy, t)
                .is_ok()
        );
        // Once the oldest leaves the window, one slot frees.
        let t = t0 + Duration::from_secs(60);
        assert!(
            l.check(RateClass::Login, Tier::Production, Scenario::Healthy, t)
                .is_ok()
        );
        assert!(
            l.check(RateClass::Login, Tier::Production, Scenario::Healthy, t)
                .is_err()
        );
    }

    #[test]
    fn rate_limited_scenario_trips_once_per_class() {
        let mut l = RateLimiter::default();
        let t = Instant::now();
        let s = Scenario::RateLimited;
        assert_eq!(l.check(RateClass::Login, Tier::Sandbox, s, t), Err(1));
        assert!(l.check(RateClass::Login, Tier::Sandbox, s, t).is_ok());
        assert_eq!(l.check(RateClass::Charges, Tier::Sandbox, s, t), Err(1));
    }
}
