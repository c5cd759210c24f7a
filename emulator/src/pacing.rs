//! One clock for every paced stream: a thousand streams sending a delta every 20 ms would
//! otherwise arm a thousand timers every 20 ms. Deadlines are rounded up to a 1 ms tick and
//! kept per tick; one driver task sleeps until the earliest tick and wakes every stream due
//! by then at once, so streams started together share one timer wake-up per event.
//!
//! A stream's events follow an absolute schedule (first event at start + time to first
//! token, event k `interval` later each), so a late wake-up never pushes later events back.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

const TICK: Duration = Duration::from_millis(1);

/// The shared clock; [`Pacer::drive`] runs on the server's runtime.
#[derive(Debug)]
pub struct Pacer {
    base: Instant,
    due: Mutex<BTreeMap<u64, Vec<Waker>>>,
    earlier: Notify,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer {
            base: Instant::now(),
            due: Mutex::new(BTreeMap::new()),
            earlier: Notify::new(),
        }
    }
}

impl Pacer {
    /// The tick at or after `at`.
    fn tick_of(&self, at: Instant) -> u64 {
        let nanos = at.saturating_duration_since(self.base).as_nanos();
        let tick = TICK.as_nanos();
        u64::try_from(nanos.div_ceil(tick)).unwrap_or(u64::MAX)
    }

    fn instant_of(&self, tick: u64) -> Instant {
        self.base + TICK * u32::try_from(tick).unwrap_or(u32::MAX)
    }

    /// Ready once `at` has passed; otherwise the task is woken at `at`'s tick.
    pub fn poll_at(&self, at: Instant, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= at {
            return Poll::Ready(());
        }
        let tick = self.tick_of(at);
        let mut due = self.due.lock().unwrap_or_else(|p| p.into_inner());
        let first = due.keys().next().is_none_or(|&k| tick < k);
        let wakers = due.entry(tick).or_default();
        if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
            wakers.push(cx.waker().clone());
        }
        drop(due);
        if first {
            // The driver sleeps until a later tick (or nothing): it must look again.
            self.earlier.notify_one();
        }
        Poll::Pending
    }

    /// Wakes streams as their ticks come; runs until the runtime stops.
    pub async fn drive(self: Arc<Self>) {
        loop {
            let next = {
                let due = self.due.lock().unwrap_or_else(|p| p.into_inner());
                due.keys().next().copied()
            };
            match next {
                None => self.earlier.notified().await,
                Some(tick) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(self.instant_of(tick)) => {}
                        _ = self.earlier.notified() => continue,
                    }
                }
            }
            // Ticks wholly past: a tick not yet reached would wake its streams early.
            let elapsed = Instant::now()
                .saturating_duration_since(self.base)
                .as_nanos();
            let now = u64::try_from(elapsed / TICK.as_nanos())
                .unwrap_or(u64::MAX)
                .saturating_add(1);
            let woken: Vec<Vec<Waker>> = {
                let mut due = self.due.lock().unwrap_or_else(|p| p.into_inner());
                let later = due.split_off(&now);
                std::mem::replace(&mut *due, later).into_values().collect()
            };
            for waker in woken.into_iter().flatten() {
                waker.wake();
            }
        }
    }
}

/// When a paced stream's next event is due.
#[derive(Debug)]
pub struct Schedule {
    pub pacer: Arc<Pacer>,
    pub next: Instant,
    pub interval: Duration,
}

impl Schedule {
    /// A schedule whose first event is `first` from now.
    pub fn new(pacer: Arc<Pacer>, first: Duration, interval: Duration) -> Self {
        Schedule {
            pacer,
            next: Instant::now() + first,
            interval,
        }
    }

    /// Ready when the next event is due; then the one after is scheduled.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match self.pacer.poll_at(self.next, cx) {
            Poll::Ready(()) => {
                self.next += self.interval;
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;

    /// Events keep their absolute schedule, and streams due together wake together.
    #[test]
    fn schedule_is_absolute_and_shared() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let pacer = Arc::new(Pacer::default());
            tokio::spawn(Arc::clone(&pacer).drive());
            let start = Instant::now();
            let mut tasks = Vec::new();
            for _ in 0..50 {
                let pacer = Arc::clone(&pacer);
                tasks.push(tokio::spawn(async move {
                    let mut schedule =
                        Schedule::new(pacer, Duration::from_millis(30), Duration::from_millis(5));
                    let mut seen = Vec::new();
                    for _ in 0..5 {
                        poll_fn(|cx| schedule.poll_next(cx)).await;
                        seen.push(start.elapsed());
                    }
                    seen
                }));
            }
            for task in tasks {
                let seen = task.await.expect("task");
                for (k, at) in seen.iter().enumerate() {
                    let due = Duration::from_millis(30 + 5 * k as u64);
                    assert!(*at >= due, "event {k} early: {at:?}");
                    assert!(
                        *at < due + Duration::from_millis(40),
                        "event {k} late: {at:?}"
                    );
                }
            }
            assert!(pacer.due.lock().expect("lock").is_empty());
        });
    }
}
