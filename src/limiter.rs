//! `max_in_flight`: a bound on a client's requests in flight per (Region, model id), the unit
//! Bedrock's quotas are counted in. Callers beyond it wait in order (tokio's semaphore is
//! FIFO); the wait counts toward no timeout, and dropping the waiting future (Ctrl-C, task
//! cancellation) leaves the queue.
//!
//! `"adaptive"` finds the bound itself, as TCP finds a path's window: it starts at
//! [`ADAPTIVE_START`] and grows by half per window of successes until the first throttle
//! (slow start; a lane throttled before it served a window's worth of calls halves and stays
//! in slow start), then grows by one per window of successes and shrinks by [`DECREASE`] on a
//! throttle (at most once per window: only a call that started after the last decrease can
//! halve it again; each further throttle of the same window takes half a place off, down to
//! half what the decrease left, so an overshoot comes down by what was refused, and climbs
//! back to what the decrease left at the slow-start rate). It grows only while callers fill
//! it. Below one request in flight it paces instead: a place is held
//! on after its call for as long as the calls take, so one call per `1/window` call times
//! starts. Many threads or tasks hammering one client thus settle at the quota instead of
//! storming it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Where adaptive windows start.
pub const ADAPTIVE_START: f64 = 8.0;
/// What a throttle multiplies an adaptive window by.
pub const DECREASE: f64 = 0.5;
/// What a success adds to an adaptive window in slow start.
const SLOW_START_STEP: f64 = 0.5;
/// The smallest adaptive window: one call per 32 call times.
const MIN_WINDOW: f64 = 1.0 / 32.0;

/// How the bound is set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    Fixed(usize),
    /// Found by additive increase, multiplicative decrease, up to this many.
    Adaptive {
        max: usize,
    },
}

/// The bounds of one client, one lane per (Region, model id).
#[derive(Debug)]
pub struct Limiter {
    mode: Mode,
    lanes: Mutex<HashMap<(String, String), Arc<Lane>>>,
}

#[derive(Debug)]
struct Lane {
    places: Arc<Semaphore>,
    window: Mutex<Window>,
    /// Places taken.
    busy: AtomicUsize,
}

#[derive(Debug)]
struct Window {
    /// The adaptive window (requests in flight; below 1, a pacing rate).
    size: f64,
    /// Places handed to the semaphore: `max(1, floor(size))`.
    places: usize,
    /// Places to take back from the semaphore as they come free.
    owed: usize,
    /// Until the first throttle after a window's worth of successes, the window grows by
    /// half per window of successes.
    slow_start: bool,
    /// Calls that ended unthrottled since the lane began (up to its window: enough to tell
    /// a young lane from one that has run).
    served: usize,
    last_decrease: Instant,
    /// What the last decrease left: further throttles of its window take the window no
    /// lower than [`DECREASE`] times this.
    decreased_to: f64,
    /// The lane was full (every place taken, or a caller turned away) since the window
    /// last grew: callers use it, though a place may be free at the moment a call ends.
    filled: bool,
    /// A moving average of call times, for pacing below one place.
    call_time: Duration,
}

impl Limiter {
    pub fn new(mode: Mode) -> Self {
        Limiter {
            mode,
            lanes: Mutex::new(HashMap::new()),
        }
    }

    fn lane(&self, region: &str, model_id: &str) -> Arc<Lane> {
        let mut lanes = self.lanes.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(lane) = lanes.get(&(region.to_owned(), model_id.to_owned())) {
            return Arc::clone(lane);
        }
        let places = match self.mode {
            Mode::Fixed(n) => n,
            Mode::Adaptive { max } => (ADAPTIVE_START as usize).min(max),
        }
        .clamp(1, Semaphore::MAX_PERMITS);
        let lane = Arc::new(Lane {
            places: Arc::new(Semaphore::new(places)),
            window: Mutex::new(Window {
                size: places as f64,
                places,
                owed: 0,
                slow_start: true,
                served: 0,
                last_decrease: Instant::now(),
                decreased_to: places as f64,
                filled: false,
                call_time: Duration::ZERO,
            }),
            busy: AtomicUsize::new(0),
        });
        lanes.insert((region.to_owned(), model_id.to_owned()), Arc::clone(&lane));
        lane
    }

