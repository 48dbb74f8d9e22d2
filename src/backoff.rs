//! Exponential backoff: the wait before each retry of something that keeps failing, doubling
//! from a first wait up to a ceiling, and back to the first after a success. Kafka uses the
//! same shape for a broker's registration and heartbeats and for its clients' reconnects.
//! Pure arithmetic: the caller sleeps (or records when it may try again).

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    /// The wait last handed out since the last success, if any.
    last: Option<Duration>,
}

impl Backoff {
    /// Waits of `first`, doubling up to `max` (`first` itself is capped at `max`).
    pub fn new(first: Duration, max: Duration) -> Self {
        Self {
            first: first.min(max),
            max,
            last: None,
        }
    }

    /// The wait before the next attempt, after a failure.
    pub fn next_wait(&mut self) -> Duration {
        let wait = self
            .last
            .map_or(self.first, |last| (last * 2).min(self.max));
        self.last = Some(wait);
        wait
    }

    /// The wait last handed out, if any since the last success.
    pub fn last(&self) -> Option<Duration> {
        self.last
    }

    /// Starts over after a success; the first wait, for a caller that retries quickly anyway.
    pub fn reset(&mut self) -> Duration {
        self.last = None;
        self.first
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_to_the_ceiling_and_start_over_after_a_success() {
        let ms = Duration::from_millis;
        let mut backoff = Backoff::new(ms(10), ms(100));
        let waits: Vec<u128> = (0..6).map(|_| backoff.next_wait().as_millis()).collect();
        assert_eq!(waits, [10, 20, 40, 80, 100, 100]);
        assert_eq!(backoff.last(), Some(ms(100)));
        assert_eq!(backoff.reset(), ms(10));
        assert_eq!(backoff.last(), None);
        assert_eq!(backoff.next_wait(), ms(10));
        let mut short = Backoff::new(ms(10), ms(4));
        assert_eq!(short.next_wait(), ms(4));
    }
}