    /// Waits for a place for a call to `model_id` in `region`, first come first served.
    pub async fn enter(&self, region: &str, model_id: &str) -> Slot {
        let lane = self.lane(region, model_id);
        // The semaphore is never closed, so acquiring only fails if it were.
        let permit = match Arc::clone(&lane.places).acquire_owned().await {
            Ok(permit) => permit,
            Err(_) => unreachable!("a limiter's semaphore is never closed"),
        };
        self.slot(lane, permit)
    }

    /// A place for a call to `model_id` in `region` if one is free now (nobody waits).
    pub fn try_enter(&self, region: &str, model_id: &str) -> Option<Slot> {
        let lane = self.lane(region, model_id);
        match Arc::clone(&lane.places).try_acquire_owned() {
            Ok(permit) => Some(self.slot(lane, permit)),
            Err(_) => {
                // A caller that goes elsewhere (a route's next target) wanted this lane.
                lane.window.lock().unwrap_or_else(|p| p.into_inner()).filled = true;
                None
            }
        }
    }

    fn slot(&self, lane: Arc<Lane>, permit: OwnedSemaphorePermit) -> Slot {
        let busy = lane.busy.fetch_add(1, Ordering::AcqRel) + 1;
        let places = {
            let mut w = lane.window.lock().unwrap_or_else(|p| p.into_inner());
            w.filled |= busy >= w.places;
            w.places
        };
        Slot {
            lane,
            permit: Some(permit),
            started: Instant::now(),
            adaptive: self.mode_max(),
            places,
            throttled: false,
        }
    }

    fn mode_max(&self) -> Option<usize> {
        match self.mode {
            Mode::Fixed(_) => None,
            Mode::Adaptive { max } => Some(max),
        }
    }

    /// The current bound of a lane (its window, for adaptive ones), for tests and reprs.
    pub fn window(&self, region: &str, model_id: &str) -> f64 {
        self.lane(region, model_id)
            .window
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .size
    }
}

/// A call's place in its lane; dropping it frees the place (held on a while when pacing).
#[derive(Debug)]
pub struct Slot {
    lane: Arc<Lane>,
    permit: Option<OwnedSemaphorePermit>,
    /// When the call's latest attempt started.
    started: Instant,
    /// `Some(max window)` for an adaptive lane.
    adaptive: Option<usize>,
    /// The lane's places when this call entered.
    places: usize,
    /// A throttle of this call was told to the lane already.
    throttled: bool,
}

impl Slot {
    /// The call makes another attempt (a retry after backoff is a new sample of the quota).
    pub fn attempt_started(&mut self) {
        self.started = Instant::now();
    }

    /// An attempt was throttled: an adaptive lane shrinks at once, by [`DECREASE`] once per
    /// window (a call that started before the last decrease does not halve it again, but
    /// takes half a place off).
    pub fn throttled(&mut self) {
        let Some(max) = self.adaptive.filter(|_| !self.throttled) else {
            return;
        };
        self.throttled = true;
        let mut w = self.lane.window.lock().unwrap_or_else(|p| p.into_inner());
        if self.started < w.last_decrease {
            // Each further throttle of calls sent with the same window is one request too
            // many: after an overshoot (a full quota bucket lets a slow start run far past
            // the quota) the window comes down by as many as were refused, not by halves;
            // but by half again at most: a window's worth of throttles (all that were in
            // flight when the bucket ran dry) must not take it to nothing, from where it
            // climbs back one place per window, for seconds.
            w.size = (w.size - DECREASE)
                .max(w.decreased_to * DECREASE)
                .max(MIN_WINDOW);
            self.lane.resize(&mut w, max);
            return;
        }
        w.size = (w.size * DECREASE).max(MIN_WINDOW);
        w.decreased_to = w.size;
        // A lane throttled before it served a window's worth of calls found a bucket that
        // others (or a burst) had drained, which says nothing of how fast it refills: it
        // halves but stays in slow start, instead of climbing from there one place a window.
        w.slow_start &= (w.served as f64) < w.size / DECREASE;
        w.last_decrease = Instant::now();
        self.lane.resize(&mut w, max);
    }

    /// The call is over (for a stream: it has started): a call that was never throttled
    /// widens an adaptive lane, if the lane is as full as it was wide when the call entered
    /// or was full since the window last grew (a window wider than what callers use says
    /// nothing about the quota: it does not grow).
    pub fn done(&mut self) {
        let Some(max) = self.adaptive.filter(|_| !self.throttled) else {
            return;
        };
        let took = self.started.elapsed();
        let mut w = self.lane.window.lock().unwrap_or_else(|p| p.into_inner());
        w.call_time = if w.call_time.is_zero() {
            took
        } else {
            (w.call_time * 7 + took) / 8
        };
        w.served = (w.served + 1).min(max);
        // A lane its callers refill from elsewhere (a route's second target, which callers
        // reach only as their calls end) is seldom full at the moment a call ends, though
        // it is used to the full: having been full since the last growth counts too.
        let full = self.lane.busy.load(Ordering::Acquire) >= self.places.min(w.places);
        if !std::mem::take(&mut w.filled) && !full {
            return;
        }
        // Slow start: +1/2 per success (x1.5 per window: a quota bucket that starts full lets
        // it run past the quota until the bucket is empty, so it climbs gently); then +1 per
        // window; while pacing (below one place), +10% per success. Below what the last
        // decrease left (the further throttles of an overshoot took it lower), it recovers
        // at the slow-start rate: that window was served a moment ago.
        let step = if w.slow_start {
            SLOW_START_STEP
        } else if w.size >= 1.0 && w.size < w.decreased_to {
            SLOW_START_STEP.min(w.decreased_to - w.size)
        } else if w.size >= 1.0 {
            1.0 / w.size
        } else {
            w.size / 10.0
        };
        w.size = (w.size + step).min(max as f64);
        self.lane.resize(&mut w, max);
    }
}

impl Lane {
    /// Hands the semaphore as many places as the window is wide (at least one): more at
    /// once, fewer as places come free.
    fn resize(&self, w: &mut Window, max: usize) {
        let wanted = (w.size.floor() as usize).clamp(1, max.max(1));
        if wanted > w.places {
            let mut more = wanted - w.places;
            let repaid = more.min(w.owed);
            w.owed -= repaid;
            more -= repaid;
            self.places.add_permits(more);
        } else if wanted < w.places {
            w.owed += w.places - wanted;
        }
        w.places = wanted;
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let Some(permit) = self.permit.take() else {
            return;
        };
        self.lane.busy.fetch_sub(1, Ordering::AcqRel);
        let (owed, pace) = {
            let mut w = self.lane.window.lock().unwrap_or_else(|p| p.into_inner());
            let owed = w.owed > 0;
            if owed {
                w.owed -= 1;
            }
            // Below one place, each call's place stays taken for (1/window - 1) call times.
            let pace = (w.size < 1.0).then(|| w.call_time.mul_f64(1.0 / w.size - 1.0));
            (owed, pace)
        };
        if owed {
            permit.forget();
            return;
        }
        match pace.filter(|p| !p.is_zero()) {
            Some(pace) => match tokio::runtime::Handle::try_current() {
                Ok(handle) => {
                    handle.spawn(async move {
                        tokio::time::sleep(pace).await;
                        drop(permit);
                    });
                }
                Err(_) => drop(permit),
            },
            None => drop(permit),
        }
    }
}

/// Leaves the retries of a throttled call in a lane to the call (`ops::routed`): it frees
/// its place, backs off and waits for a place again, so that a narrowed lane paces its
/// retries too; the SDK would retry it at once, in the place it holds.
#[derive(Debug, Default)]
pub struct LaneRetries;

impl ClassifyRetry for LaneRetries {
    fn classify_retry_v2(&self, ctx: &InterceptorContext, _previous: &RetryAction) -> RetryAction {
        self.classify_retry(ctx)
    }

    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let throttled = ctx.response().is_some_and(|r| r.status().as_u16() == 429);
        if throttled && crate::capture::in_lane() {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "bedrock_cris::LaneRetries"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(crate::transport::BotocoreRetries.priority())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fixed_lanes_are_per_region_and_model_and_fifo() {
        let limiter = Arc::new(Limiter::new(Mode::Fixed(1)));
        let first = limiter.enter("r", "m").await;
        // Another model or Region is another lane.
        let _other = limiter.enter("r", "n").await;
        let _elsewhere = limiter.enter("q", "m").await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for i in 0..3 {
            let (limiter, order) = (Arc::clone(&limiter), Arc::clone(&order));
            waiting.push(tokio::spawn(async move {
                let _slot = limiter.enter("r", "m").await;
                order.lock().unwrap().push(i);
            }));
            tokio::task::yield_now().await;
        }
        assert!(order.lock().unwrap().is_empty());
        drop(first);
        for task in waiting {
            task.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2]);
    }

    #[tokio::test]
    async fn adaptive_windows_grow_and_shrink() {
        let limiter = Limiter::new(Mode::Adaptive { max: 64 });
        // One caller at a time uses one place of 8: the window has no reason to grow.
        limiter.enter("r", "m").await.done();
        assert_eq!(limiter.window("r", "m"), ADAPTIVE_START);
        // A full lane grows: slow start, +1 per success.
        let mut full: Vec<Slot> = Vec::new();
        for _ in 0..8 {
            full.push(limiter.enter("r", "m").await);
        }
        for slot in &mut full {
            slot.done();
        }
        assert_eq!(limiter.window("r", "m"), 12.0); // slow start: +1/2 per success
        drop(full);
        let mut full: Vec<Slot> = Vec::new();
        for _ in 0..12 {
            full.push(limiter.enter("r", "m").await);
        }
        for slot in &mut full {
            slot.done();
        }
        assert_eq!(limiter.window("r", "m"), 18.0); // 21 calls served: no longer young
        let (mut a, mut b) = (full.pop().unwrap(), full.pop().unwrap());
        a.attempt_started();
        b.attempt_started();
        a.throttled();
        a.throttled(); // one call decreases once
        assert_eq!(limiter.window("r", "m"), 9.0);
        b.throttled(); // started before the decrease: half a place off, not a halving
        assert_eq!(limiter.window("r", "m"), 8.5);
        drop((a, b, full));
        let mut full: Vec<Slot> = Vec::new();
        for _ in 0..8 {
            full.push(limiter.enter("r", "m").await);
        }
        for slot in &mut full {
            slot.done();
        }
        // Back to what the decrease left at once (+1/2), then about +1 per window.
        let grown = limiter.window("r", "m");
        assert!((9.7..=9.8).contains(&grown), "{grown}");
        drop(full);
        for _ in 0..20 {
            let mut slot = limiter.enter("r", "m").await;
            slot.throttled();
        }
        assert_eq!(limiter.window("r", "m"), MIN_WINDOW);
        // Only as many places as the window is wide: the others were owed back and taken.
        let slot = limiter.enter("r", "m").await;
        assert!(limiter
            .lane("r", "m")
            .places
            .clone()
            .try_acquire_owned()
            .is_err());
        drop(slot);
    }

    #[tokio::test]
    async fn a_young_lane_throttled_stays_in_slow_start() {
        let limiter = Limiter::new(Mode::Adaptive { max: 64 });
        let mut full: Vec<Slot> = Vec::new();
        for _ in 0..8 {
            full.push(limiter.enter("r", "m").await);
        }
        let mut first = full.pop().unwrap();
        first.attempt_started();
        first.throttled(); // before any call was served: a drained bucket
        assert_eq!(limiter.window("r", "m"), 4.0);
        drop(first);
        for slot in &mut full {
            slot.done();
        }
        // Still slow start: +1/2 per success, not about +1 per window.
        assert_eq!(limiter.window("r", "m"), 7.5);
    }
}
